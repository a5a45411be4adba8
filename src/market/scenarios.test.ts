import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ConfigInput, loadConfig, type PipelineConfig } from '../config/index.ts';
import type { NarrowTrade } from '../schema/index.ts';
import { type MarketLabel, marketLabels, SCENARIO_GAP_MS, type ScenarioKind } from './scenarios.ts';
import { MarketSimulator } from './trades.ts';

const replayStart = Date.UTC(2026, 0, 5, 14, 30);
const replay = (market: ConfigInput['market'] = {}) =>
  loadConfig({ env: {}, overrides: { producer: { mode: 'replay' }, market } });
const HOUR = 3_600_000;

interface Bar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Volume without the bar's largest print (one block does not make a burst). */
  volumeButLargest: number;
  largest: number;
  trades: number;
}

/** OHLCV bars of `barMs` (aligned to the epoch, as a tumbling window) per ticker, by bar start. */
function barsOf(trades: readonly NarrowTrade[], barMs: number): Map<string, Map<number, Bar>> {
  const byTicker = new Map<string, Map<number, Bar>>();
  const sorted = [...trades].sort((a, b) => a.trade_timestamp - b.trade_timestamp || a.sequence - b.sequence);
  for (const t of sorted) {
    let bars = byTicker.get(t.ticker);
    if (!bars) {
      bars = new Map();
      byTicker.set(t.ticker, bars);
    }
    const at = Math.floor(t.trade_timestamp / barMs) * barMs;
    const bar = bars.get(at);
    if (!bar) {
      bars.set(at, {
        open: t.price,
        high: t.price,
        low: t.price,
        close: t.price,
        volume: t.volume,
        volumeButLargest: 0,
        largest: t.volume,
        trades: 1,
      });
    } else {
      bar.high = Math.max(bar.high, t.price);
      bar.low = Math.min(bar.low, t.price);
      bar.close = t.price;
      bar.volume += t.volume;
      bar.largest = Math.max(bar.largest, t.volume);
      bar.volumeButLargest = bar.volume - bar.largest;
      bar.trades++;
    }
  }
  return byTicker;
}

