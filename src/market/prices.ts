/**
 * Price paths as pure functions of (seed, ticker, time). The log-price is the ticker's base level plus hashed
 * "value noise" at scales from one second to two months (each scale's amplitude grows with the square root of
 * its length, as for a random walk, but the sum is stationary: prices wander and revert), plus rare jumps that
 * decay over the following half hour. Quotes are rounded to the tick (one cent; 1/100 cent below $1), so every
 * price has at most 4 decimals. Two replicas with the same seed compute the same quote for the same instant.
 * Labelled scenarios (scenarios.ts), when the config has them, add their offsets to the log-price.
 */
import { fmix32, gaussian, hash2, hash3, unit } from './random.ts';
import type { MarketScenarios } from './scenarios.ts';
import type { Ticker } from './tickers.ts';

const YEAR_MS = 365.25 * 86_400_000;
const SCALES_MS = [
  1_000, 10_000, 60_000, 600_000, 3_600_000, 86_400_000, 864_000_000, 5_184_000_000,
] as const;
const JUMP_SLOT_MS = 1_200_000;
const JUMP_PROBABILITY = 0.03;
const JUMP_DECAY_MS = 1_800_000;
const JUMP_SLOTS_BACK = 4;
const jumpHash = (key: number, slot: number) => hash3(key, slot, 0x6a09e667);
const jumpTime = (slot: number, h: number) => slot * JUMP_SLOT_MS + unit(fmix32(h)) * JUMP_SLOT_MS;

export const DAY_MS = 86_400_000;
/** Regular session 09:30-16:00 New York, taken as 14:30-21:00 UTC (no daylight saving in the simulation). */
export const SESSION_OPEN_MS = 14.5 * 3_600_000;
export const REGULAR_SESSION_MS = 6.5 * 3_600_000;
const BUCKET_MS = 300_000;
const BUCKETS_PER_SESSION = DAY_MS / BUCKET_MS;
const REGULAR_BUCKETS = REGULAR_SESSION_MS / BUCKET_MS;

/** Start of the session (the day's open) that the instant belongs to; the session runs until the next open. */
export const sessionStart = (t: number) =>
  Math.floor((t - SESSION_OPEN_MS) / DAY_MS) * DAY_MS + SESSION_OPEN_MS;

export interface Quote {
  /** Prices in ticks: `ticksPerDollar` ticks make a dollar. */
  readonly bidTicks: number;
  readonly askTicks: number;
  readonly ticksPerDollar: number;
  readonly bid: number;
  readonly ask: number;
  readonly mid: number;
}

/** Session statistics up to an instant, from the price path sampled every 5 minutes since the open. */
export interface SessionSnapshot {
  readonly open: number;
  readonly prevClose: number;
  readonly high: number;
  readonly low: number;
  /** Sum of price x expected volume, and the expected volume, over the sampled past of the session. */
  readonly priceVolume: number;
  readonly volume: number;
  /** Mid price at the start of the current 5-minute bucket: the LULD reference price. */
  readonly reference: number;
}

interface SessionMemo {
  start: number;
  computed: number;
  high: Float64Array;
  low: Float64Array;
  priceVolume: Float64Array;
  volume: Float64Array;
  mids: Float64Array;
  open: number;
  prevClose: number;
}

/** Share of the day's volume in each 5-minute bucket: U-shaped in regular hours, a trickle outside. */
function bucketShare(b: number): number {
  if (b >= REGULAR_BUCKETS) return 0.03 / REGULAR_BUCKETS;
  const x = (b + 0.5) / REGULAR_BUCKETS - 0.5;
  return (0.6 + 4.8 * x * x) / REGULAR_BUCKETS;
}

export class PricePaths {
  private readonly keys: Uint32Array;
  private readonly amplitudes: Float64Array[];
  private readonly jumpSizes: Float64Array;
  private readonly sessions: (SessionMemo | undefined)[];

  constructor(
    seed: number,
    readonly tickers: readonly Ticker[],
    /** The labelled scenarios laid over the paths, if any. */
    readonly scenarios?: MarketScenarios,
  ) {
    this.keys = Uint32Array.from(tickers, (t) => hash2(seed, t.index));
    this.amplitudes = tickers.map((t) =>
      Float64Array.from(SCALES_MS, (s) => t.volatility * Math.sqrt(s / YEAR_MS) * 1.3),
    );
    this.jumpSizes = Float64Array.from(tickers, (t) => 4 * t.volatility * Math.sqrt(3_600_000 / YEAR_MS));
    this.sessions = new Array(tickers.length);
  }

