/**
 * The whole pipeline through a Kafka broker locked as on Kubernetes (kafka.securityProtocol=sasl_ssl): one
 * listener, SCRAM-SHA-512 over TLS, ACLs enforced, each client its own user with the ACLs of kafka-access.ts
 * (the same list the charts turn into KafkaUsers). The producer (kafkajs, from its config and KAFKA_PASSWORD)
 * writes the trades; the job reads them, writes exactly-once alerts (transactional ids) and decoder dead letters,
 * and its PostgreSQL sink dead-letters a refused row through its own Kafka producer. A missing grant or a client
 * that ignores the security settings fails this run as it would fail a cluster. And the lock holds: no plaintext,
 * no wrong password, no read beyond a user's grants.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { kafkaConnection, topicForTicker, tradeTopics } from '../src/config/index.ts';
import { consoleConsumerCommand, stateFile, writeState } from '../src/local/access.ts';
import { javaBinary, PROJECT_ROOT } from '../src/local/maven.ts';
import { LocalStack } from '../src/local/stack.ts';
import { tradeAt } from '../src/market/index.ts';
import { KAFKA_USERS } from '../src/pipeline/kafka-access.ts';
import { SQL_ENV } from '../src/pipeline/sql.ts';
import { TRADES_TABLE } from '../src/schema/index.ts';
import { expectedAlerts, type TradeFacts } from './pipeline-expected.ts';
import {
  assertStoredOnce,
  injectRaw,
  produce,
  readCommitted,
  readDeadLetters,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const run = promisify(execFile);
const TRADES = 3_000;
/** A volume the schema allows and the replay never has, refused by a CHECK constraint. */
const REFUSED_VOLUME = 4_242;
const MALFORMED = '{"trade_id": ';

const config = replayConfig({
  kafka: { securityProtocol: 'sasl_ssl' },
  flink: { deliveryGuarantee: 'exactly-once' },
});
const trades = replayTrades(config, TRADES);
const refused = { ...(tradeAt(config, 'refused-1', 0) as TradeFacts), volume: REFUSED_VOLUME };

/**
 * Whether a client with these settings can read one record of `topic` as `group`, or why not: the error and the
 * Kafka error codes kafkajs met on the way (it reports a refused FindCoordinator only in its debug log).
 */
async function tryRead(
  connection: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>,
  topic: string,
  group: string,
) {
  const codes = new Set<string>();
  const kafka = new Kafka({
    ...connection,
    logLevel: logLevel.DEBUG,
    logCreator: () => (entry) => {
      const type = (entry.log.error as { type?: string } | undefined)?.type;
      if (type) codes.add(type);
    },
    connectionTimeout: 3_000,
    retry: { retries: 0 },
  });
  const consumer = kafka.consumer({ groupId: group, retry: { retries: 0 } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const first = new Promise<string>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer.run({ eachMessage: async () => resolve('read') }).catch(reject);
    });
    return await Promise.race([
      first,
      new Promise<string>((r) => setTimeout(() => r('nothing read'), 20_000)),
    ]);
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type) codes.add(type);
    return `refused: ${(error as Error).message} [${[...codes].join(', ')}]`;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** What a client with these settings gets for writing one record to `topic`. */
