import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { compressionType } from './codecs.ts';
import { produceRequests } from './fast-produce.ts';

const { kafkajs, fast } = produceRequests();
const Long = createRequire(import.meta.url)('kafkajs/src/utils/long.js') as {
  fromNumber: (n: number) => unknown;
};

// kafkajs stamps batches with Date.now(): freeze it so both encoders stamp alike.
const frozen = <T>(f: () => Promise<T>) => {
  const now = Date.now;
  Date.now = () => 1_767_623_400_123;
  return f().finally(() => {
    Date.now = now;
  });
};

const messages = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    key: i % 7 === 0 ? null : i % 5 === 0 ? Buffer.from([1, 2, 3]) : `K${i}`,
    value: i % 11 === 0 ? `é€😀 ${'v'.repeat(i)}` : `{"trade_id":"p-${offset + i}","price":${i}.25}`,
  }));

const topicData = [
  {
    topic: 'trades-00',
    partitions: [
      { partition: 0, firstSequence: 0, messages: messages(1) },
      { partition: 3, firstSequence: 2_000_000, messages: messages(300, 7) },
    ],
  },
  {
    topic: 'trades-long-topic-name',
    partitions: [{ partition: 11, firstSequence: 5, messages: messages(70) }],
  },
];

async function bytes(factory: typeof fast, args: Parameters<typeof fast>[0]) {
  return (await factory(args).encode()).buffer;
}

describe('one-pass Produce request encoder', () => {
  it('writes the bytes kafkajs writes, idempotent or not, transactional or not', async () => {
    const producerId = Long.fromNumber(2 ** 40 + 123_456);
    for (const args of [
      { acks: -1, timeout: 30_000, topicData },
      { acks: 1, timeout: 1_000, topicData, producerId, producerEpoch: 3 },
      { acks: -1, timeout: 30_000, topicData, producerId, producerEpoch: 0, transactionalId: 'tx-1' },
      { acks: -1, timeout: 30_000, topicData, producerId: 4_001, producerEpoch: 0 },
      { acks: -1, timeout: 30_000, topicData, producerId: -1, producerEpoch: 0 },
    ]) {
      await frozen(async () => {
        assert.ok((await bytes(fast, args as never)).equals(await bytes(kafkajs, args as never)));
      });
    }
  });

  for (const codec of ['gzip', 'lz4', 'zstd'] as const) {
    it(`writes the bytes kafkajs writes with ${codec}`, async () => {
      const compression = compressionType(codec);
      const args = { acks: -1, timeout: 30_000, topicData, compression };
      await frozen(async () => {
        assert.ok((await bytes(fast, args as never)).equals(await bytes(kafkajs, args as never)));
      });
    });
  }

  it('leaves records with timestamps or headers to kafkajs', async () => {
    const args = {
      acks: -1,
      timeout: 30_000,
      compression: CompressionTypes.None,
      topicData: [
        { topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: '5' }] }] },
      ],
    };
    await frozen(async () => {
      assert.ok((await bytes(fast, args as never)).equals(await bytes(kafkajs, args as never)));
    });
  });
});
