/**
 * The producer against a real Kafka broker (LocalKafka): large deterministic runs of both profiles consumed
 * back, a broker crash in the middle of a run, and every compression codec.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  allTopics,
  loadConfig,
  type PipelineConfig,
  topicForTicker,
  tradeTopics,
} from '../src/config/index.ts';
import { LocalKafka } from '../src/local/kafka.ts';
import { MarketSimulator } from '../src/market/index.ts';
import { encoderFor, TradeProducer } from '../src/producer/index.ts';
import { columnsOf, tradeValidator } from '../src/schema/index.ts';
import { checkTrade } from '../src/schema/strict.ts';
import { checkExactlyOnce, readTopics } from './producer-helpers.ts';

function configFor(
  kafka: LocalKafka,
  prefix: string,
  overrides: Record<string, Record<string, unknown> | string>,
) {
  const { producer, kafka: k, ...rest } = overrides as { producer?: object; kafka?: object };
  return loadConfig({
    env: {},
    overrides: {
      ...rest,
      kafka: {
        brokers: [kafka.bootstrap],
        tradeTopicPrefix: prefix,
        tradeTopicCount: 5,
        partitionsPerTopic: 4,
        ...k,
      },
      producer: { mode: 'replay', rate: 0, metricsPort: 0, instanceId: prefix, ...producer },
    },
  });
}

async function produce(kafka: LocalKafka, config: PipelineConfig) {
  await kafka.createTopics(allTopics(config));
  const producer = await TradeProducer.start(config, { serveHttp: false });
  return producer.done;
}

describe('producer on a real broker', { timeout: 360_000 }, () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await LocalKafka.start({ heap: '768m' });
  });
  after(async () => kafka?.stop());

  for (const [profile, total] of [
    ['narrow', 150_000],
    ['wide', 100_000],
  ] as const) {
    it(`${profile}: ${total} deterministic trades over 5 topics, each exactly once, valid, in order per ticker`, async () => {
      const config = configFor(kafka, `det-${profile}`, { profile, producer: { maxTrades: total } });
      const summary = await produce(kafka, config);
      assert.equal(summary.generated, total);
      assert.equal(summary.sent, total);

      const records = await readTopics(kafka.bootstrap, tradeTopics(config));
      const sim = new MarketSimulator(config);
      const encode = encoderFor(profile);
      const validate = tradeValidator(profile);
      const columns = columnsOf(profile);
      checkExactlyOnce(records, summary.instanceId, total);
      const topicsUsed = new Set<string>();
      for (const r of records) {
        const trade = JSON.parse(r.value);
        const n = trade.sequence as number;
        // The record is trade n of the instance, recomputed independently; valid; routed by its ticker.
        assert.equal(r.value, encode(sim.trade(profile, summary.instanceId, n)), `trade ${n}`);
        const result = validate.safeParse(trade);
        assert.ok(
          result.success,
          `trade ${n}: ${result.error?.issues[0]?.path} ${result.error?.issues[0]?.message}`,
        );
        // And the strict check of the Flink source, over the record's bytes.
        assert.equal(checkTrade(Buffer.from(r.value, 'utf8'), columns).reason, null, `trade ${n}`);
        assert.equal(r.key, trade.ticker);
        assert.equal(r.topic, topicForTicker(trade.ticker, tradeTopics(config)));
        topicsUsed.add(r.topic);
      }
      assert.equal(topicsUsed.size, 5);
    });
  }

  it('a broker crash mid-run loses and duplicates nothing', async () => {
    const total = 120_000;
    const config = configFor(kafka, 'crash', { producer: { maxTrades: total, rate: 15_000, lingerMs: 5 } });
    await kafka.createTopics(allTopics(config));
    const producer = await TradeProducer.start(config, { serveHttp: false });
    while (producer.generated < 30_000) await new Promise((resolve) => setTimeout(resolve, 50));
    // SIGKILL: requests in flight die with the connection; kafkajs must resend them with the same sequence
    // numbers so the broker, recovering the producer state from its log, drops what it had already written.
    await kafka.kill();
    const atCrash = producer.generated;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await kafka.restart();
    const summary = await producer.done;
    assert.ok(atCrash < total, 'the crash happened mid-run');
    assert.equal(summary.sent, total);
    checkExactlyOnce(await readTopics(kafka.bootstrap, tradeTopics(config)), summary.instanceId, total);
  });

  for (const compression of ['gzip', 'lz4', 'zstd'] as const) {
    it(`${compression}: compressed batches are accepted and read back`, async () => {
      const total = 20_000;
      const config = configFor(kafka, `codec-${compression}`, {
        producer: { maxTrades: total, compression },
      });
      const summary = await produce(kafka, config);
      checkExactlyOnce(await readTopics(kafka.bootstrap, tradeTopics(config)), summary.instanceId, total);
    });
  }
});
