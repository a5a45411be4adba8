import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFields, loadConfig, tradeTopics } from '../config/index.ts';
import { TRANSACTIONAL_ID_PREFIX } from './flink-sql.ts';
import { KAFKA_USERS, type KafkaAcl, kafkaAccess, VIEWER_GROUP_PREFIX } from './kafka-access.ts';
import { CONSUMER_GROUP } from './source.ts';
import { pipelineSql, SQL_ENV } from './sql.ts';

// The dead-letter topic shares the trade topics' prefix: a prefix grant would leak it to the producer.
const config = loadConfig({
  env: {
    KAFKA_TRADE_TOPIC_PREFIX: 'trades',
    KAFKA_DEAD_LETTER_TOPIC: 'trades-dlq',
    FLINK_DELIVERY_GUARANTEE: 'exactly-once',
  },
});
const access = kafkaAccess(config);
const granted = (acls: KafkaAcl[], operation: 'Read' | 'Write') =>
  acls.filter((a) => a.operations.includes(operation)).map((a) => `${a.type}:${a.patternType}:${a.name}`);

describe('kafkaAccess', () => {
  it('lets the producer write each trade topic, by name, and nothing else', () => {
    assert.deepEqual(
      granted(access.producer, 'Write'),
      tradeTopics(config).map((t) => `topic:literal:${t}`),
    );
    assert.deepEqual(granted(access.producer, 'Read'), []);
  });

  it('lets the job read the trades with its group and write alerts, dead letters and its transactions', () => {
    assert.deepEqual(granted(access.pipeline, 'Read'), [
      ...tradeTopics(config).map((t) => `topic:literal:${t}`),
      `group:literal:${CONSUMER_GROUP}`,
    ]);
    assert.deepEqual(granted(access.pipeline, 'Write'), [
      `topic:literal:${config.kafka.alertsTopic}`,
      'topic:literal:trades-dlq',
      `transactionalId:prefix:${TRANSACTIONAL_ID_PREFIX}`,
    ]);
  });

  it('grants what the generated SQL uses: its group and every transactional-id prefix', () => {
    const sql = pipelineSql(config);
    assert.deepEqual(
      [...sql.matchAll(/'properties\.group\.id' = '([^']+)'/g)].map((m) => m[1]),
      [CONSUMER_GROUP],
    );
    const prefixes = [...sql.matchAll(/'sink\.transactional-id-prefix' = '([^']+)'/g)].map(
      (m) => m[1] as string,
    );
    assert.ok(prefixes.length >= 2);
    for (const prefix of prefixes) assert.ok(prefix.startsWith(TRANSACTIONAL_ID_PREFIX), prefix);
    assert.equal(new Set(prefixes).size, prefixes.length, 'one prefix per sink');
  });

  it('lets the viewer read alerts and dead letters with its own groups only', () => {
    assert.deepEqual(granted(access.viewer, 'Read'), [
      `topic:literal:${config.kafka.alertsTopic}`,
      'topic:literal:trades-dlq',
      `group:prefix:${VIEWER_GROUP_PREFIX}`,
    ]);
    assert.deepEqual(granted(access.viewer, 'Write'), []);
  });

  it('names one distinct user per client', () => {
    assert.deepEqual(Object.keys(access).sort(), Object.keys(KAFKA_USERS).sort());
    assert.equal(new Set(Object.values(KAFKA_USERS)).size, Object.keys(KAFKA_USERS).length);
  });
});

describe('the Kafka connection settings', () => {
  it('are the same variables for the producer config and the SQL placeholders', () => {
    const env = (field: string) => configFields().find((f) => f.path.join('.') === `kafka.${field}`)?.env;
    assert.equal(env('securityProtocol'), SQL_ENV.kafkaSecurityProtocol);
    assert.equal(env('caFile'), SQL_ENV.kafkaCaFile);
    assert.equal(env('username'), SQL_ENV.kafkaUsername);
    assert.equal(
      configFields().find((f) => f.env === SQL_ENV.kafkaPassword),
      undefined,
      'no password in config',
    );
  });
});
