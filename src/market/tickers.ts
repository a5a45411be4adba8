/**
 * The ticker universe: symbols with a sector, a size, a listing venue and the parameters of their price path,
 * ranked by activity. Activity follows Zipf's law, so a few hot tickers dominate the tape.
 */
import type { PipelineConfig } from '../config/index.ts';
import { CAP_TIERS, type EXCHANGES, SECTORS, type WideTrade } from '../schema/index.ts';
import { gaussian, hash3, unit } from './random.ts';

export type Sector = WideTrade['sector'];
export type CapTier = WideTrade['market_cap_tier'];
export type Tape = WideTrade['tape'];
export type Exchange = (typeof EXCHANGES)[number];

export interface Ticker {
  /** Activity rank: 0 is the most traded. */
  readonly index: number;
  readonly symbol: string;
  readonly sector: Sector;
  readonly tier: CapTier;
  /** Primary listing, which decides the consolidated tape. */
  readonly listing: Exchange;
  readonly tape: Tape;
  /** Long-run price level the path reverts to, USD. */
  readonly basePrice: number;
  /** Annualised volatility of the log-price. */
  readonly volatility: number;
  /** Quoted half-spread around the fair price, in basis points. */
  readonly spreadBps: number;
  /** Median size of an ordinary (non-block) trade, shares. */
  readonly typicalSize: number;
  /** Shares traded in a regular session, for session statistics. */
  readonly dailyVolume: number;
}

// Well-known symbols lead the ranking, as on a real tape; the rest are generated.
const LEADERS: readonly [string, Sector, CapTier, Exchange, number][] = [
  ['NVDA', 'TECH', 'MEGA', 'NASDAQ', 140],
  ['TSLA', 'CONSUMER', 'MEGA', 'NASDAQ', 250],
  ['AAPL', 'TECH', 'MEGA', 'NASDAQ', 190],
  ['AMD', 'TECH', 'LARGE', 'NASDAQ', 150],
  ['AMZN', 'CONSUMER', 'MEGA', 'NASDAQ', 180],
  ['MSFT', 'TECH', 'MEGA', 'NASDAQ', 420],
  ['META', 'TECH', 'MEGA', 'NASDAQ', 500],
  ['SPY', 'FIN', 'MEGA', 'ARCA', 520],
  ['QQQ', 'FIN', 'MEGA', 'NASDAQ', 440],
  ['GOOGL', 'TECH', 'MEGA', 'NASDAQ', 170],
  ['PLTR', 'TECH', 'LARGE', 'NYSE', 25],
  ['INTC', 'TECH', 'LARGE', 'NASDAQ', 30],
  ['BAC', 'FIN', 'MEGA', 'NYSE', 38],
  ['F', 'CONSUMER', 'LARGE', 'NYSE', 12],
  ['SOFI', 'FIN', 'MID', 'NASDAQ', 8],
  ['JPM', 'FIN', 'MEGA', 'NYSE', 200],
  ['XOM', 'ENERGY', 'MEGA', 'NYSE', 115],
  ['NIO', 'CONSUMER', 'MID', 'NYSE', 5],
  ['T', 'TELECOM', 'LARGE', 'NYSE', 18],
  ['PFE', 'HEALTH', 'LARGE', 'NYSE', 28],
  ['WFC', 'FIN', 'LARGE', 'NYSE', 55],
  ['UBER', 'INDUSTRIAL', 'LARGE', 'NYSE', 70],
  ['NFLX', 'TELECOM', 'LARGE', 'NASDAQ', 600],
  ['COIN', 'FIN', 'LARGE', 'NASDAQ', 220],
  ['GME', 'CONSUMER', 'SMALL', 'NYSE', 22],
  ['MU', 'TECH', 'LARGE', 'NASDAQ', 110],
  ['CVX', 'ENERGY', 'MEGA', 'NYSE', 155],
  ['KO', 'CONSUMER', 'MEGA', 'NYSE', 62],
  ['DIS', 'TELECOM', 'LARGE', 'NYSE', 95],
  ['UNH', 'HEALTH', 'MEGA', 'NYSE', 510],
  ['V', 'FIN', 'MEGA', 'NYSE', 270],
  ['NEE', 'UTIL', 'LARGE', 'NYSE', 70],
  ['O', 'REIT', 'LARGE', 'NYSE', 55],
  ['LIN', 'MATERIALS', 'MEGA', 'NASDAQ', 460],
  ['BA', 'INDUSTRIAL', 'LARGE', 'NYSE', 180],
  ['MARA', 'FIN', 'SMALL', 'NASDAQ', 19],
  ['RIVN', 'CONSUMER', 'MID', 'NASDAQ', 11],
  ['CCL', 'CONSUMER', 'MID', 'NYSE', 17],
  ['LCID', 'CONSUMER', 'SMALL', 'NASDAQ', 3],
  ['AAL', 'INDUSTRIAL', 'MID', 'NASDAQ', 14],
];

