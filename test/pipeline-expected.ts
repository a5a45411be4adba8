/**
 * What the pipeline must produce for a list of trades, computed independently of Flink: the alerts of both
 * rules and the VWAP windows, in exact decimal arithmetic (BigInt on scaled integers).
 */
import type { PipelineConfig } from '../src/config/index.ts';
import {
  ALERT_RULES,
  type AlertRuleName as AlertRule,
  anomalyModel,
  type PatternName,
} from '../src/pipeline/analytics/index.ts';
import { SEQUENCE_LOOKBACK } from '../src/pipeline/ticker-features.ts';

/** The fields of a trade the analytics read (both schema profiles have them). */
export interface TradeFacts {
  trade_id: string;
  ticker: string;
  price: number;
  volume: number;
  trade_timestamp: number;
}

export interface ExpectedAlert {
  trade_id: string;
  rule: AlertRule;
  threshold: number;
  /** The anomaly score's (the other rules have none). */
  score?: number;
}

/**
 * Each trade's log return as the job computes it (ticker-features.ts: the log_return feature), in `trades` order (the producer's,
 * so the arrival order per ticker): against the ticker's previous in-sequence trade; undefined for a trade
 * stamped before one of the ticker's SEQUENCE_LOOKBACK previous trades.
 */
export function logReturns(trades: readonly TradeFacts[]): (number | undefined)[] {
  const recent = new Map<string, number[]>();
  const lastPrice = new Map<string, number>();
  return trades.map((t) => {
    const stamps = recent.get(t.ticker) ?? [];
    recent.set(t.ticker, stamps);
    const inSequence = stamps.every((s) => t.trade_timestamp >= s);
    stamps.push(t.trade_timestamp);
    if (stamps.length > SEQUENCE_LOOKBACK) stamps.shift();
    if (!inSequence) return undefined;
    const r = Math.log(t.price / (lastPrice.get(t.ticker) ?? t.price));
    lastPrice.set(t.ticker, t.price);
    return r;
  });
}

/**
 * The anomaly model of one ticker (the runner's AnomalyScore.java, written again from its description): decayed
 * recent and usual means of the log price and the log volume, their deviations' scales, and the alert state.
 * `score` takes the next in-sequence trade and returns its score if it alerts. Same double arithmetic in the
 * same order (JavaScript's Math.exp, log and sqrt are fdlibm's, as Java's StrictMath), so the scores are equal.
 */
export class AnomalyReference {
  private trades = 0;
  private firstTime = 0;
  private lastTime = 0;
  private logPrice = 0;
  private fast = { weight: 0, price: 0, volume: 0 };
  private slow = { weight: 0, price: 0, volume: 0 };
  private priceScale = 0;
  private volumeScale = 0;
  private silent = false;
  private lastLoud = 0;

  constructor(private readonly p: ReturnType<typeof anomalyModel>) {}

  score(t: number, logReturn: number, volume: number): number | undefined {
    const { threshold, warmupTrades, fastMs, slowMs, rearmMs } = this.p;
    if (this.trades === 0) this.firstTime = this.lastTime = t;
    const dt = Math.max(0, t - this.lastTime);
    this.lastTime = Math.max(this.lastTime, t);
    this.trades++;
    const decay = (means: { weight: number; price: number; volume: number }, horizon: number) => {
      const d = Math.exp(-dt / horizon);
      means.weight = means.weight * d + 1;
      means.price = means.price * d + this.logPrice;
      means.volume = means.volume * d + Math.log(volume);
    };
    this.logPrice += logReturn;
    decay(this.fast, fastMs);
    decay(this.slow, slowMs);
    const shrink = 3;
    const deviation = (recent: number, usual: number) =>
      (recent + shrink * usual) / (this.fast.weight + shrink) - usual;
    const dp = deviation(this.fast.price, this.slow.price / this.slow.weight);
    const dv = deviation(this.fast.volume, this.slow.volume / this.slow.weight);
    const zp = this.priceScale > 0 ? Math.abs(dp) / Math.sqrt(this.priceScale) : 0;
    const zv = this.volumeScale > 0 ? Math.max(0, dv) / Math.sqrt(this.volumeScale) : 0;
    const score = Math.sqrt(zp * zp + zv * zv);

    const ready = this.trades > warmupTrades && t - this.firstTime >= slowMs;
    let alert: number | undefined;
    if (ready) {
      if (!this.silent && score > threshold) {
        alert = score;
        this.silent = true;
      }
      if (score >= threshold / 2) this.lastLoud = t;
      else if (this.silent && t - this.lastLoud >= rearmMs) this.silent = false;
    }
    let learning = 1 - Math.exp(-dt / (5 * slowMs));
    if (!ready) learning = Math.max(learning, 1e-3);
    const taught = (d: number, scale: number) => (ready && scale > 0 ? Math.min(d * d, 9 * scale) : d * d);
    this.priceScale += learning * (taught(dp, this.priceScale) - this.priceScale);
    this.volumeScale += learning * (taught(dv, this.volumeScale) - this.volumeScale);
    return alert;
  }
}

