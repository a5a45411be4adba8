import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './rate.ts';

describe('token bucket', () => {
  it('hands out rate tokens per second in chunks, whatever the chunk size', () => {
    let now = 0;
    const bucket = new TokenBucket(200_000, 20_000, () => now);
    let taken = 0;
    // One simulated second in 4 ms steps, taking chunks of up to 512.
    for (let step = 0; step < 250; step++) {
      now += 4;
      while (true) {
        const n = bucket.take(512);
        if (n === 0) break;
        taken += n;
      }
    }
    assert.equal(taken, 200_000);
  });

  it('caps what accumulates while the producer was held up, and tells how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(1_000, 100, () => now);
    now = 10_000;
    assert.equal(bucket.take(1_000_000), 100);
    assert.equal(bucket.take(1), 0);
    assert.equal(bucket.waitMs(10), 10);
    now += 10;
    assert.equal(bucket.waitMs(10), 0);
    assert.equal(bucket.take(64), 10);
  });

  it('rate 0 is unlimited', () => {
    const bucket = new TokenBucket(0, 0, () => 0);
    assert.equal(bucket.take(512), 512);
    assert.equal(bucket.waitMs(512), 0);
  });
});
