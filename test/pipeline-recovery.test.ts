/**
 * The Flink job killed mid-run (SIGKILL, no final checkpoint) and started again from its last checkpoint, in
 * exactly-once mode: no stored trade lost or duplicated, no alert lost or duplicated for a read-committed
 * consumer, and the windows still exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { expectedAlerts } from './pipeline-expected.ts';
import {
  assertStoredOnce,
  assertWindowsMatch,
  produce,
  readCommitted,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const TRADES = 24_000;
const RATE = 1_500;
const config = replayConfig({ flink: { deliveryGuarantee: 'exactly-once', checkpointIntervalMs: 2_000 } });
const trades = replayTrades(config, TRADES);

describe('pipeline killed and restored from its checkpoint (exactly-once)', () => {
  let stack: LocalStack;
  let storedAtCrash = 0;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const producing = produce(stack, TRADES, RATE);
    await until(
      'a quarter of the trades stored',
      async () => (await stack.counts()).storedTrades >= TRADES / 4,
    );
    await stack.flink?.waitForCheckpoints(1);
    storedAtCrash = (await stack.counts()).storedTrades;
    await stack.crashAndRecoverFlink();
    await producing;
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
  });

  after(async () => {
    await stack?.stop();
  });

  it('crashed mid-run', () => {
    assert.ok(
      storedAtCrash > 0 && storedAtCrash < TRADES,
      `stored ${storedAtCrash} of ${TRADES} at the crash`,
    );
  });

  it('stores every trade exactly once', async () => {
    await assertStoredOnce(stack, trades);
  });

  it('publishes every alert exactly once to a read-committed consumer', async () => {
    const expected = expectedAlerts(trades, config);
    const alerts = await readCommitted<{ trade_id: string; rule: string }>(stack, config.kafka.alertsTopic);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
  });

  it('keeps the windows exact across the restart', async () => {
    const mustClose = await assertWindowsMatch(stack, trades);
    assert.ok(mustClose.length > 10, `windows checked (${mustClose.length})`);
  });
});
