/**
 * The Flink job killed mid-run (SIGKILL, no final checkpoint) and started again from its last checkpoint, in
 * exactly-once mode: no stored trade lost or duplicated, no alert lost or duplicated for a read-committed
 * consumer, and the windows still exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { TRADES_TABLE } from '../src/schema/index.ts';
import { expectedAlerts, expectedWindows } from './pipeline-expected.ts';
import { produce, readCommitted, replayConfig, replayTrades, until } from './pipeline-helpers.ts';

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
    const db = await stack.postgres.client();
    try {
      const { rows } = await db.query<{ trade_id: string; volume: string }>(
        `SELECT trade_id, volume::text FROM ${TRADES_TABLE}`,
      );
      assert.equal(rows.length, TRADES);
      const stored = new Map(rows.map((r) => [r.trade_id, Number(r.volume)]));
      for (const t of trades) assert.equal(stored.get(t.trade_id), t.volume, t.trade_id);
    } finally {
      await db.end();
    }
  });

  it('publishes every alert exactly once to a read-committed consumer', async () => {
    const expected = expectedAlerts(trades, config.alerts);
    const alerts = await readCommitted<{ trade_id: string; rule: string }>(stack, config.kafka.alertsTopic);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
  });

  it('keeps the windows exact across the restart', async () => {
    const expected = expectedWindows(trades, config.windows.vwapSeconds * 1000);
    const db = await stack.postgres.client();
    try {
      const { rows } = await db.query<{ key: string; notional: string; trade_count: string }>(
        `SELECT ticker || '@' || (extract(epoch FROM window_start) * 1000)::bigint AS key, notional::text,
                trade_count::text FROM trade_vwap_1m`,
      );
      assert.ok(rows.length > 10, `windows stored (${rows.length})`);
      for (const row of rows) {
        const want = expected.get(row.key);
        assert.deepEqual([row.notional, row.trade_count], [want?.notional, want?.trade_count], row.key);
      }
    } finally {
      await db.end();
    }
  });
});