  /** Natural log of the fair (untradeable, unrounded) price of ticker i at instant t (epoch ms). */
  logFair(i: number, t: number): number {
    const key = this.keys[i] as number;
    const amplitude = this.amplitudes[i] as Float64Array;
    let x = Math.log((this.tickers[i] as Ticker).basePrice);
    for (let s = 0; s < SCALES_MS.length; s++) {
      const position = t / (SCALES_MS[s] as number);
      const k = Math.floor(position);
      const f = position - k;
      const scaleKey = key + s * 0x9e3779b9;
      const a = gaussian(hash2(scaleKey, k));
      const b = gaussian(hash2(scaleKey, k + 1));
      x += (amplitude[s] as number) * (a + (b - a) * f);
    }
    const slot = Math.floor(t / JUMP_SLOT_MS);
    for (let j = slot - JUMP_SLOTS_BACK; j <= slot; j++) {
      const h = jumpHash(key, j);
      if (unit(h) >= JUMP_PROBABILITY) continue;
      const at = jumpTime(j, h);
      if (at > t) continue;
      x += this.jumpSize(i, h) * Math.exp((at - t) / JUMP_DECAY_MS);
    }
    if (this.scenarios) x += this.scenarios.logOffset(i, t);
    return x;
  }

  /** Signed log size of the jump of ticker i whose hash is h, at its step. */
  private jumpSize(i: number, h: number): number {
    return (this.jumpSizes[i] as number) * gaussian(fmix32(h ^ 0x3c6ef372));
  }

  /** The rare jumps of ticker i whose step falls in [from, to): when (epoch ms, fractional) and how much. */
  jumpsIn(i: number, from: number, to: number): { at: number; size: number }[] {
    const key = this.keys[i] as number;
    const jumps: { at: number; size: number }[] = [];
    for (let j = Math.floor(from / JUMP_SLOT_MS); j * JUMP_SLOT_MS < to; j++) {
      const h = jumpHash(key, j);
      if (unit(h) >= JUMP_PROBABILITY) continue;
      const at = jumpTime(j, h);
      if (at >= from && at < to) jumps.push({ at, size: this.jumpSize(i, h) });
    }
    return jumps;
  }

  /** The quote (best bid and offer) of ticker i at instant t. */
  quote(i: number, t: number): Quote {
    const ticker = this.tickers[i] as Ticker;
    const fair = Math.exp(this.logFair(i, t));
    const ticksPerDollar = fair >= 1 ? 100 : 10_000;
    // The spread breathes second by second around the ticker's typical width; at least one tick.
    const width = 0.7 + 0.6 * unit(hash3(this.keys[i] as number, Math.floor(t / 1_000), 0xbb67ae85));
    let spreadTicks = Math.max(1, Math.round(((2 * fair * ticker.spreadBps) / 1e4) * ticksPerDollar * width));
    // Sub-dollar ticks are 1/100 cent: an even spread keeps the midpoint within 4 decimals.
    if (ticksPerDollar === 10_000 && spreadTicks % 2 === 1) spreadTicks++;
    const bidTicks = Math.max(5, Math.floor(fair * ticksPerDollar - spreadTicks / 2));
    const askTicks = bidTicks + spreadTicks;
    return {
      bidTicks,
      askTicks,
      ticksPerDollar,
      bid: bidTicks / ticksPerDollar,
      ask: askTicks / ticksPerDollar,
      mid: (bidTicks + askTicks) / (2 * ticksPerDollar),
    };
  }

  /** Mid price of ticker i at t. */
  mid(i: number, t: number): number {
    return this.quote(i, t).mid;
  }

  /**
   * Session statistics of ticker i up to instant t. Pure in (seed, ticker, t); memoised per ticker and session
   * so a trade costs one bucket of work at most.
   */
  session(i: number, t: number): SessionSnapshot {
    const start = sessionStart(t);
    let memo = this.sessions[i];
    if (!memo || memo.start !== start) {
      memo = {
        start,
        computed: 0,
        high: new Float64Array(BUCKETS_PER_SESSION),
        low: new Float64Array(BUCKETS_PER_SESSION),
        priceVolume: new Float64Array(BUCKETS_PER_SESSION),
        volume: new Float64Array(BUCKETS_PER_SESSION),
        mids: new Float64Array(BUCKETS_PER_SESSION),
        open: this.mid(i, start),
        prevClose: this.mid(i, start - DAY_MS + REGULAR_SESSION_MS),
      };
      this.sessions[i] = memo;
    }
    const bucket = Math.min(BUCKETS_PER_SESSION - 1, Math.floor((t - start) / BUCKET_MS));
    const daily = (this.tickers[i] as Ticker).dailyVolume;
    for (let b = memo.computed; b <= bucket; b++) {
      const mid = this.mid(i, start + b * BUCKET_MS);
      const w = daily * bucketShare(b);
      memo.mids[b] = mid;
      memo.high[b] = Math.max(b === 0 ? memo.open : (memo.high[b - 1] as number), mid);
      memo.low[b] = Math.min(b === 0 ? memo.open : (memo.low[b - 1] as number), mid);
      memo.priceVolume[b] = (b === 0 ? 0 : (memo.priceVolume[b - 1] as number)) + mid * w;
      memo.volume[b] = (b === 0 ? 0 : (memo.volume[b - 1] as number)) + w;
    }
    memo.computed = Math.max(memo.computed, bucket + 1);
    return {
      open: memo.open,
      prevClose: memo.prevClose,
      high: memo.high[bucket] as number,
      low: memo.low[bucket] as number,
      priceVolume: memo.priceVolume[bucket] as number,
      volume: memo.volume[bucket] as number,
      reference: memo.mids[bucket] as number,
    };
  }
}
