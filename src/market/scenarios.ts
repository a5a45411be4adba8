/**
 * Labelled market events: deterministic scenarios laid over the price paths and the trade sizes, so that
 * detectors can be measured against ground truth. Like the prices, a scenario is a pure function of
 * (seed, ticker, time): every producer replica shows the same ones, and `marketLabels` lists them without
 * generating a trade. Trades carry no label: a detector must find the shape, not read the answer.
 *
 * Where and when: event time is cut into 10-minute slots per ticker; each slot of an eligible ticker (the
 * `market.scenarioTickers` most active ones) holds one scenario with probability scenarioRate / 6, at a
 * whole second of the slot drawn from its hash, of a kind drawn equally from `market.scenarioKinds`. A
 * scenario whose slot's predecessor ends less than 30 s before it starts is dropped, so labelled intervals of
 * one ticker never overlap or touch (this trims the effective rate a little at high rates). A scenario's
 * influence, its labelled interval plus a quiet tail, never exceeds a slot, so finding the scenarios at
 * (ticker, t) looks at two slots: O(1), memoised per ticker.
 *
 * The shapes, as log-price offsets added to the fair price, trade-size multipliers and the share of buyers
 * (trades print at the ask when buying, at the bid when selling, at the mid sometimes), made to show on
 * 1-second or 5-second OHLCV bars:
 * - momentum: over 30-60 s the price climbs linearly by 1.5-3% (at least 12 bp per 5-s bar) while trade sizes
 *   grow linearly from 1x to 5-6x normal (capped at the block threshold: no block is made) and 70% of trades buy. After
 *   the label the gain fades back linearly over 5 minutes (about 1.5 bp per 5 s: no visible move).
 * - flash_crash: the price falls linearly by 4-8% in 5-15 s, holds the bottom 1-3 s, then recovers linearly to
 *   where it would have been in 10-30 s (a V); sizes are 6x normal through the fall and bottom, 4x easing to 1.5x
 *   through the recovery; 20% buy in the fall, 75% in the recovery.
 * - volume_burst: for 3-8 s every trade is 20-40x its normal size (large prints, blocks allowed, up to 50x the
 *   alert threshold), 85% on one side, a third of them intermarket sweeps, pushing the price 0.3% that way, a
 *   push that fades over the next minute.
 * A label is (ticker, kind, [start, end)) in epoch ms, end exclusive: the interval of the shape itself (the
 * fade tails are not labelled), plus `magnitude`, the signed log-price move of the shape.
 *
 * The price paths' own rare jumps (prices.ts) are steps that look like events to a return-based scorer: they
 * are listed as kind `price_jump`, on every ticker and whatever the scenario rate, with the interval
 * [first millisecond the step shows, +5 s) and the step's signed log size as magnitude (most are small). A
 * detection run can count an alert overlapping one as neither a hit nor a false alarm, or pass `kinds` to
 * leave them out of the listing.
 */
import type { PipelineConfig } from '../config/index.ts';
import { PricePaths } from './prices.ts';
import { Draws, fmix32, hash3, unit } from './random.ts';
import { type Ticker, tickerUniverse } from './tickers.ts';

export type ScenarioKind = PipelineConfig['market']['scenarioKinds'][number];
export type LabelKind = ScenarioKind | 'price_jump';

/** One labelled event: what a detector should find, on which ticker, in which event-time interval. */
export interface MarketLabel {
  readonly ticker: string;
  readonly kind: LabelKind;
  /** Event time, epoch ms: the interval [start, end). */
  readonly start: number;
  readonly end: number;
  /** Signed log-price move of the shape (up positive): the rise, the crash depth, the burst's push, the jump. */
  readonly magnitude: number;
}

export const SCENARIO_SLOT_MS = 600_000;
/** Least quiet time between the labelled intervals of one ticker. */
export const SCENARIO_GAP_MS = 30_000;
/** How long after its step a price jump is labelled. */
export const JUMP_LABEL_MS = 5_000;
const SLOTS_PER_HOUR = 3_600_000 / SCENARIO_SLOT_MS;
const SLOT_SECONDS = SCENARIO_SLOT_MS / 1_000;
const SALT = 0x5ce7a210;
const MOMENTUM_FADE_MS = 300_000;
const BURST_FADE_MS = 60_000;
const BURST_PUSH = 0.003;
/** Share of eligible burst trades flagged as intermarket sweeps (ordinary trades: 3%). */
export const BURST_SWEEP_RATE = 1 / 3;

/** A scenario on one ticker: its label, and its shape as functions of event time. */
export class Scenario {
  /** End of the influence (label plus tail): the offset is 0 from here. */
  readonly influenceEnd: number;

  constructor(
    readonly tickerIndex: number,
    readonly kind: ScenarioKind,
    readonly start: number,
    readonly end: number,
    /** Signed log-price move of the shape. */
    readonly magnitude: number,
    /** momentum: the size multiplier at the end; flash_crash: the fall's length (ms); burst: the multiplier. */
    private readonly a: number,
    /** flash_crash: the recovery's start (ms after start). */
    private readonly b: number,
  ) {
    this.influenceEnd =
      kind === 'momentum' ? end + MOMENTUM_FADE_MS : kind === 'volume_burst' ? end + BURST_FADE_MS : end;
  }