/**
 * Alerts for trades in the order the pipeline sees each ticker's trades (the producer's order: a ticker's
 * trades share one partition). Same double arithmetic as the generated SQL and the runner's functions, in the
 * same order.
 */
export function expectedAlerts(
  trades: readonly TradeFacts[],
  config: Pick<PipelineConfig, 'alerts' | 'analytics'>,
): ExpectedAlert[] {
  const { volumeThreshold, relativeFactor, trailingTrades } = config.alerts;
  const recent = new Map<string, number[]>();
  const returns = logReturns(trades);
  const models = new Map<string, AnomalyReference>();
  const out: ExpectedAlert[] = [];
  for (const [i, t] of trades.entries()) {
    if (t.volume > volumeThreshold)
      out.push({ trade_id: t.trade_id, rule: ALERT_RULES.absolute, threshold: volumeThreshold });
    const previous = recent.get(t.ticker) ?? [];
    if (previous.length === trailingTrades) {
      const sum = previous.reduce((a, b) => a + b, 0);
      if (t.volume * trailingTrades >= relativeFactor * sum) {
        out.push({
          trade_id: t.trade_id,
          rule: ALERT_RULES.relative,
          threshold: (relativeFactor * sum) / trailingTrades,
        });
      }
    }
    previous.push(t.volume);
    if (previous.length > trailingTrades) previous.shift();
    recent.set(t.ticker, previous);

    const logReturn = returns[i];
    if (logReturn === undefined || !config.analytics.anomalyScore) continue;
    const model = models.get(t.ticker) ?? new AnomalyReference(anomalyModel(config));
    models.set(t.ticker, model);
    const score = model.score(t.trade_timestamp, logReturn, t.volume);
    if (score !== undefined)
      out.push({
        trade_id: t.trade_id,
        rule: ALERT_RULES.anomaly,
        threshold: config.alerts.anomalyThreshold,
        score,
      });
  }
  return out;
}

/** A window row as PostgreSQL returns it with numerics as text: the test compares strings. */
export interface WindowRow {
  ticker: string;
  window_start: number;
  vwap: string;
  notional: string;
  total_volume: string;
  trade_count: string;
  open_price: string;
  high_price: string;
  low_price: string;
  close_price: string;
}

const SCALE4 = 10_000n;

/** A number with at most 4 decimals as an integer count of 1/10,000. */
const scaled4 = (n: number) => BigInt(Math.round(n * 10_000));

/** An integer count of 10^-scale as the decimal text PostgreSQL prints for numeric(p, scale). */
function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Division rounded half up (positive operands), as Flink's DECIMAL division rounds. */
const divideHalfUp = (a: bigint, b: bigint) => (2n * a + b) / (2n * b);

/**
 * The tumbling windows of the trades, per ticker. VWAP follows Flink's DECIMAL division: the quotient rounded
 * half up to `vwapScale` decimals (then stored as numeric(20,8)).
 */
export function expectedWindows(
  trades: readonly TradeFacts[],
  windowMs: number,
  vwapScale = 6,
): Map<string, WindowRow> {
  const groups = new Map<string, TradeFacts[]>();
  for (const t of trades) {
    const start = Math.floor(t.trade_timestamp / windowMs) * windowMs;
    const key = `${t.ticker}@${start}`;
    const group = groups.get(key);
    if (group) group.push(t);
    else groups.set(key, [t]);
  }
  const byTimeThenId = (a: TradeFacts, b: TradeFacts) =>
    a.trade_timestamp - b.trade_timestamp || (a.trade_id < b.trade_id ? -1 : a.trade_id > b.trade_id ? 1 : 0);
  const rows = new Map<string, WindowRow>();
  for (const [key, group] of groups) {
    const sorted = [...group].sort(byTimeThenId);
    const first = sorted[0] as TradeFacts;
    const last = sorted.at(-1) as TradeFacts;
    const notional = group.reduce((sum, t) => sum + scaled4(t.price) * BigInt(t.volume), 0n);
    const volume = group.reduce((sum, t) => sum + BigInt(t.volume), 0n);
    const vwap =
      divideHalfUp(notional * 10n ** BigInt(vwapScale), volume * SCALE4) * 10n ** BigInt(8 - vwapScale);
    const prices = group.map((t) => scaled4(t.price));
    rows.set(key, {
      ticker: first.ticker,
      window_start: Math.floor(first.trade_timestamp / windowMs) * windowMs,
      vwap: decimalText(vwap, 8),
      notional: decimalText(notional, 4),
      total_volume: volume.toString(),
      trade_count: String(group.length),
      open_price: decimalText(scaled4(first.price), 4),
      high_price: decimalText(
        prices.reduce((a, b) => (a > b ? a : b)),
        4,
      ),
      low_price: decimalText(
        prices.reduce((a, b) => (a < b ? a : b)),
        4,
      ),
      close_price: decimalText(scaled4(last.price), 4),
    });
  }
  return rows;
}