/** Replay trades of instance p0 whose clock falls in [from, to) (1000 trades per second of event time). */
function tradesBetween(sim: MarketSimulator, from: number, to: number): NarrowTrade[] {
  const trades: NarrowTrade[] = [];
  for (let n = Math.max(0, from - replayStart); n < to - replayStart; n++)
    trades.push(sim.trade('narrow', 'p0', n));
  return trades;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** Bars of a ticker with start in [from, to) (bars wholly inside when `to` is a bar boundary). */
const barsIn = (bars: Map<number, Bar>, from: number, to: number, barMs: number) =>
  [...bars].filter(([at]) => at >= from && at + barMs <= to).sort((a, b) => a[0] - b[0]);

/**
 * The first labels of a kind in the first two hours, with their bars and the ticker's normal bars before;
 * leaving out those that a price jump of the ticker (independent of scenarios) overlaps.
 */
function around(kind: ScenarioKind, barMs: number, count = 4) {
  const config = replay({ scenarioRate: 6, scenarioKinds: [kind] });
  const sim = new MarketSimulator(config);
  const range = { from: replayStart + 60_000, to: replayStart + 2 * HOUR };
  const jumps = marketLabels(config, range, { kinds: ['price_jump'], include: 'overlapping' });
  const labels = marketLabels(config, range, { kinds: [kind] }).filter(
    (l) => !jumps.some((j) => j.ticker === l.ticker && j.start < l.end + 10_000 && j.end > l.start - 40_000),
  );
  assert.ok(labels.length >= count, `${labels.length} ${kind} labels`);
  return labels.slice(0, count).map((label) => {
    const bars = barsOf(tradesBetween(sim, label.start - 40_000, label.end + 10_000), barMs).get(
      label.ticker,
    ) as Map<number, Bar>;
    const inside = barsIn(bars, label.start, label.end, barMs).map(([, b]) => b);
    const normal = barsIn(bars, label.start - 35_000, label.start - 2_000, barMs).map(([, b]) => b);
    return { label, inside, normal, bars };
  });
}

describe('labelled market scenarios', () => {
  it('rate 0 (the default) leaves the trade stream exactly as it was before scenarios existed', () => {
    // Digests of the first 20 000 wide trades computed by the simulator before scenarios were added.
    const expected = { replay: '2aaec84cbdef47f7dbc24550ba811119', live: 'a748d59cb4729608442e974ccc45d897' };
    const cases = [
      ['replay', replay(), undefined],
      ['live', loadConfig({ env: {} }), Date.UTC(2026, 0, 5, 15)],
    ] as const;
    for (const [name, config, now] of cases) {
      assert.equal(config.market.scenarioRate, 0);
      const sim = new MarketSimulator(config);
      assert.equal(sim.scenarios, undefined);
      const h = createHash('sha256');
      for (let n = 0; n < 20_000; n++)
        h.update(JSON.stringify(sim.trade('wide', 'p0', n, now === undefined ? undefined : now + n)));
      assert.equal(h.digest('hex').slice(0, 32), expected[name], name);
    }
    const labels = marketLabels(replay(), { from: replayStart, to: replayStart + 24 * HOUR });
    assert.ok(labels.length > 100 && labels.every((l) => l.kind === 'price_jump'));
  });

  it('with scenarios, a trade outside every scenario is the trade of rate 0', () => {
    const plain = new MarketSimulator(replay());
    const sim = new MarketSimulator(replay({ scenarioRate: 6 }));
    const scenarios = sim.scenarios;
    assert.ok(scenarios);
    const index = new Map(sim.tickers.map((t) => [t.symbol, t.index]));
    let changed = 0;
    let same = 0;
    // Two hours of event time, sampled: 200 000 trades.
    for (let n = 0; n < 7_200_000; n += 36) {
      const t = sim.trade('narrow', 'p0', n);
      const i = index.get(t.ticker) as number;
      const influenced =
        scenarios.logOffset(i, t.trade_timestamp) !== 0 || scenarios.at(i, t.trade_timestamp);
      if (influenced) {
        changed++;
        continue;
      }
      same++;
      assert.deepEqual(t, plain.trade('narrow', 'p0', n), `trade ${n}`);
    }
    assert.ok(changed > 1_000 && same > 100_000, `${changed} in scenarios, ${same} outside`);
  });

  it('are deterministic: same seed, same labels and trades, in any simulator; another seed, others', () => {
    const a = replay({ scenarioRate: 4 });
    const b = replay({ scenarioRate: 4 });
    const range = { from: replayStart, to: replayStart + 6 * HOUR };
    assert.deepEqual(marketLabels(a, range), marketLabels(b, range));
    const other = marketLabels(replay({ scenarioRate: 4, seed: 7 }), range);
    assert.notDeepEqual(
      other.map((l) => [l.ticker, l.start]),
      marketLabels(a, range).map((l) => [l.ticker, l.start]),
    );
    const first = marketLabels(a, range, { kinds: ['flash_crash'] })[0] as MarketLabel;
    const simA = new MarketSimulator(a);
    const simB = new MarketSimulator(b);
    const n0 = first.start - replayStart - 2_000;
    for (let n = n0; n < n0 + 5_000; n++)
      assert.deepEqual(simA.trade('wide', 'p0', n), simB.trade('wide', 'p0', n));
    // Backwards too: the memo is a cache, not state.
    const fresh = new MarketSimulator(a);
    for (let n = n0 + 4_999; n >= n0; n -= 7)
      assert.deepEqual(fresh.trade('wide', 'p0', n), simA.trade('wide', 'p0', n));
  });

  it('labels lie in the requested range, on eligible tickers, apart, at about the configured rate', () => {
    const config = replay({ scenarioRate: 2, scenarioTickers: 12 });
    const from = replayStart + 123_456;
    const to = from + 96 * HOUR;
    const labels = marketLabels(config, { from, to });
    const eligible = new Set(new MarketSimulator(config).tickers.slice(0, 12).map((t) => t.symbol));
    const scenarios = labels.filter((l) => l.kind !== 'price_jump');
    for (const l of labels) {
      assert.ok(l.start >= from && l.end <= to && l.start < l.end, JSON.stringify(l));
      if (l.kind !== 'price_jump') assert.ok(eligible.has(l.ticker), l.ticker);
    }
    for (let k = 1; k < labels.length; k++)
      assert.ok((labels[k - 1] as MarketLabel).start <= (labels[k] as MarketLabel).start);
    const lastEnd = new Map<string, number>();
    for (const l of scenarios) {
      const end = lastEnd.get(l.ticker);
      if (end !== undefined) assert.ok(l.start >= end + SCENARIO_GAP_MS, `${l.ticker} ${l.start}`);
      lastEnd.set(l.ticker, l.end);
    }
    // 2 per ticker-hour on 12 tickers for 96 hours (binomial, sd 2%), less the few dropped by the gap rule.
    const expected = 2 * 12 * 96;
    assert.ok(
      scenarios.length > 0.88 * expected && scenarios.length < 1.08 * expected,
      `${scenarios.length}`,
    );
    for (const kind of ['momentum', 'flash_crash', 'volume_burst'] as const) {
      const share = scenarios.filter((l) => l.kind === kind).length / scenarios.length;
      assert.ok(share > 0.25 && share < 0.42, `${kind} ${share}`);
    }
    // Overlapping: also those cut by the range's ends.
    const cut = scenarios[0] as MarketLabel;
    const hour = { from: cut.start + 1, to: cut.start + HOUR };
    const overlapping = marketLabels(config, hour, { include: 'overlapping' });
    assert.ok(overlapping.every((l) => l.start < hour.to && l.end > hour.from));
    assert.ok(overlapping.some((l) => l.start === cut.start && l.ticker === cut.ticker));
    assert.ok(!marketLabels(config, hour).some((l) => l.start === cut.start && l.ticker === cut.ticker));
    // A ticker subset and a kinds filter.
    const nvda = marketLabels(config, { from, to }, { tickers: ['NVDA'], kinds: ['volume_burst'] });
    assert.deepEqual(
      nvda,
      labels.filter((l) => l.ticker === 'NVDA' && l.kind === 'volume_burst'),
    );
    const only = marketLabels(replay({ scenarioRate: 2, scenarioKinds: ['momentum'] }), { from, to });
    assert.ok(only.every((l) => l.kind === 'momentum' || l.kind === 'price_jump'));
  });

  it('momentum: on 5-s bars the closes rise through the label, on rising volume above normal', () => {
    for (const { label, inside, normal } of around('momentum', 5_000)) {
      const at = `${label.ticker}@${label.start}`;
      assert.ok(inside.length >= 5, at);
      let rising = 0;
      for (let k = 1; k < inside.length; k++)
        if ((inside[k] as Bar).close > (inside[k - 1] as Bar).close) rising++;
      assert.ok(rising >= 0.8 * (inside.length - 1), `${at}: ${rising} of ${inside.length - 1} rising`);
      // The whole bars inside cover part of the label: expect most of the rise over that part.
      const gain = Math.log((inside.at(-1) as Bar).close / (inside[0] as Bar).open);
      const covered = (inside.length * 5_000) / (label.end - label.start);
      assert.ok(label.magnitude >= 0.015, at);
      assert.ok(gain > 0.7 * covered * label.magnitude, `${at}: gain ${gain} of ${label.magnitude}`);
      const volumes = inside.map((b) => b.volumeButLargest);
      const half = Math.floor(volumes.length / 2);
      // Medians: trade sizes are heavy-tailed, so a bar's volume is too.
      const firstHalf = median(volumes.slice(0, half));
      const secondHalf = median(volumes.slice(-half));
      assert.ok(secondHalf > 1.15 * firstHalf, `${at}: volume ${firstHalf} then ${secondHalf}`);
      assert.ok(median(volumes) > 1.5 * median(normal.map((b) => b.volumeButLargest)), at);
    }
  });

  it('flash crash: on 1-s bars a drop of at least 3.5% in seconds and a V back to the level before', () => {
    for (const { label, inside, normal } of around('flash_crash', 1_000)) {
      const at = `${label.ticker}@${label.start}`;
      const before = median(normal.slice(-10).map((b) => b.close));
      const lows = inside.map((b) => b.low);
      const bottom = lows.indexOf(Math.min(...lows));
      const drop = 1 - (lows[bottom] as number) / before;
      assert.ok(drop >= 0.035, `${at}: drop ${drop}`);
      assert.ok(bottom >= 4 && bottom <= 18, `${at}: bottom at ${bottom} s`);
      assert.ok(bottom < inside.length - 9, `${at}: no recovery after the bottom`);
      const recovered = (inside.at(-1) as Bar).close / before;
      assert.ok(Math.abs(recovered - 1) < 0.01, `${at}: ends at ${recovered} of the level before`);
      assert.ok(
        median(inside.map((b) => b.volumeButLargest)) > 2 * median(normal.map((b) => b.volumeButLargest)),
        at,
      );
    }
  });

  it('volume burst: on 1-s bars volume far above the ticker normal, in large prints, for seconds', () => {
    for (const { label, inside, normal } of around('volume_burst', 1_000, 6)) {
      const at = `${label.ticker}@${label.start}`;
      const usual = median(normal.map((b) => b.volumeButLargest));
      const volumes = inside.map((b) => b.volumeButLargest);
      for (const v of volumes) assert.ok(v > 4 * usual, `${at}: ${v} vs ${usual}`);
      assert.ok(median(volumes) > 8 * usual, `${at}: median ${median(volumes)} vs ${usual}`);
      assert.ok(inside.length >= 3, at);
      const usualPrint = median(normal.map((b) => b.volume / b.trades));
      assert.ok(median(inside.map((b) => b.volume / b.trades)) > 10 * usualPrint, at);
    }
  });

  it('the shapes appear where the labels are, and nowhere else (price jumps aside)', () => {
    const config = replay({ scenarioRate: 6, scenarioTickers: 5 });
    const sim = new MarketSimulator(config);
    const from = replayStart + 30 * 60_000;
    const to = from + 15 * 60_000;
    const symbols = sim.tickers.slice(0, 5).map((t) => t.symbol);
    const labels = marketLabels(config, { from: from - 60_000, to: to + 60_000 }, { include: 'overlapping' });
    const seconds = barsOf(tradesBetween(sim, from, to), 1_000);
    const fives = barsOf(tradesBetween(sim, from, to), 5_000);
    // What a naive detector matches: a ticker, a kind and the interval of the bars it matched.
    const found: { ticker: string; kind: ScenarioKind; start: number; end: number }[] = [];
    for (const ticker of symbols) {
      const ones = barsIn(seconds.get(ticker) as Map<number, Bar>, from + 30_000, to - 5_000, 1_000);
      const usual = median(ones.map(([, b]) => b.volumeButLargest));
      for (let k = 20; k < ones.length; k++) {
        const [t, bar] = ones[k] as [number, Bar];
        const high = Math.max(...ones.slice(k - 20, k).map(([, b]) => b.close));
        if (bar.low < high * 0.965)
          found.push({ ticker, kind: 'flash_crash', start: t - 20_000, end: t + 1_000 });
        // Sustained: two blocks in one second happen on a hot ticker.
        const last = (ones[k - 1] as [number, Bar])[1];
        if (bar.volumeButLargest > 10 * usual && last.volumeButLargest > 10 * usual)
          found.push({ ticker, kind: 'volume_burst', start: t - 1_000, end: t + 1_000 });
      }
      const five = barsIn(fives.get(ticker) as Map<number, Bar>, from + 30_000, to - 5_000, 5_000);
      for (let k = 6; k < five.length; k++) {
        const run = five.slice(k - 6, k + 1).map(([, b]) => b.close);
        const up = run.every((c, m) => m === 0 || c > (run[m - 1] as number));
        if (up && (run[6] as number) > (run[0] as number) * 1.005)
          found.push({
            ticker,
            kind: 'momentum',
            start: (five[k - 6] as [number, Bar])[0],
            end: (five[k] as [number, Bar])[0] + 5_000,
          });
      }
    }
    // As the detection benchmark counts a hit: the matched interval overlaps the label's.
    const near = (f: { ticker: string; start: number; end: number }, l: MarketLabel) =>
      l.ticker === f.ticker && f.start < l.end && f.end > l.start;
    // A crash's recovery is a rise too: the momentum shape may match it.
    const explains: Record<ScenarioKind, ScenarioKind[]> = {
      flash_crash: ['flash_crash'],
      volume_burst: ['volume_burst'],
      momentum: ['momentum', 'flash_crash'],
    };
    for (const f of found) {
      assert.ok(
        labels.some((l) => near(f, l) && (explains[f.kind] as string[]).includes(l.kind)),
        `${f.kind} shape on ${f.ticker} at ${f.start} without a label`,
      );
    }
    const expected = labels.filter(
      (l) =>
        l.kind !== 'price_jump' &&
        symbols.includes(l.ticker) &&
        l.start >= from + 60_000 &&
        l.end <= to - 10_000,
    );
    assert.ok(expected.length >= 3, `${expected.length} labels in the scan`);
    for (const l of expected)
      assert.ok(
        found.some((f) => f.kind === l.kind && near(f, l)),
        `${l.kind} on ${l.ticker} at ${l.start} not visible`,
      );
  });

  it('trades in scenarios stay valid, consistent and unlabelled', () => {
    const config: PipelineConfig = replay({
      scenarioRate: 6,
      scenarioKinds: ['flash_crash', 'volume_burst'],
    });
    const sim = new MarketSimulator(config);
    const plainKeys = Object.keys(new MarketSimulator(replay()).trade('wide', 'p0', 0)).sort();
    const label = marketLabels(
      config,
      { from: replayStart, to: replayStart + HOUR },
      { kinds: ['flash_crash'] },
    )[0];
    assert.ok(label);
    for (let n = label.start - replayStart; n < label.end - replayStart; n++) {
      const t = sim.trade('wide', 'p0', n);
      assert.deepEqual(Object.keys(t).sort(), plainKeys);
      assert.ok(t.bid_price < t.ask_price && t.bid_price <= t.price && t.price <= t.ask_price);
      assert.ok(t.luld_lower_band <= t.price && t.price <= t.luld_upper_band);
      assert.ok(t.low_price <= t.price && t.price <= t.high_price);
      assert.ok(Number.isInteger(t.volume) && t.volume >= 1);
    }
  });
});
