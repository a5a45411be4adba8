import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/index.ts';
import { parseProducerArgs } from './cli.ts';

describe('producer command line', () => {
  it('flags override the environment', () => {
    const config = parseProducerArgs(
      ['--rate', '5000', '--mode', 'replay', '--max-trades', '10', '--profile', 'wide'],
      {
        PRODUCER_RATE: '10',
        KAFKA_BROKERS: 'a:1,b:2',
      },
    );
    assert.equal(config.producer.rate, 5000);
    assert.equal(config.producer.mode, 'replay');
    assert.equal(config.producer.maxTrades, 10);
    assert.equal(config.profile, 'wide');
    assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
  });

  it('a bad value names the field', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--rate', 'fast'], {}, /producer\.rate/],
      [['--compression', 'brotli'], {}, /producer\.compression/],
      [[], { PRODUCER_BATCH_SIZE: '0' }, /producer\.batchSize.*PRODUCER_BATCH_SIZE/],
      [['--instance-id', 'has space'], {}, /producer\.instanceId/],
      [['--bogus'], {}, /unknown option '--bogus'/],
    ];
    for (const [argv, env, message] of cases) {
      assert.throws(
        () => parseProducerArgs(argv, env),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
      );
    }
    // The config schema refuses what the producer cannot run (every loader, npm run synth included).
    assert.throws(
      () => parseProducerArgs(['--acks', 'leader'], {}),
      (e: Error) => e instanceof ConfigError && /producer\.acks/.test(e.message),
    );
  });

  it('main exits 2 with one line on a bad value', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, '--max-in-flight', '1000'], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /producer\.maxInFlight/);
  });
});
