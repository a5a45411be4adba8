/**
 * The patterns and the anomaly score on a deterministic replay with labelled scenarios (src/market/
 * scenarios.ts): trade_patterns and the pattern alerts equal the matches computed here from the simulator, and
 * the detections are measured against the labels the simulator lists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { type LabelKind, type MarketLabel, marketLabels } from '../src/market/index.ts';
import {
  ALERT_RULES,
  PATTERNS_TABLE,
  type PatternName,
  patternRule,
} from '../src/pipeline/analytics/index.ts';
import { expectedAlerts, expectedPatterns, type PatternRow } from './pipeline-expected.ts';
import { produce, readTopic, replayConfig, replayTrades, until } from './pipeline-helpers.ts';

// 30 minutes of event time on 8 tickers, scenarios on the 3 most active at the highest rate: bars of 30 to 120
// trades, nine labelled events.
const MINUTES = 30;
const config = replayConfig({
  market: { seed: 12, tickerCount: 8, lateFraction: 0, scenarioRate: 6, scenarioTickers: 3 },
  producer: { replayTradesPerSecond: 60 },
  alerts: {
    volumeThreshold: 10_000,
    relativeFactor: 8,
    trailingTrades: 20,
    anomalyThreshold: 8,
    anomalyTrades: 200,
  },
});
const TRADES = MINUTES * 60 * config.producer.replayTradesPerSecond;
const trades = replayTrades(config, TRADES);
const barMs = config.patterns.barSeconds * 1000;
const from = config.producer.replayStart.getTime();
/** Matches ending by here have surely been emitted: the last watermark, less a bar. */
const horizon =
  Math.max(...trades.map((t) => t.trade_timestamp)) - config.windows.watermarkDelayMs - 2 * barMs;
const expected = expectedPatterns(trades, config).filter((m) => m.match_end <= horizon);
/** What each pattern is meant to find. */
const FINDS: Record<PatternName, LabelKind> = {
  momentum: 'momentum',
  v_shape: 'flash_crash',
  volume_burst: 'volume_burst',
};
/** A detection may start up to this long after its label ends (the bar it completes on). */
const TOLERANCE_MS = 10_000;
const overlaps = (l: MarketLabel, ticker: string, start: number, end: number) =>
  l.ticker === ticker && start < l.end + TOLERANCE_MS && end > l.start;

const key = (m: { ticker: string; pattern: string; match_start: number }) =>
  `${m.ticker}/${m.pattern}/${m.match_start}`;

interface Alert {
  rule: string;
  ticker: string;
  trade_id: string | null;
  trade_timestamp: number;
  threshold: number;
  score: number;
  match_start: number | null;
  match_end: number | null;
}

describe('patterns and anomaly score on a replay with labelled scenarios', () => {
  let stack: LocalStack;
  let stored: PatternRow[];
  let alerts: Alert[];

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    await produce(stack, TRADES);
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
    const db = await stack.postgres.client();
    try {
      const read = async () =>
        (
          await db.query<PatternRow>(
            `SELECT ticker, pattern, (extract(epoch FROM match_start) * 1000)::float8 AS match_start,
                    (extract(epoch FROM match_end) * 1000)::float8 AS match_end, first_vwap, last_vwap,
                    low::text, high::text, total_volume::text, trade_count::text
             FROM ${PATTERNS_TABLE}`,
          )
        ).rows.filter((m) => m.match_end <= horizon);
      await until(
        'the matches up to the horizon stored',
        async () => (await read()).length >= expected.length,
        60_000,
      );
      stored = await read();
    } finally {
      await db.end();
    }
    alerts = await readTopic<Alert>(
      stack,
      config.kafka.alertsTopic,
      expectedAlerts(trades, config).length + expected.length,
    );
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores in trade_patterns exactly the matches computed here: intervals, VWAPs, prices and sums', () => {
    const patterns = new Set(expected.map((m) => m.pattern));
    assert.equal(patterns.size, 3, `the replay has matches of every pattern (${[...patterns]})`);
    assert.deepEqual(stored.map(key).sort(), expected.map(key).sort());
    const byKey = new Map(expected.map((m) => [key(m), m]));
    for (const m of stored) assert.deepEqual(m, byKey.get(key(m)), key(m));
  });

  it('alerts each match once with its rule, interval, threshold and move', () => {
    const patternAlerts = alerts.filter(
      (a) => a.rule.startsWith('pattern_') && (a.match_end ?? 0) <= horizon,
    );
    const asRow = (a: Alert) => `${a.ticker}/${a.rule.replace('pattern_', '')}/${a.match_start}`;
    assert.deepEqual(patternAlerts.map(asRow).sort(), expected.map(key).sort());
    const byKey = new Map(expected.map((m) => [key(m), m]));
    for (const a of patternAlerts) {
      const m = byKey.get(asRow(a)) as PatternRow;
      assert.equal(a.rule, patternRule(m.pattern));
      assert.equal(a.match_end, m.match_end);
      assert.equal(a.trade_timestamp, m.match_end, 'an alert of a pattern is stamped with its end');
      assert.equal(a.trade_id, null);
      assert.equal(a.score, m.last_vwap / m.first_vwap - 1);
    }
    // The trade rules' alerts keep a null interval.
    assert.ok(alerts.filter((a) => !a.rule.startsWith('pattern_')).every((a) => a.match_start === null));
  });

  it('finds every labelled scenario with its pattern and alerts on nothing else (recall and precision 1 here)', () => {
    // Labels from the second minute (a bar needs lookbackBars bars before it) to the horizon.
    const labels = marketLabels(config, { from: from + 60_000, to: horizon }).filter(
      (l) => l.kind !== 'price_jump',
    );
    assert.ok(labels.length >= 6, `the replay has labelled scenarios (${labels.length})`);
    for (const l of labels) {
      const found = stored.some(
        (m) => FINDS[m.pattern] === l.kind && overlaps(l, m.ticker, m.match_start, m.match_end),
      );
      assert.ok(found, `${l.kind} on ${l.ticker} at ${new Date(l.start).toISOString()} found`);
    }
    const all = marketLabels(config, { from, to: horizon + 60_000 });
    for (const m of stored) {
      const label = all.find(
        (l) => l.kind === FINDS[m.pattern] && overlaps(l, m.ticker, m.match_start, m.match_end),
      );
      assert.ok(label, `${key(m)} is a labelled ${FINDS[m.pattern]}`);
    }
  });

  // The anomaly score is a per-trade outlier detector, not tuned to the scenarios: the bar is that a third of its
  // alerts fall in labelled events (its full figures are bench:detect's, BENCHMARKS.md).
  it('raises a third of its anomaly alerts or more inside labelled events', () => {
    const anomalies = alerts.filter((a) => a.rule === ALERT_RULES.anomaly);
    const labels = marketLabels(config, { from, to: from + MINUTES * 60_000 });
    const inside = anomalies.filter((a) =>
      labels.some((l) => overlaps(l, a.ticker, a.trade_timestamp, a.trade_timestamp + 1)),
    ).length;
    assert.ok(anomalies.length > 0);
    assert.ok(
      inside * 3 >= anomalies.length,
      `${inside} of ${anomalies.length} anomaly alerts in labelled events`,
    );
  });
});
