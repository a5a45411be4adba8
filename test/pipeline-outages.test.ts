/**
 * A bad day for the servers the job needs: PostgreSQL SIGKILLed mid-stream and back after 15 s (at-least-once),
 * and the Kafka broker restarted under the running job (exactly-once). Each time: every trade stored exactly
 * once, the alerts and the windows complete and exact, and the job running again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PipelineConfig } from '../src/config/index.ts';
import { LocalStack } from '../src/local/stack.ts';
import { TRADES_TABLE } from '../src/schema/index.ts';
import { expectedAlerts } from './pipeline-expected.ts';
import {
  assertWindowsMatch,
  produce,
  readCommitted,
  readTopic,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const TRADES = 24_000;
const RATE = 1_200;
const OUTAGE_MS = 15_000;
/** Event time at the pace of wall time (as live trading), with windows short enough to close within the run. */
const LIVE_PACE = { producer: { replayTradesPerSecond: RATE }, windows: { vwapSeconds: 5 } } as const;

async function assertStoredOnce(stack: LocalStack, config: PipelineConfig): Promise<void> {
  const trades = replayTrades(config, TRADES);
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
}

describe('PostgreSQL SIGKILLed mid-stream and restarted after 15 s (at-least-once)', () => {
  const config = replayConfig(LIVE_PACE);
  let stack: LocalStack;
  let storedAtCrash = 0;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const producing = produce(stack, TRADES, RATE);
    await until(
      'a quarter of the trades stored',
      async () => (await stack.counts()).storedTrades >= TRADES / 4,
    );
    storedAtCrash = (await stack.counts()).storedTrades;
    await stack.postgres.kill();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await stack.postgres.restart();
    await producing;
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES, 300_000);
  });

  after(async () => {
    await stack?.stop();
  });

  it('lost the database mid-run', () => {
    assert.ok(
      storedAtCrash > 0 && storedAtCrash < TRADES,
      `stored ${storedAtCrash} of ${TRADES} at the crash`,
    );
  });

  it('stores every trade exactly once', async () => {
    await assertStoredOnce(stack, config);
  });

  it('publishes every alert (at least once: each exactly once after removing redeliveries)', async () => {
    const expected = expectedAlerts(replayTrades(config, TRADES), config.alerts);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    const alerts = await readTopic<{ trade_id: string; rule: string }>(
      stack,
      config.kafka.alertsTopic,
      expected.length,
    );
    assert.deepEqual([...new Set(alerts.map(key))].sort(), expected.map(key).sort());
  });

  // A producer catching up after an outage can deliver a topic's trades after the watermark passed them:
  // late by the rule, and accounted for in late_trades rather than lost.
  it('keeps the windows complete and exact', async () => {
    await assertWindowsMatch(stack, replayTrades(config, TRADES));
  });

  it('runs again, by Flink restarts or by the stack replacing the JVM', async () => {
    await until('the job RUNNING', async () => (await stack.flink?.health())?.state === 'RUNNING', 60_000);
    assert.ok(stack.job.restarts + stack.job.recoveries > 0, 'the outage was noticed');
  });
});

describe('the Kafka broker restarted under the running job (exactly-once)', () => {
  const config = replayConfig({
    ...LIVE_PACE,
    flink: { deliveryGuarantee: 'exactly-once', checkpointIntervalMs: 2_000 },
  });
  let stack: LocalStack;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    // The producer retries through the outage (idempotent: no trade lost or written twice).
    const producing = produce(stack, TRADES, RATE);
    await until(
      'a quarter of the trades stored',
      async () => (await stack.counts()).storedTrades >= TRADES / 4,
    );
    await stack.kafka.kill();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await stack.kafka.restart();
    await producing;
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES, 300_000);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores every trade exactly once', async () => {
    await assertStoredOnce(stack, config);
  });

  it('publishes every alert exactly once to a read-committed consumer', async () => {
    const expected = expectedAlerts(replayTrades(config, TRADES), config.alerts);
    const alerts = await readCommitted<{ trade_id: string; rule: string }>(stack, config.kafka.alertsTopic);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
  });

  it('keeps the windows complete and exact', async () => {
    await assertWindowsMatch(stack, replayTrades(config, TRADES));
  });

  it('runs again', async () => {
    await until('the job RUNNING', async () => (await stack.flink?.health())?.state === 'RUNNING', 60_000);
  });
});
