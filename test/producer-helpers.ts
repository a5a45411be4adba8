/** Reading trade topics back for the producer's integration tests, and the exactly-once check. */
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Every record of the topics, from the start to the high watermark each partition has now. */
export async function readTopics(bootstrap: string, topics: string[]): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
  }
  await admin.disconnect();
  let remaining = [...ends.values()].filter((high) => high > 0).length;
  const records: ReadRecord[] = [];
  if (remaining === 0) return records;
  const consumer = kafka.consumer({ groupId: `read-${topics[0]}-${Date.now()}`, maxBytes: 64 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(`${batch.topic}/${batch.partition}`) ?? 0;
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset >= end) continue;
            records.push({
              topic: batch.topic,
              partition: batch.partition,
              offset,
              key: m.key?.toString() ?? '',
              value: m.value?.toString() ?? '',
            });
            if (offset === end - 1 && --remaining === 0) resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records;
}

/**
 * Exactly trades `${instance}-0` .. `${instance}-${total - 1}`, each once; and per partition, each ticker's
 * trades in the order they were generated (their sequence numbers rise).
 */
export function checkExactlyOnce(records: ReadRecord[], instance: string, total: number): void {
  const seen = new Uint8Array(total);
  const lastOfTicker = new Map<string, number>();
  const sorted = [...records].sort((a, b) =>
    a.topic === b.topic
      ? a.partition === b.partition
        ? a.offset - b.offset
        : a.partition - b.partition
      : a.topic < b.topic
        ? -1
        : 1,
  );
  for (const r of sorted) {
    const {
      trade_id: id,
      sequence,
      ticker,
    } = JSON.parse(r.value) as { trade_id: string; sequence: number; ticker: string };
    assert.equal(id, `${instance}-${sequence}`);
    assert.ok(sequence >= 0 && sequence < total, `unexpected trade ${id}`);
    assert.equal(seen[sequence], 0, `duplicate trade ${id}`);
    seen[sequence] = 1;
    const last = lastOfTicker.get(ticker) ?? -1;
    assert.ok(sequence > last, `${ticker}: trade ${sequence} after ${last}`);
    lastOfTicker.set(ticker, sequence);
  }
  const missing = seen.indexOf(0);
  assert.equal(missing, -1, `trade ${instance}-${missing} is missing`);
  assert.equal(records.length, total);
}