// Listings: most names on NYSE or Nasdaq, some on the regional/ETF venues (tape B).
const LISTINGS: readonly Exchange[] = ['NYSE', 'NASDAQ', 'NASDAQ', 'NYSE', 'NASDAQ', 'ARCA', 'BATS'];
const CONSONANTS = 'BCDFGHJKLMNPRSTVWXZ';
const VOWELS = 'AEIOUY';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const tapeOf = (listing: Exchange): Tape => (listing === 'NYSE' ? 'A' : listing === 'NASDAQ' ? 'C' : 'B');

/** A pronounceable 2-5 letter symbol, as most real ones are. */
function symbolFrom(seed: number, index: number, attempt: number): string {
  const h = (k: number) => hash3(seed ^ 0x51ab, index * 97 + attempt, k);
  const length = 2 + (h(0) % 4);
  let s = '';
  for (let k = 0; k < length; k++) {
    const pool = k === length - 1 && h(99) % 5 === 0 ? LETTERS : k % 2 === 0 ? CONSONANTS : VOWELS;
    s += pool[h(k + 1) % pool.length];
  }
  return s;
}

function tierForRank(rank: number, u: number): CapTier {
  // Hot names are mostly large; the long tail is mostly small. Never strictly: a hot micro cap happens.
  const bias = Math.min(1, rank / 400);
  return CAP_TIERS[Math.min(4, Math.floor((bias * 0.75 + u * 0.45) * 5))] as CapTier;
}

const SPREAD_BPS: Record<CapTier, number> = { MEGA: 0.6, LARGE: 1.5, MID: 4, SMALL: 12, MICRO: 35 };
const VOLATILITY: Record<CapTier, number> = { MEGA: 0.25, LARGE: 0.32, MID: 0.45, SMALL: 0.65, MICRO: 0.9 };

/** The universe for a seed: `tickerCount` tickers in activity order (index 0 hottest). */
export function tickerUniverse(config: Pick<PipelineConfig, 'market'>): Ticker[] {
  const { seed, tickerCount } = config.market;
  const tickers: Ticker[] = [];
  const used = new Set<string>();
  for (let index = 0; index < tickerCount; index++) {
    const h = (k: number) => hash3(seed, index, k);
    const leader = LEADERS[index];
    let symbol: string;
    let sector: Sector;
    let tier: CapTier;
    let listing: Exchange;
    let basePrice: number;
    if (leader) {
      [symbol, sector, tier, listing, basePrice] = leader;
    } else {
      let attempt = 0;
      do symbol = symbolFrom(seed, index, attempt++);
      while (used.has(symbol) || LEADERS.some((l) => l[0] === symbol));
      sector = SECTORS[h(1) % SECTORS.length] as Sector;
      tier = tierForRank(index, unit(h(2)));
      listing = LISTINGS[h(3) % LISTINGS.length] as Exchange;
      // Log-normal price levels: smaller names trade lower, a few above $500.
      const median = { MEGA: 180, LARGE: 90, MID: 40, SMALL: 15, MICRO: 4 }[tier];
      basePrice = Math.max(0.5, median * Math.exp(0.8 * gaussian(h(4))));
    }
    used.add(symbol);
    const volatility = VOLATILITY[tier] * Math.exp(0.25 * gaussian(h(5)));
    tickers.push({
      index,
      symbol,
      sector,
      tier,
      listing,
      tape: tapeOf(listing),
      basePrice,
      volatility,
      spreadBps: SPREAD_BPS[tier] * Math.exp(0.3 * gaussian(h(6))),
      typicalSize: basePrice > 200 ? 40 : basePrice > 20 ? 100 : 300,
      dailyVolume: Math.round(2e8 / (index + 1) ** 0.9 / Math.max(1, basePrice / 50)) + 50_000,
    });
  }
  return tickers;
}

/** Cumulative Zipf weights of ticker activity (rank^-skew), normalised to end at 1. */
export function activityCdf(tickerCount: number, skew: number): Float64Array {
  const cdf = new Float64Array(tickerCount);
  let total = 0;
  for (let r = 0; r < tickerCount; r++) {
    total += 1 / (r + 1) ** skew;
    cdf[r] = total;
  }
  for (let r = 0; r < tickerCount; r++) cdf[r] = (cdf[r] as number) / total;
  return cdf;
}

/** The ticker rank for a uniform draw u in [0, 1): binary search in the activity CDF. */
export function pickTicker(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] as number) > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
