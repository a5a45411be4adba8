import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher, type TopicBatch } from './batcher.ts';

const slots = Array.from({ length: 6 }, (_, i) => ({ topic: `t${i % 2}`, partition: Math.floor(i / 2) }));

/** A sink that records each request and acknowledges it when told (a stand-in for the network, not Kafka). */
function sink() {
  const requests: { lane: number; topics: TopicBatch[]; ack: () => void; fail: (e: Error) => void }[] = [];
  const send = (lane: number, topics: TopicBatch[]) =>
    new Promise<void>((ack, fail) => requests.push({ lane, topics, ack, fail }));
  return { requests, send };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
const count = (topics: TopicBatch[]) => topics.reduce((n, t) => n + t.messages.length, 0);

describe('batcher', () => {
  it('sends a lane when a slot fills, with many records per request, one request per lane in flight', async () => {
    const { requests, send } = sink();
    const batcher = new Batcher({
      slots,
      lanes: 2,
      batchSize: 100,
      batchBytes: 1e9,
      lingerMs: 60_000,
      maxBuffered: 10_000,
      send,
    });
    for (let i = 0; i < 99; i++) batcher.append(0, 'K', `v${i}`, 0);
    await tick();
    assert.equal(requests.length, 0, 'nothing before the batch is full or the linger passed');
    batcher.append(0, 'K', 'v99', 0);
    batcher.append(2, 'K', 'other', 1);
    await tick();
    assert.equal(requests.length, 1);
    assert.equal(count(requests[0]?.topics ?? []), 101, 'the request carries every slot of the lane');
    // More for the same lane waits until the request in flight is acknowledged.
    for (let i = 0; i < 150; i++) batcher.append(0, 'K', `w${i}`, 0);
    await tick();
    assert.equal(requests.length, 1);
    requests[0]?.ack();
    await tick();
    await tick();
    assert.equal(requests.length, 2);
    assert.equal(count(requests[1]?.topics ?? []), 100, 'at most batchSize per slot');
    assert.deepEqual(
      requests[1]?.topics[0]?.messages.slice(0, 2).map((m) => m.value),
      ['w0', 'w1'],
      'in order',
    );
    const closing = batcher.close();
    for (let i = 0; i < 10 && batcher.buffered > 0; i++) {
      for (const r of requests.splice(0)) r.ack();
      await tick();
      await tick();
    }
    await closing;
    assert.equal(batcher.buffered, 0);
  });

  it('sends a partial batch after lingerMs', async () => {
    const { requests, send } = sink();
    const batcher = new Batcher({
      slots,
      lanes: 3,
      batchSize: 1_000,
      batchBytes: 1e9,
      lingerMs: 5,
      maxBuffered: 10_000,
      send,
    });
    batcher.append(4, 'K', 'x', 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(requests.length, 1);
    requests[0]?.ack();
    await batcher.close();
  });

  it('bounds a request by bytes', async () => {
    const { requests, send } = sink();
    const batcher = new Batcher({
      slots,
      lanes: 1,
      batchSize: 1_000,
      batchBytes: 100,
      lingerMs: 60_000,
      maxBuffered: 10_000,
      send,
    });
    for (let i = 0; i < 10; i++) batcher.append(0, 'K', 'x'.repeat(29), 0);
    await tick();
    assert.equal(count(requests[0]?.topics ?? []), 3, '3 records of 30 bytes fit 100');
    requests[0]?.ack();
    const closing = batcher.close();
    while (batcher.buffered > 0) {
      await tick();
      for (const r of requests.splice(0)) r.ack();
    }
    await closing;
  });

  it('applies backpressure: no room once maxBuffered records are unacknowledged', async () => {
    const { requests, send } = sink();
    const batcher = new Batcher({
      slots,
      lanes: 2,
      batchSize: 10,
      batchBytes: 1e9,
      lingerMs: 60_000,
      maxBuffered: 25,
      send,
    });
    for (let i = 0; i < 25; i++) batcher.append(i % 2, 'K', 'v', 0);
    assert.equal(batcher.room(), 0);
    let released = false;
    const waiting = batcher.waitForRoom().then(() => {
      released = true;
    });
    await tick();
    assert.equal(released, false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const r of requests.splice(0)) r.ack();
    await waiting;
    assert.ok(batcher.room() > 0);
    const closing = batcher.close();
    while (batcher.buffered > 0) {
      await tick();
      for (const r of requests.splice(0)) r.ack();
    }
    await closing;
  });

  it('retries a failed request as it was, and loses nothing', async () => {
    const { requests, send } = sink();
    const errors: number[] = [];
    const batcher = new Batcher({
      slots,
      lanes: 1,
      batchSize: 5,
      batchBytes: 1e9,
      lingerMs: 60_000,
      maxBuffered: 100,
      send,
      onError: (_e, _lane, attempt) => errors.push(attempt),
    });
    for (let i = 0; i < 5; i++) batcher.append(0, 'K', `v${i}`, 0);
    await tick();
    const first = requests.shift();
    first?.fail(new Error('connection lost'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(errors, [1]);
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]?.topics, first?.topics);
    requests[0]?.ack();
    await batcher.close();
    assert.equal(batcher.buffered, 0);
  });
});
