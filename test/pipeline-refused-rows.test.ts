/**
 * Rows PostgreSQL refuses, on the real local stack: a CHECK constraint added to stock_trades refuses a few trades
 * that are valid by the schema (the strict decoder lets them through). The tradestream-postgres sink must store
 * every other trade, send each refused one to the dead-letter topic with the constraint's name in its reason and
 * the table in its headers, and never make the job restart; the windows (computed from the stream, not from the
 * table) still close and hold the refused trades too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { topicForTicker, tradeTopics } from '../src/config/index.ts';
import { LocalStack } from '../src/local/stack.ts';
import { tradeAt } from '../src/market/index.ts';
import { columnsOf, TRADES_TABLE } from '../src/schema/index.ts';
import { checkTradeText } from '../src/schema/strict.ts';
import type { TradeFacts } from './pipeline-expected.ts';
import {
  assertStoredOnce,
  assertWindowsMatch,
  produce,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const TRADES = 6_000;
const RATE = 1_500;
const REFUSED = 5;
/** A volume the schema allows and the replay never has: only the injected trades break the constraint. */
const REFUSED_VOLUME = 4_242;
const CONSTRAINT = 'stock_trades_volume_not_4242';

const config = replayConfig();
const trades = replayTrades(config, TRADES);
/** Trades of another instance at the replay's first instants (on time for their windows), with that volume. */
const refused: TradeFacts[] = Array.from({ length: REFUSED }, (_, n) => ({
  ...(tradeAt(config, 'refused-1', n) as TradeFacts),
  volume: REFUSED_VOLUME,
}));

/** Each sample of one metric in Prometheus text format, as `labels -> value` (no label parsing needed here). */
function samples(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)(\{.*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}

/** The sum over the series whose labels contain `labels` (all of them by default). */
function total(series: Map<string, number>, labels = ''): number {
  return [...series].filter(([l]) => l.includes(labels)).reduce((sum, [, value]) => sum + value, 0);
}

interface SinkDeadLetter {
  value: Record<string, string | null>;
  reason: string;
  sinkTable: string;
}

/** Every record of the dead-letter topic from the beginning, once `expected` arrived and the topic went quiet. */
async function readSinkDeadLetters(stack: LocalStack, expected: number): Promise<SinkDeadLetter[]> {
  const consumer = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).consumer({
    groupId: `test-refused-${Date.now()}`,
  });
  const letters: SinkDeadLetter[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: config.kafka.deadLetterTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          value: JSON.parse(message.value?.toString() ?? 'null'),
          reason: message.headers?.reason?.toString() ?? '',
          sinkTable: message.headers?.sink_table?.toString() ?? '',
        });
        last = Date.now();
      },
    });
    await until(
      `${expected} dead letters (got ${letters.length})`,
      async () => letters.length >= expected && Date.now() - last > 3_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

describe('rows refused by a PostgreSQL constraint', () => {
  let stack: LocalStack;

  before(async () => {
    assert.ok(!trades.some((t) => t.volume === REFUSED_VOLUME), 'the replay itself breaks no constraint');
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const db = await stack.postgres.client();
    try {
      await db.query(
        `ALTER TABLE ${TRADES_TABLE} ADD CONSTRAINT ${CONSTRAINT} CHECK (volume <> ${REFUSED_VOLUME})`,
      );
    } finally {
      await db.end();
    }
    // Straight to the trade topics, routed and keyed as the producer does (each ticker on one partition).
    const producer = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      for (const trade of refused) {
        const payload = JSON.stringify(trade);
        assert.equal(checkTradeText(payload, columnsOf(config.profile)).reason, null, payload);
        await producer.send({
          topic: topicForTicker(trade.ticker, tradeTopics(config)),
          messages: [{ key: trade.ticker, value: payload }],
        });
      }
    } finally {
      await producer.disconnect();
    }
    await produce(stack, TRADES, RATE);
    await until('every valid trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores every other trade, each once', async () => {
    await assertStoredOnce(stack, trades);
  });

  it('dead-letters each refused trade once, with the constraint in the reason and the table in the headers', async () => {
    const letters = await readSinkDeadLetters(stack, REFUSED);
    assert.deepEqual(letters.map((l) => l.value.trade_id).sort(), refused.map((t) => t.trade_id).sort());
    for (const l of letters) {
      assert.equal(l.sinkTable, TRADES_TABLE);
      assert.match(l.reason, new RegExp(`^refused by PostgreSQL: 23514 .*"${CONSTRAINT}"`));
      assert.equal(l.value.volume, String(REFUSED_VOLUME));
      const trade = refused.find((t) => t.trade_id === l.value.trade_id) as TradeFacts;
      assert.equal(l.value.ticker, trade.ticker);
      assert.equal(Number(l.value.price), trade.price);
      // Every column, as PostgreSQL text.
      assert.deepEqual(
        Object.keys(l.value),
        columnsOf(config.profile).map((c) => c.name),
      );
    }
  });

  it('keeps the windows closing, the refused trades counted in them', async () => {
    const mustClose = await assertWindowsMatch(stack, [...trades, ...refused]);
    assert.ok(mustClose.length > 5, `closed windows checked (${mustClose.length})`);
  });

  it("exports the job's metrics through Flink's Prometheus reporter, the sink's row counters too", async () => {
    const url = stack.flink?.metricsUrl as string;
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200, url);
    const text = await response.text();
    const series = (name: string) => {
      const found = samples(text, name);
      assert.ok(found.size > 0, `${name} is exported at ${url}`);
      return found;
    };
    assert.ok(total(series('flink_taskmanager_job_task_operator_numRecordsIn')) > 0);
    assert.deepEqual([...series('flink_jobmanager_job_numRestarts').values()], [0]);
    // Kafka lag per source reader; the trades are all read by now, so only its presence is asserted.
    series('flink_taskmanager_job_task_operator_pendingRecords');
    // The tradestream-postgres sink's own counters, on its writer's operator group: one series per sink table
    // and subtask, the operator named after the table ("stock_trades_3_:_Writer").
    const tradesWriter = `operator_name="${TRADES_TABLE}_`;
    assert.ok(total(series('flink_taskmanager_job_task_operator_rowsWritten'), tradesWriter) >= TRADES);
    assert.equal(total(series('flink_taskmanager_job_task_operator_rowsRefused'), tradesWriter), REFUSED);
  });

  it('never restarted the job', async () => {
    const health = await stack.flink?.health();
    assert.equal(health?.state, 'RUNNING');
    assert.equal(health?.restarts, 0);
    assert.equal(stack.job.recoveries, 0);
  });
});