export interface SlidingRow {
  ticker: string;
  window_start: number;
  window_end: number;
  vwap: string;
  notional: string;
  total_volume: string;
  trade_count: string;
  realized_volatility: number;
}

/**
 * The sliding windows of the trades, per ticker: every window [start, start + sizeMs) with start a multiple of
 * slideMs that holds a trade. Decimals exact as for the tumbling windows; the realized volatility is the square
 * root of the sum of squared log returns, each against the ticker's previous trade in `trades` order (the
 * producer's, so the arrival order), in doubles (the test compares it within a relative tolerance: Flink sums
 * partial sums per slice).
 */
export function expectedSlidingWindows(
  trades: readonly TradeFacts[],
  sizeMs: number,
  slideMs: number,
  vwapScale = 6,
): Map<string, SlidingRow> {
  const returns = logReturns(trades);
  const groups = new Map<string, { ticker: string; start: number; trades: TradeFacts[]; squares: number }>();
  for (const [i, t] of trades.entries()) {
    const logReturn = returns[i] ?? 0;
    for (
      let start = Math.floor(t.trade_timestamp / slideMs) * slideMs;
      start > t.trade_timestamp - sizeMs;
      start -= slideMs
    ) {
      const key = `${t.ticker}@${start}`;
      const group = groups.get(key) ?? { ticker: t.ticker, start, trades: [], squares: 0 };
      group.trades.push(t);
      group.squares += logReturn * logReturn;
      groups.set(key, group);
    }
  }
  const rows = new Map<string, SlidingRow>();
  for (const [key, { ticker, start, trades: group, squares }] of groups) {
    const notional = group.reduce((sum, t) => sum + scaled4(t.price) * BigInt(t.volume), 0n);
    const volume = group.reduce((sum, t) => sum + BigInt(t.volume), 0n);
    const vwap =
      divideHalfUp(notional * 10n ** BigInt(vwapScale), volume * SCALE4) * 10n ** BigInt(8 - vwapScale);
    rows.set(key, {
      ticker,
      window_start: start,
      window_end: start + sizeMs,
      vwap: decimalText(vwap, 8),
      notional: decimalText(notional, 4),
      total_volume: volume.toString(),
      trade_count: String(group.length),
      realized_volatility: Math.sqrt(squares),
    });
  }
  return rows;
}

/** A trade_patterns row, numerics as PostgreSQL prints them (doubles as numbers). */
export interface PatternRow {
  ticker: string;
  pattern: PatternName;
  match_start: number;
  match_end: number;
  first_vwap: number;
  last_vwap: number;
  low: string;
  high: string;
  total_volume: string;
  trade_count: string;
}

interface Bar {
  start: number;
  vwap: number;
  high: bigint;
  low: bigint;
  volume: bigint;
  count: number;
  rising: boolean;
  nearHigh: boolean;
  deep: boolean;
  burst: boolean;
  largest: bigint;
  /** The sum of the log sizes of its trades. */
  logSize: number;
}

/**
 * The pattern matches of the trades (all of them on time: no late trades), written from the definitions in
 * src/pipeline/analytics/patterns.ts: bars per ticker, each bar's flags, then each pattern as a regular
 * expression over one letter per bar (the flags of a pattern exclude each other, so the leftmost match,
 * resuming after it, is MATCH_RECOGNIZE's with AFTER MATCH SKIP PAST LAST ROW). Doubles as in the SQL: the
 * exact sums converted to double, then divided.
 */
