import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, kafkaConnection, loadConfig } from './index.ts';

const secured = (env: Record<string, string>) =>
  loadConfig({
    env: {
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_CA_FILE: '/nonexistent/ca.crt',
      KAFKA_USERNAME: 'u',
      ...env,
    },
  }).kafka;
const refuses = (kafka: ReturnType<typeof secured>, env: NodeJS.ProcessEnv, message: RegExp) =>
  assert.throws(
    () => kafkaConnection(kafka, env),
    (e: Error) => e instanceof ConfigError && message.test(e.message),
  );

describe('kafkaConnection', () => {
  it('is the brokers alone for plaintext', () => {
    assert.deepEqual(kafkaConnection(loadConfig({ env: {} }).kafka, {}), { brokers: ['127.0.0.1:9092'] });
  });

  it('is SCRAM-SHA-512 over TLS verified against the CA file, password from KAFKA_PASSWORD', () => {
    const ca = join(mkdtempSync(join(tmpdir(), 'ts-ca-')), 'ca.crt');
    writeFileSync(ca, 'PEM');
    const connection = kafkaConnection(secured({ KAFKA_CA_FILE: ca }), { KAFKA_PASSWORD: 'p4ss' });
    assert.deepEqual(connection.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p4ss' });
    assert.deepEqual(connection.ssl, { ca: [Buffer.from('PEM')], rejectUnauthorized: true });
  });

  it('names what is missing: the CA file, the user, the password, an unreadable CA', () => {
    const kafka = secured({});
    refuses(
      { ...kafka, caFile: undefined },
      { KAFKA_PASSWORD: 'p' },
      /^invalid config kafka\.caFile: required/,
    );
    refuses(
      { ...kafka, username: undefined },
      { KAFKA_PASSWORD: 'p' },
      /^invalid config kafka\.username: required/,
    );
    refuses(kafka, {}, /^KAFKA_PASSWORD is not set/);
    refuses(
      kafka,
      { KAFKA_PASSWORD: 'p' },
      /^invalid config kafka\.caFile: cannot read \/nonexistent\/ca\.crt \(ENOENT\)/,
    );
  });

  it('makes the producer exit 2 with one line when the password is missing', () => {
    const main = fileURLToPath(new URL('../producer/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
      encoding: 'utf8',
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        PRODUCER_METRICS_PORT: '0',
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_CA_FILE: '/etc/hostname',
        KAFKA_USERNAME: 'tradestream-producer',
        KAFKA_PASSWORD: '',
      },
    });
    assert.equal(result.status, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /KAFKA_PASSWORD is not set/);
  });
});
