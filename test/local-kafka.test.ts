import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { LocalKafka } from '../src/local/kafka.ts';

describe('local Kafka broker', { timeout: 180_000 }, () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await LocalKafka.start({ heap: '512m' });
  });
  after(async () => kafka?.stop());

  it('serves produce and fetch, and keeps data across a restart', async () => {
    await kafka.createTopics([{ name: 'smoke', partitions: 2 }]);
    const client = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'smoke', messages: [{ key: 'k', value: 'v1' }] });
    await producer.disconnect();

    await kafka.restart();
    assert.ok(kafka.running);
    const admin = client.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('smoke');
    await admin.disconnect();
    assert.equal(
      offsets.reduce((sum, p) => sum + Number(p.high), 0),
      1,
    );
  });
});
