import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configEnv, loadConfig } from './index.ts';

describe('configEnv', () => {
  it('is the environment that loads the same config again (what the spawned producer reads)', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        profile: 'wide',
        producer: {
          mode: 'replay',
          replayStart: new Date('2026-02-03T14:30:00Z'),
          rate: 2500,
          instanceId: 'p-1',
        },
        kafka: { brokers: ['127.0.0.1:1', '127.0.0.1:2'], tradeTopicCount: 3 },
        flink: { deliveryGuarantee: 'exactly-once' },
      },
    });
    const env = configEnv(config);
    assert.equal(env.PRODUCER_REPLAY_START, '2026-02-03T14:30:00.000Z');
    assert.equal(env.KAFKA_BROKERS, '127.0.0.1:1,127.0.0.1:2');
    assert.deepEqual(loadConfig({ env }), config);
  });
});