  /** Log-price offset at t (0 outside [start, influenceEnd)). */
  logOffset(t: number): number {
    const tau = t - this.start;
    if (tau < 0 || t >= this.influenceEnd) return 0;
    const length = this.end - this.start;
    switch (this.kind) {
      case 'momentum':
      case 'volume_burst': {
        if (tau < length) return (this.magnitude * tau) / length;
        const fade = this.kind === 'momentum' ? MOMENTUM_FADE_MS : BURST_FADE_MS;
        return this.magnitude * (1 - (tau - length) / fade);
      }
      case 'flash_crash':
        if (tau < this.a) return (this.magnitude * tau) / this.a;
        if (tau < this.b) return this.magnitude;
        return this.magnitude * (1 - (tau - this.b) / (length - this.b));
    }
  }

  /** Trade-size multiplier at t inside the label. */
  sizeFactor(t: number): number {
    const tau = t - this.start;
    switch (this.kind) {
      case 'momentum':
        return 1 + ((this.a - 1) * tau) / (this.end - this.start);
      case 'flash_crash':
        if (tau < this.b) return 6;
        return 4 - (2.5 * (tau - this.b)) / (this.end - this.start - this.b);
      case 'volume_burst':
        return this.a;
    }
  }

  /** Probability that a trade at t inside the label buys (lifts the offer). */
  buyShare(t: number): number {
    switch (this.kind) {
      case 'momentum':
        return 0.7;
      case 'flash_crash': {
        const tau = t - this.start;
        return tau < this.a ? 0.2 : tau < this.b ? 0.5 : 0.75;
      }
      case 'volume_burst':
        return this.magnitude > 0 ? 0.85 : 0.15;
    }
  }

  /**
   * A trade's shares at t inside the label, from its ordinary shares. Momentum and crash sizes stay at most
   * `threshold` (they make no block; blocks stay as they are); burst prints may reach 50x the threshold.
   */
  scaleVolume(volume: number, t: number, threshold: number): number {
    const burst = this.kind === 'volume_burst';
    if (!burst && volume > threshold) return volume;
    const raw = volume * this.sizeFactor(t);
    const shares = volume >= 100 ? Math.round(raw / 100) * 100 : Math.max(1, Math.round(raw));
    return Math.min(shares, burst ? threshold * 50 : threshold);
  }
}

/** The scenarios of a market config; `undefined` from `scenariosOf` when the rate is 0. */
export class MarketScenarios {
  private readonly keys: Uint32Array;
  private readonly probability: number;
  private readonly eligible: number;
  private readonly kinds: readonly ScenarioKind[];
  /** Two memo entries per ticker, by slot parity: the current slot and the one before never evict each other. */
  private readonly memoSlot: Float64Array;
  private readonly memo: (Scenario | null)[];

  constructor(
    seed: number,
    readonly tickers: readonly Ticker[],
    options: { rate: number; tickerCount: number; kinds: readonly ScenarioKind[] },
  ) {
    this.keys = Uint32Array.from(tickers, (t) => hash3(seed, t.index, SALT));
    this.probability = Math.min(1, options.rate / SLOTS_PER_HOUR);
    this.eligible = Math.min(options.tickerCount, tickers.length);
    this.kinds = options.kinds;
    this.memoSlot = new Float64Array(2 * tickers.length).fill(Number.NaN);
    this.memo = new Array(2 * tickers.length).fill(null);
  }

  /** The scenario drawn for slot j of ticker i, before the gap rule. */
  private drawn(i: number, j: number): Scenario | null {
    const h = hash3(this.keys[i] as number, j, 0x2545f491);
    if (unit(h) >= this.probability) return null;
    const d = new Draws(fmix32(h));
    const kind = this.kinds[d.below(this.kinds.length)] as ScenarioKind;
    const start = j * SCENARIO_SLOT_MS + d.below(SLOT_SECONDS) * 1_000;
    const seconds = (lo: number, hi: number) => (lo + d.below(hi - lo + 1)) * 1_000;
    const between = (lo: number, hi: number) => lo + (hi - lo) * d.uniform();
    switch (kind) {
      case 'momentum': {
        const length = seconds(30, 60);
        return new Scenario(i, kind, start, start + length, between(0.015, 0.03), between(5, 6), 0);
      }
      case 'flash_crash': {
        const fall = seconds(5, 15);
        const bottom = fall + seconds(1, 3);
        const end = start + bottom + seconds(10, 30);
        return new Scenario(i, kind, start, end, Math.log(1 - between(0.04, 0.08)), fall, bottom);
      }
      case 'volume_burst': {
        const push = d.uniform() < 0.5 ? BURST_PUSH : -BURST_PUSH;
        return new Scenario(i, kind, start, start + seconds(3, 8), push, between(20, 40), 0);
      }
    }
  }