async function trySend(connection: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>, topic: string) {
  const producer = new Kafka({ ...connection, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'forged' }] });
    return 'sent';
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** What a client with these settings gets for the offsets of `topic` (a Describe on the topic). */
async function tryDescribe(connection: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>, topic: string) {
  const admin = new Kafka({ ...connection, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.fetchTopicOffsets(topic);
    return 'described';
  } catch (error) {
    return `refused: ${(error as { type?: string }).type ?? (error as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe('the pipeline through a SCRAM-over-TLS broker with ACLs', () => {
  let stack: LocalStack;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const db = await stack.postgres.client();
    try {
      await db.query(
        `ALTER TABLE ${TRADES_TABLE} ADD CONSTRAINT volume_not_4242 CHECK (volume <> ${REFUSED_VOLUME})`,
      );
    } finally {
      await db.end();
    }
    await injectRaw(stack, [MALFORMED]);
    await injectRaw(stack, [JSON.stringify(refused)], topicForTicker(refused.ticker, tradeTopics(config)));
    await produce(stack, TRADES);
    await until('every valid trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
  });

  after(async () => {
    await stack?.stop();
  });

  it('runs every client of the job and the producer as its own user, over TLS', () => {
    assert.ok(stack.kafka.caFile);
    for (const [client, env] of [
      ['pipeline', stack.sqlEnv],
      ['producer', stack.kafkaClientEnv('producer')],
    ] as const) {
      assert.equal(env[SQL_ENV.kafkaSecurityProtocol], 'sasl_ssl', client);
      assert.equal(env[SQL_ENV.kafkaUsername], KAFKA_USERS[client], client);
    }
  });

  it('stores every trade the producer wrote, each once', async () => {
    await assertStoredOnce(stack, trades);
  });

  it('publishes the alerts exactly once, through transactions the job may open', async () => {
    const alerts = await readCommitted<{ trade_id: string; rule: string }>(stack, config.kafka.alertsTopic);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    // The refused trade came first on its ticker's partition: it counts in that ticker's trailing average.
    const expected = expectedAlerts([refused, ...trades], config);
    assert.ok(expected.length > 0);
    assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
  });

  it('dead-letters the malformed record (decoder) and the refused row (the sink’s own producer)', async () => {
    const letters = await readDeadLetters(stack, 2);
    assert.equal(letters.length, 2);
    assert.ok(letters.some((l) => l.payload?.toString() === MALFORMED && l.reason.length > 0));
    assert.ok(letters.some((l) => /^refused by PostgreSQL: 23514 .*volume_not_4242/.test(l.reason)));
  });

  it('serves npm run alerts and the banner’s console consumer as the viewer', async () => {
    const expected = new Set(
      expectedAlerts([refused, ...trades], config).map((a) => `${a.trade_id}/${a.rule}`),
    );
    const dir = mkdtempSync(join(tmpdir(), 'tradestream-state-'));
    const { facts, passwords } = await stack.accessFacts();
    const state = await writeState(facts, passwords, dir);
    assert.doesNotMatch(readFileSync(stateFile(dir), 'utf8'), new RegExp(passwords.kafkaViewer as string));
    assert.equal(statSync(state.kafka.viewer?.passwordFile as string).mode & 0o777, 0o600);
    const keys = (lines: string[]) =>
      new Set(
        lines
          .map((l) => JSON.parse(l) as { trade_id: string; rule: string })
          .map((a) => `${a.trade_id}/${a.rule}`),
      );
    const alertsMain = await run(
      process.execPath,
      ['--import', 'tsx', 'src/local/alerts-main.ts', '--no-follow'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TRADESTREAM_STATE_DIR: dir },
        maxBuffer: 64 << 20,
      },
    );
    assert.deepEqual(
      keys(alertsMain.stdout.trim().split('\n')),
      expected,
      'one JSON alert per line, nothing else',
    );
    const command = consoleConsumerCommand(state, config.kafka.alertsTopic, javaBinary());
    assert.ok(command);
    const consoleConsumer = await run('sh', ['-c', `${command} --timeout-ms 8000`], {
      maxBuffer: 64 << 20,
    }).catch(
      (error: { stdout: string }) => error, // it exits 1 when the timeout ends it
    );
    // The console consumer also prints a line of its own when its --timeout-ms ends it.
    assert.deepEqual(keys(consoleConsumer.stdout.split('\n').filter((l) => l.startsWith('{'))), expected);
  });

  it('refuses plaintext, a wrong password, and reads beyond a user’s grants', async () => {
    const viewer = kafkaConnection(
      {
        ...config.kafka,
        brokers: [stack.kafka.bootstrap],
        caFile: stack.kafka.caFile,
        username: KAFKA_USERS.viewer,
      },
      { KAFKA_PASSWORD: stack.kafka.password(KAFKA_USERS.viewer) },
    );
    const alerts = config.kafka.alertsTopic;
    const group = `tradestream-viewer-test-${Date.now()}`;
    assert.equal(await tryRead(viewer, alerts, group), 'read', 'the viewer reads the alerts');
    assert.match(await tryRead({ brokers: viewer.brokers }, alerts, group), /^refused/, 'plaintext');
    assert.match(
      await tryRead(
        { ...viewer, sasl: { mechanism: 'scram-sha-512', username: KAFKA_USERS.viewer, password: 'wrong' } },
        alerts,
        group,
      ),
      /^refused: .*authentication failed/i,
    );
    // The viewer may not read trades nor use a group of another name; the producer may not even see alerts.
    assert.match(
      await tryRead(viewer, tradeTopics(config)[0] as string, group),
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    assert.match(await tryRead(viewer, alerts, `other-${Date.now()}`), /GROUP_AUTHORIZATION_FAILED/);
    const producer = stack.kafka.connection(KAFKA_USERS.producer);
    assert.equal(await tryDescribe(producer, tradeTopics(config)[0] as string), 'described');
    assert.equal(await tryDescribe(producer, alerts), 'refused: TOPIC_AUTHORIZATION_FAILED');
    assert.match(
      await trySend(producer, alerts),
      /^refused: Not authorized to access topics/,
      'no forged alerts',
    );
  });
});
