import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  allTopics,
  ConfigError,
  configFields,
  loadConfig,
  PRODUCER_SECTIONS,
  producerConfigEnv,
  TRADE_RETENTION_MS,
  topicForTicker,
  tradeTopics,
} from './index.ts';

describe('pipeline config', () => {
  it('has sane defaults', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.profile, 'narrow');
    assert.equal(config.producer.acks, 'all');
    assert.equal(config.producer.idempotent, true);
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
  });

  it('reads fields from upper-snake env variables, overrides win', () => {
    const env = {
      PRODUCER_RATE: '5000',
      KAFKA_BROKERS: 'a:1, b:2',
      PRODUCER_IDEMPOTENT: 'false',
      PROFILE: 'wide',
    };
    const config = loadConfig({ env, overrides: { producer: { rate: 7 } } });
    assert.equal(config.producer.rate, 7);
    assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(config.producer.idempotent, false);
    assert.equal(config.profile, 'wide');
    assert.ok(configFields().some((f) => f.env === 'KAFKA_TRADE_TOPIC_COUNT'));
  });

  it('names the field, the value and the env variable on a bad value', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ PRODUCER_RATE: 'fast' }, /^invalid config producer\.rate: .*\(got "fast"; env PRODUCER_RATE\)$/],
      [{ PROFILE: 'huge' }, /^invalid config profile: .*narrow.*wide.*\(got "huge"; env PROFILE\)$/],
      [{ KAFKA_TRADE_TOPIC_COUNT: '0' }, /^invalid config kafka\.tradeTopicCount: /],
      [{ PRODUCER_COMPRESSION: 'brotli' }, /^invalid config producer\.compression: /],
      [
        { PRODUCER_ACKS: 'leader' },
        /^invalid config producer\.acks: an idempotent producer needs acks=all .*\(got "leader"; env PRODUCER_ACKS\)$/,
      ],
      [
        { KUBERNETES_POSTGRES_RESOURCES_MEMORY_LIMIT: '1G' },
        /^invalid config kubernetes\.postgres\.resources\.memoryLimit: memory in Ki, Mi, Gi or Ti/,
      ],
      [
        { KUBERNETES_PRODUCER_RESOURCES_CPU_REQUEST: '100Mi' },
        /^invalid config kubernetes\.producer\.resources\.cpuRequest: /,
      ],
      [
        { WINDOWS_MAX_EVENT_AHEAD_MS: '4000' },
        /^invalid config windows\.maxEventAheadMs: must be at most windows\.watermarkDelayMs - market\.outOfOrderMaxMs \(3000\).*\(got "4000"; env WINDOWS_MAX_EVENT_AHEAD_MS\)$/,
      ],
    ];
    for (const [env, message] of bad) {
      assert.throws(
        () => loadConfig({ env }),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    }
  });

  it('a non-idempotent producer may use any acks', () => {
    const config = loadConfig({ env: { PRODUCER_ACKS: 'leader', PRODUCER_IDEMPOTENT: 'false' } });
    assert.equal(config.producer.acks, 'leader');
  });

  it("gives the producer's environment its sections only, and they load back the same", () => {
    const config = loadConfig({ env: { ALERTS_VOLUME_THRESHOLD: '25000', FLINK_PARALLELISM: '8' } });
    const env = producerConfigEnv(config);
    assert.equal(env.ALERTS_VOLUME_THRESHOLD, '25000');
    assert.equal(env.FLINK_PARALLELISM, undefined);
    const loaded = loadConfig({ env });
    for (const section of PRODUCER_SECTIONS) assert.deepEqual(loaded[section], config[section], section);
  });

  it('closes trade topic segments well within their retention, so retention can delete them', () => {
    const config = loadConfig({ env: {} });
    for (const topic of allTopics(config).filter((t) => tradeTopics(config).includes(t.name))) {
      const segmentMs = Number(topic.config?.['segment.ms']);
      assert.ok(segmentMs > 0 && segmentMs <= TRADE_RETENTION_MS / 2, topic.name);
      assert.equal(topic.config?.['message.timestamp.type'], 'LogAppendTime');
    }
  });

  it('routes every ticker to one of the trade topics, stably', () => {
    const config = loadConfig({ env: { KAFKA_TRADE_TOPIC_COUNT: '25' } });
    const topics = tradeTopics(config);
    assert.equal(topics.length, 25);
    assert.equal(topics[0], 'trades-00');
    assert.equal(allTopics(config).length, 27);
    assert.equal(topicForTicker('AAPL', topics), topicForTicker('AAPL', topics));
    const used = new Set(Array.from({ length: 500 }, (_, i) => topicForTicker(`T${i}`, topics)));
    assert.equal(used.size, 25);
  });

  it('a command exits 2 with one line on invalid config', () => {
    const script =
      "import { loadConfig, runMain } from './src/config/index.ts'; runMain(() => { loadConfig(); });";
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, PRODUCER_ACKS: 'some' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /producer\.acks/);
  });
});