  /** The scenario of slot j of ticker i: the drawn one, unless the slot before ends too close to it. */
  private slot(i: number, j: number): Scenario | null {
    const k = 2 * i + (j & 1);
    if (this.memoSlot[k] === j) return this.memo[k] as Scenario | null;
    let s = this.drawn(i, j);
    if (s) {
      const before = this.drawn(i, j - 1);
      if (before && before.end + SCENARIO_GAP_MS > s.start) s = null;
    }
    this.memoSlot[k] = j;
    this.memo[k] = s;
    return s;
  }

  /** The scenario whose labelled interval holds t on ticker i, if any (at most one). */
  at(i: number, t: number): Scenario | undefined {
    if (i >= this.eligible) return undefined;
    const j = Math.floor(t / SCENARIO_SLOT_MS);
    const s = this.slot(i, j);
    if (s && s.start <= t && t < s.end) return s;
    const before = this.slot(i, j - 1);
    if (before && before.start <= t && t < before.end) return before;
    return undefined;
  }

  /** The scenarios' log-price offset on ticker i at t (labels and tails). */
  logOffset(i: number, t: number): number {
    if (i >= this.eligible) return 0;
    const j = Math.floor(t / SCENARIO_SLOT_MS);
    const s = this.slot(i, j);
    const before = this.slot(i, j - 1);
    return (s ? s.logOffset(t) : 0) + (before ? before.logOffset(t) : 0);
  }

  /** Scenarios of ticker i starting in [from, to), in time order. */
  startingIn(i: number, from: number, to: number): Scenario[] {
    const found: Scenario[] = [];
    if (i >= this.eligible) return found;
    for (let j = Math.floor(from / SCENARIO_SLOT_MS); j * SCENARIO_SLOT_MS < to; j++) {
      const s = this.slot(i, j);
      if (s && s.start >= from && s.start < to) found.push(s);
    }
    return found;
  }
}

/** The scenarios of a market config, or undefined when its rate is 0 (then nothing is changed or computed). */
export function scenariosOf(
  market: PipelineConfig['market'],
  tickers: readonly Ticker[],
): MarketScenarios | undefined {
  if (market.scenarioRate <= 0) return undefined;
  return new MarketScenarios(market.seed, tickers, {
    rate: market.scenarioRate,
    tickerCount: market.scenarioTickers,
    kinds: market.scenarioKinds,
  });
}

interface LabelSource {
  tickers: readonly Ticker[];
  paths: PricePaths;
  scenarios: MarketScenarios | undefined;
}
const sources = new WeakMap<object, LabelSource>();

export interface LabelOptions {
  /** Symbols to list (default: every ticker). */
  readonly tickers?: readonly string[];
  /** Kinds to list (default: every kind, `price_jump` included). */
  readonly kinds?: readonly LabelKind[];
  /** `within` (default): labels whose whole interval lies in [from, to); `overlapping`: any that overlaps it. */
  readonly include?: 'within' | 'overlapping';
}

/**
 * The labelled events of a market config in the event-time range [from, to): the scenarios and the price
 * paths' jumps, ordered by start then ticker. Pure in (config.market, range, options); the same whatever
 * producer instance or trade rate generates the trades (but a scenario is only visible where its ticker
 * trades: see `market.scenarioTickers`).
 */
export function marketLabels(
  config: Pick<PipelineConfig, 'market'>,
  range: { readonly from: number; readonly to: number },
  options: LabelOptions = {},
): MarketLabel[] {
  let source = sources.get(config.market);
  if (!source) {
    const tickers = tickerUniverse(config);
    source = {
      tickers,
      paths: new PricePaths(config.market.seed, tickers),
      scenarios: scenariosOf(config.market, tickers),
    };
    sources.set(config.market, source);
  }
  const { from, to } = range;
  const within = (options.include ?? 'within') === 'within';
  const wanted = (kind: LabelKind) => !options.kinds || options.kinds.includes(kind);
  const symbols = options.tickers ? new Set(options.tickers) : undefined;
  const labels: MarketLabel[] = [];
  const keep = (label: MarketLabel) => {
    const inside = within
      ? label.start >= from && label.end <= to
      : label.start < to && label.end > from && label.start < label.end;
    if (inside && wanted(label.kind)) labels.push(label);
  };
  // Labels start at most one slot (scenarios) or one label length (jumps) before they end.
  const earliest = within ? from : from - SCENARIO_SLOT_MS;
  for (const ticker of source.tickers) {
    if (symbols && !symbols.has(ticker.symbol)) continue;
    const i = ticker.index;
    if (source.scenarios) {
      for (const s of source.scenarios.startingIn(i, earliest, to)) {
        keep({ ticker: ticker.symbol, kind: s.kind, start: s.start, end: s.end, magnitude: s.magnitude });
      }
    }
    if (wanted('price_jump')) {
      for (const jump of source.paths.jumpsIn(i, within ? from : from - JUMP_LABEL_MS, to)) {
        const start = Math.ceil(jump.at);
        keep({
          ticker: ticker.symbol,
          kind: 'price_jump',
          start,
          end: start + JUMP_LABEL_MS,
          magnitude: jump.size,
        });
      }
    }
  }
  return labels.sort((x, y) => x.start - y.start || (x.ticker < y.ticker ? -1 : x.ticker > y.ticker ? 1 : 0));
}
