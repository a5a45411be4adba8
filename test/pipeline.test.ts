/**
 * The whole pipeline on a real Kafka broker, Flink MiniCluster and PostgreSQL server: a deterministic replay
 * from the real producer, whose expected outputs the test computes itself from the simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { ALERT_HISTORY_TABLE, ALERT_RULES } from '../src/pipeline/analytics/index.ts';
import { columnsOf, TRADES_TABLE } from '../src/schema/index.ts';
import { expectedAlerts } from './pipeline-expected.ts';
import {
  assertSlidingWindowsMatch,
  assertWindowsMatch,
  injectRaw,
  produce,
  readDeadLetters,
  readTopic,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const TRADES = 12_000;
const config = replayConfig();
const trades = replayTrades(config, TRADES);

const MALFORMED: [payload: string, reason: string][] = [
  ['this is not JSON', 'not valid JSON'],
  ['[1, 2, 3]', 'not a JSON object'],
  ['{"trade_id": "m-1"}', 'missing field ticker'],
  [
    '{"trade_id":"m-2","ticker":"AAPL","price":10.5,"volume":-100,"trade_timestamp":1767623400000,"side":"BUY","exchange":"NYSE","sequence":1}',
    'volume must be at least 1',
  ],
  [
    '{"trade_id":"m-3","ticker":"AAPL","price":"cheap","volume":100,"trade_timestamp":1767623400000,"side":"BUY","exchange":"NYSE","sequence":1}',
    'price is not a decimal',
  ],
  [
    '{"trade_id":"m-4","ticker":"AAPL","price":10.5,"volume":100,"trade_timestamp":1767623400000,"side":"HOLD","exchange":"NYSE","sequence":1}',
    'side is not one of BUY, SELL',
  ],
];

describe('pipeline on the local stack (at-least-once)', () => {
  let stack: LocalStack;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    await injectRaw(
      stack,
      MALFORMED.map(([payload]) => payload),
    );
    await produce(stack, TRADES);
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores exactly the produced trades in stock_trades, each once, values equal', async () => {
    const db = await stack.postgres.client();
    try {
      const { rows } = await db.query<{
        trade_id: string;
        ticker: string;
        price: string;
        volume: string;
        ms: string;
      }>(
        `SELECT trade_id, ticker, price::text, volume::text,
                (extract(epoch FROM trade_timestamp) * 1000)::bigint::text AS ms FROM ${TRADES_TABLE}`,
      );
      assert.equal(rows.length, TRADES);
      const stored = new Map(rows.map((r) => [r.trade_id, r]));
      for (const t of trades) {
        const row = stored.get(t.trade_id);
        assert.ok(row, `trade ${t.trade_id} stored`);
        assert.deepEqual(
          [row.ticker, Number(row.price), Number(row.volume), Number(row.ms)],
          [t.ticker, t.price, t.volume, t.trade_timestamp],
          t.trade_id,
        );
      }
    } finally {
      await db.end();
    }
  });

  it('alerts exactly the trades that break a rule, with the rule and threshold', async () => {
    const expected = expectedAlerts(trades, config);
    assert.ok(expected.length > 5, `the replay has alerts to check (${expected.length})`);
    const alerts = await readTopic<{
      trade_id: string;
      rule: string;
      threshold: number;
      score: number | null;
      volume: number;
    }>(stack, config.kafka.alertsTopic, expected.length);
    const key = (a: { trade_id: string; rule: string }) => `${a.trade_id}/${a.rule}`;
    assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
    const byKey = new Map(expected.map((a) => [key(a), a]));
    for (const a of alerts) {
      const want = byKey.get(key(a));
      assert.equal(a.threshold, want?.threshold, key(a));
      // The anomaly score's: equal to the last bit (the same fdlibm arithmetic in the same order); the other
      // rules carry none.
      assert.equal(a.score, want?.score ?? null, key(a));
    }
    assert.ok(
      expected.some((a) => a.rule === ALERT_RULES.anomaly),
      'the replay has anomaly alerts to check',
    );
    // Each alert carries its whole trade, whichever rule raised it.
    const byId = new Map(trades.map((t) => [t.trade_id, t]));
    const names = columnsOf(config.profile).map((c) => c.name);
    const pick = (row: object) => names.map((n) => (row as Record<string, unknown>)[n]);
    for (const a of alerts) assert.deepEqual(pick(a), pick(byId.get(a.trade_id) ?? {}), key(a));
    // alert_history keeps the same alerts, one row each.
    const db = await stack.postgres.client();
    try {
      let rows: { key: string; threshold: number }[] = [];
      await until('alert_history holds every alert', async () => {
        ({ rows } = await db.query<{ key: string; threshold: number }>(
          `SELECT alert_key || '/' || rule AS key, threshold FROM ${ALERT_HISTORY_TABLE}`,
        ));
        return rows.length >= expected.length;
      });
      assert.deepEqual(rows.map((r) => r.key).sort(), expected.map(key).sort());
      for (const r of rows) assert.equal(r.threshold, byKey.get(r.key)?.threshold, r.key);
    } finally {
      await db.end();
    }
  });

  it('computes trade_vwap_1m equal to the windows computed here, exactly', async () => {
    const mustClose = await assertWindowsMatch(stack, trades);
    assert.ok(mustClose.length > 10, 'the replay spans several closed windows');
  });

  it('computes the sliding windows equal to those computed here: decimals exact, volatility to 1e-12', async () => {
    const mustClose = await assertSlidingWindowsMatch(stack, trades);
    const { slidingSeconds, slideSeconds } = config.windows;
    assert.ok(mustClose.length > 50, `the replay spans many closed sliding windows (${mustClose.length})`);
    // Overlapping: most trades are in slidingSeconds / slideSeconds windows.
    assert.ok(slidingSeconds / slideSeconds > 1);
    assert.ok(mustClose.some((w) => w.realized_volatility > 0));
  });

  it('routes every malformed record to the dead-letter topic with its reason', async () => {
    const letters = await readDeadLetters(stack, MALFORMED.length);
    assert.deepEqual(
      letters.map((l) => [l.payload?.toString(), l.reason]).sort(),
      MALFORMED.map(([p, r]) => [p, r]).sort(),
    );
  });
});