export function expectedPatterns(
  trades: readonly TradeFacts[],
  config: Pick<PipelineConfig, 'patterns'>,
): PatternRow[] {
  const p = config.patterns;
  const barMs = p.barSeconds * 1000;
  const byTicker = new Map<string, Map<number, TradeFacts[]>>();
  for (const t of trades) {
    const start = Math.floor(t.trade_timestamp / barMs) * barMs;
    const bars = byTicker.get(t.ticker) ?? new Map<number, TradeFacts[]>();
    byTicker.set(t.ticker, bars);
    const group = bars.get(start);
    if (group) group.push(t);
    else bars.set(start, [t]);
  }
  const rows: PatternRow[] = [];
  for (const [ticker, groups] of byTicker) {
    const bars: Bar[] = [...groups.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, group]) => {
        const prices = group.map((t) => scaled4(t.price));
        const notional = group.reduce((sum, t) => sum + scaled4(t.price) * BigInt(t.volume), 0n);
        const volume = group.reduce((sum, t) => sum + BigInt(t.volume), 0n);
        return {
          start,
          vwap: Number(decimalText(notional, 4)) / Number(volume),
          high: prices.reduce((a, b) => (a > b ? a : b)),
          low: prices.reduce((a, b) => (a < b ? a : b)),
          volume,
          count: group.length,
          rising: false,
          nearHigh: false,
          deep: false,
          burst: false,
          largest: group.reduce((a, t) => (a > BigInt(t.volume) ? a : BigInt(t.volume)), 0n),
          logSize: group.reduce((sum, t) => sum + Math.log(t.volume), 0),
        };
      });
    bars.forEach((bar, i) => {
      const previous = bars[Math.max(0, i - 1)] as Bar;
      const trailing = bars.slice(Math.max(0, i - p.lookbackBars), i + 1);
      const trailingHigh = Number(
        decimalText(
          trailing.reduce((a, b) => (a > b.high ? a : b.high), 0n),
          4,
        ),
      );
      const before = trailing.reduce((a, b) => a + b.volume, 0n) - bar.volume;
      const enough = bar.count >= p.minBarTrades;
      bar.rising = enough && bar.vwap > previous.vwap * (1 + p.momentumStep);
      bar.nearHigh = bar.vwap >= trailingHigh * (1 - p.nearHigh);
      bar.deep = enough && Number(decimalText(bar.low, 4)) <= trailingHigh * (1 - p.crashDrop);
      // Doubles summed in another order than Flink's (its OVER adds and retracts): equal but within rounding,
      // which flips the flag only for a bar within ~1e-12 of the factor.
      const logSizeBefore = trailing.reduce((a, b) => a + b.logSize, 0) - bar.logSize;
      const countBefore = trailing.reduce((a, b) => a + b.count, 0) - bar.count;
      bar.burst =
        enough &&
        trailing.length === p.lookbackBars + 1 &&
        Number(bar.volume - bar.largest) * p.lookbackBars >= p.burstFactor * Number(before) &&
        bar.logSize / bar.count - logSizeBefore / countBefore >= Math.log(p.burstSizeFactor);
    });
    const letters = (letter: (b: Bar) => string) => bars.map(letter).join('');
    // skipFirst: a leading context bar, not part of the match's interval and figures.
    const find = (pattern: PatternName, text: string, regex: RegExp, skipFirst: number) => {
      for (const m of text.matchAll(regex)) {
        const matched = bars.slice(m.index + skipFirst, m.index + m[0].length);
        const first = matched[0] as Bar;
        const last = matched.at(-1) as Bar;
        rows.push({
          ticker,
          pattern,
          match_start: first.start,
          match_end: last.start + barMs,
          first_vwap: first.vwap,
          last_vwap: last.vwap,
          low: decimalText(
            matched.reduce((a, b) => (a < b.low ? a : b.low), matched[0]?.low ?? 0n),
            4,
          ),
          high: decimalText(
            matched.reduce((a, b) => (a > b.high ? a : b.high), 0n),
            4,
          ),
          total_volume: String(matched.reduce((a, b) => a + b.volume, 0n)),
          trade_count: String(matched.reduce((a, b) => a + b.count, 0)),
        });
      }
    };
    // momentum: S R{n}, S not rising and near the high; the match's bars from the first R.
    find(
      'momentum',
      letters((b) => (b.rising ? 'R' : b.nearHigh ? 'S' : '-')),
      new RegExp(`SR{${p.momentumBars}}`, 'g'),
      1,
    );
    // v_shape: C+ M{0,n} B.
    find(
      'v_shape',
      letters((b) => (b.deep ? 'C' : b.nearHigh ? 'B' : 'M')),
      new RegExp(`C+M{0,${p.recoveryBars}}B`, 'g'),
      0,
    );
    // volume_burst: Q V, at the burst's first bar.
    find(
      'volume_burst',
      letters((b) => (b.burst ? 'V' : 'Q')),
      /QV/g,
      1,
    );
  }
  return rows;
}
