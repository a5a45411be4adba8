/**
 * Trades: trade n of producer instance i is a pure function of (seed, i, n) and the clock. In replay mode the
 * clock itself is a function of n (a synthetic clock from producer.replayStart), so the whole stream is
 * reproducible; in live mode the caller passes the wall clock and only the timestamp depends on it.
 * Inside a labelled scenario (scenarios.ts) the trade's size and side follow the scenario at its timestamp;
 * everything else, and every trade outside one, is the same as without scenarios.
 */
import type { PipelineConfig } from '../config/index.ts';
import type { NarrowTrade, ProfileName, WideTrade } from '../schema/index.ts';
import { PricePaths, type Quote, REGULAR_SESSION_MS, sessionStart } from './prices.ts';
import { Draws, hash2, hashSafeInt, hashString } from './random.ts';
import { BURST_SWEEP_RATE, type MarketScenarios, scenariosOf } from './scenarios.ts';
import { activityCdf, type Exchange, pickTicker, type Ticker, tickerUniverse } from './tickers.ts';

export type MarketConfig = Pick<PipelineConfig, 'market' | 'producer' | 'alerts'>;
export type TradeOf<P extends ProfileName> = P extends 'wide' ? WideTrade : NarrowTrade;

/** Shares in a block: the schema's `is_block` line, independent of the alert threshold. */
export const BLOCK_SHARES = 10_000;
const BROKERS = [
  'GSCO',
  'MSCO',
  'JPMS',
  'CDRG',
  'VIRT',
  'UBSS',
  'SUSQ',
  'NITE',
  'ETRF',
  'MLCO',
  'CSFB',
  'JANE',
];
const VENUES: readonly Exchange[] = ['NYSE', 'NASDAQ', 'ARCA', 'BATS', 'IEX', 'EDGX', 'CHX', 'MEMX'];
const OFF_EXCHANGE_RATE = 0.12;
const MIDPOINT_RATE = 0.08;
const SWEEP_RATE = 0.03;
const CORRECTION_RATE = 0.0003;
const AUCTION_MS = 1_000;
const MINUTE_MS = 60_000;
const YEAR_MS = 365.25 * 86_400_000;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
/** Resting size at a book level: round lots, mostly small, sometimes large. */
const lot = (d: Draws) => 100 * (1 + Math.floor(40 * d.uniform() ** 3));
const orderId = (d: Draws, venue: string) =>
  `${venue}${d.next().toString(36).padStart(7, '0')}${d.next().toString(36).padStart(7, '0')}`;

export class MarketSimulator {
  readonly tickers: readonly Ticker[];
  readonly paths: PricePaths;
  /** The labelled scenarios, undefined when market.scenarioRate is 0. */
  readonly scenarios: MarketScenarios | undefined;
  private readonly cdf: Float64Array;
  private readonly seed: number;
  private readonly replayStartMs: number;
  private readonly msPerTrade: number;
  private readonly market: PipelineConfig['market'];
  private readonly volumeThreshold: number;
  private readonly instanceKeys = new Map<string, number>();
  private readonly draws = new Draws();
  private readonly statsSecond: Float64Array;
  private readonly statsVolatility: Float64Array;
  private readonly statsImbalance: Float64Array;

  constructor(readonly config: MarketConfig) {
    this.market = config.market;
    this.seed = config.market.seed;
    this.tickers = tickerUniverse(config);
    this.scenarios = scenariosOf(config.market, this.tickers);
    this.paths = new PricePaths(this.seed, this.tickers, this.scenarios);
    this.cdf = activityCdf(this.tickers.length, config.market.tickerSkew);
    this.replayStartMs = config.producer.replayStart.getTime();
    this.msPerTrade = 1_000 / config.producer.replayTradesPerSecond;
    this.volumeThreshold = config.alerts.volumeThreshold;
    this.statsSecond = new Float64Array(this.tickers.length).fill(Number.NaN);
    this.statsVolatility = new Float64Array(this.tickers.length);
    this.statsImbalance = new Float64Array(this.tickers.length);
  }

  /** The synthetic clock of replay mode: when trade n of an instance happens. */
  replayClock(n: number): number {
    return this.replayStartMs + Math.floor(n * this.msPerTrade);
  }

  private instanceKey(instanceId: string): number {
    let key = this.instanceKeys.get(instanceId);
    if (key === undefined) {
      key = hash2(this.seed, hashString(instanceId));
      this.instanceKeys.set(instanceId, key);
    }
    return key;
  }

  /** Trade shares: mostly round lots and odd lots, a Pareto tail, and blocks above the alert threshold. */
  private volume(d: Draws, ticker: Ticker): number {
    const threshold = this.volumeThreshold;
    if (d.uniform() < this.market.blockTradeRate) {
      // Pareto(1.5) above the threshold, in round lots, strictly above it.
      const size = threshold * (1 - d.uniform()) ** (-1 / 1.5);
      return Math.max(threshold + 1, Math.min(threshold * 50, Math.round(size / 100) * 100));
    }
    const u = d.uniform();
    let shares: number;
    if (u < 0.3) shares = 1 + d.below(99);
    else {
      // Pareto(1.3) from the ticker's typical size, rounded to lots most of the time.
      const raw = ticker.typicalSize * (1 - d.uniform()) ** (-1 / 1.3);
      shares = u < 0.85 ? Math.max(100, Math.round(raw / 100) * 100) : Math.max(1, Math.round(raw));
    }
    return Math.min(shares, threshold);
  }

  /** Trade n of an instance, narrow or wide. `now` is the wall clock in live mode (ignored in replay mode). */
  trade<P extends ProfileName>(profile: P, instanceId: string, n: number, now?: number): TradeOf<P> {
    const clock = this.config.producer.mode === 'replay' ? this.replayClock(n) : (now ?? Date.now());
    const d = this.draws.reset(hashSafeInt(this.instanceKey(instanceId), n));
    const tickerIndex = pickTicker(this.cdf, d.uniform());
    const ticker = this.tickers[tickerIndex] as Ticker;
    const sideDraw = d.uniform();
    let volume = this.volume(d, ticker);
    const disorder = d.uniform();
    const { lateFraction, lateByMs, outOfOrderFraction, outOfOrderMaxMs } = this.market;
    let timestamp = clock;
    const late = disorder < lateFraction;
    if (late) timestamp = clock - lateByMs;
    else if (disorder < lateFraction + outOfOrderFraction) timestamp = clock - 1 - d.below(outOfOrderMaxMs);
    timestamp = Math.max(0, timestamp);
    let buy: boolean;
    const scenario = this.scenarios?.at(tickerIndex, timestamp);
    if (scenario) {
      buy = sideDraw < scenario.buyShare(timestamp);
      volume = scenario.scaleVolume(volume, timestamp, this.volumeThreshold);
    } else buy = sideDraw < 0.5;
    const quote = this.paths.quote(tickerIndex, timestamp);
    const venueDraw = d.uniform();
    const offExchange = venueDraw < OFF_EXCHANGE_RATE;
    const midpoint = d.uniform() < MIDPOINT_RATE;
    const price = midpoint ? quote.mid : buy ? quote.ask : quote.bid;
    let exchange: Exchange;
    if (offExchange) exchange = venueDraw < OFF_EXCHANGE_RATE / 2 ? 'NASDAQ' : 'NYSE';
    else if (venueDraw < 0.45) exchange = ticker.listing;
    else exchange = VENUES[d.below(VENUES.length)] as Exchange;
    const narrow: NarrowTrade = {
      trade_id: `${instanceId}-${n}`,
      ticker: ticker.symbol,
      price,
      volume,
      trade_timestamp: timestamp,
      side: buy ? 'BUY' : 'SELL',
      exchange,
      sequence: n,
    };
    if (profile === 'narrow') return narrow as TradeOf<P>;
    return this.widen(
      narrow,
      quote,
      d,
      tickerIndex,
      clock,
      late || timestamp !== clock,
      offExchange,
    ) as TradeOf<P>;
  }

  /**
   * Realised volatility of the last minute (four 15-second returns of the fair price, annualised) and the
   * order imbalance implied by the minute's move, per ticker and whole second: pure in (ticker, second), and
   * memoised, as the trades of a hot ticker mostly fall in the same second.
   */
  private minuteStats(i: number, t: number): { volatility: number; imbalance: number } {
    const second = Math.floor(t / 1_000) * 1_000;
    if (this.statsSecond[i] !== second) {
      const paths = this.paths;
      let sumSquares = 0;
      const now = paths.logFair(i, second);
      let previous = now;
      for (let k = 1; k <= 4; k++) {
        const x = paths.logFair(i, second - k * 15_000);
        sumSquares += (previous - x) ** 2;
        previous = x;
      }
      const ticker = this.tickers[i] as Ticker;
      const minuteScale = ticker.volatility * Math.sqrt(MINUTE_MS / YEAR_MS);
      this.statsSecond[i] = second;
      this.statsVolatility[i] = Math.sqrt(sumSquares * (YEAR_MS / MINUTE_MS));
      this.statsImbalance[i] = Math.tanh((now - previous) / minuteScale);
    }
    return { volatility: this.statsVolatility[i] as number, imbalance: this.statsImbalance[i] as number };
  }

  private widen(
    trade: NarrowTrade,
    quote: Quote,
    d: Draws,
    i: number,
    clock: number,
    outOfSequence: boolean,
    offExchange: boolean,
  ): WideTrade {
    const ticker = this.tickers[i] as Ticker;
    const paths = this.paths;
    const t = trade.trade_timestamp;
    const { price, volume } = trade;
    const session = paths.session(i, t);
    const perDollar = quote.ticksPerDollar;
    const bidTicks = quote.bidTicks;
    const askTicks = quote.askTicks;
    const high = Math.max(session.high, price);
    const low = Math.min(session.low, price);
    const vwap = Math.min(
      high,
      Math.max(low, round4((session.priceVolume + price * volume) / (session.volume + volume))),
    );
    const expectedVolume = Math.round(session.volume);

    const { volatility, imbalance } = this.minuteStats(i, t);

    // LULD bands around the 5-minute reference price; a print at a band is a limit state (halt).
    const band = price < 3 ? 0.2 : ticker.tier === 'SMALL' || ticker.tier === 'MICRO' ? 0.1 : 0.05;
    const upper = Math.max(Math.ceil(session.reference * (1 + band) * perDollar), quote.askTicks) / perDollar;
    const lower =
      Math.max(1, Math.min(Math.floor(session.reference * (1 - band) * perDollar), quote.bidTicks)) /
      perDollar;
    const halted = price >= upper || price <= lower;

    const sinceOpen = t - sessionStart(t);
    const extended = sinceOpen >= REGULAR_SESSION_MS;
    const auction = !extended && (sinceOpen < AUCTION_MS || sinceOpen >= REGULAR_SESSION_MS - AUCTION_MS);
    const oddLot = volume < 100;
    const sweepRate = this.scenarios?.at(i, t)?.kind === 'volume_burst' ? BURST_SWEEP_RATE : SWEEP_RATE;
    const sweep =
      !extended && !auction && !outOfSequence && !oddLot && !offExchange && d.uniform() < sweepRate;
    let condition: WideTrade['sale_condition'];
    if (extended) condition = 'T';
    else if (auction) condition = sinceOpen < AUCTION_MS ? 'O' : '6';
    else if (outOfSequence) condition = 'Z';
    else if (sweep) condition = 'F';
    else if (oddLot) condition = 'I';
    else condition = d.uniform() < 0.01 ? '4' : '@';
    const settlementDraw = d.uniform();
    const buyer = d.below(BROKERS.length);
    const seller = (buyer + 1 + d.below(BROKERS.length - 1)) % BROKERS.length;
    const venueLetter = trade.exchange[0] as string;

    // One object literal with every column: a single hidden class, which keeps generation and JSON fast.
    return {
      trade_id: trade.trade_id,
      ticker: trade.ticker,
      price,
      volume,
      trade_timestamp: t,
      side: trade.side,
      exchange: trade.exchange,
      sequence: trade.sequence,
      bid_price: quote.bid,
      bid_size: lot(d),
      ask_price: quote.ask,
      ask_size: lot(d),
      mid_price: quote.mid,
      spread_bps: ((quote.ask - quote.bid) / quote.mid) * 1e4,
      bid_price_2: (bidTicks - 1) / perDollar,
      bid_size_2: lot(d) * 2,
      ask_price_2: (askTicks + 1) / perDollar,
      ask_size_2: lot(d) * 2,
      bid_price_3: (bidTicks - 2) / perDollar,
      bid_size_3: lot(d) * 3,
      ask_price_3: (askTicks + 2) / perDollar,
      ask_size_3: lot(d) * 3,
      bid_price_4: (bidTicks - 3) / perDollar,
      bid_size_4: lot(d) * 4,
      ask_price_4: (askTicks + 3) / perDollar,
      ask_size_4: lot(d) * 4,
      bid_price_5: (bidTicks - 4) / perDollar,
      bid_size_5: lot(d) * 5,
      ask_price_5: (askTicks + 4) / perDollar,
      ask_size_5: lot(d) * 5,
      open_price: session.open,
      high_price: high,
      low_price: low,
      prev_close_price: session.prevClose,
      session_vwap: vwap,
      cumulative_volume: expectedVolume + volume,
      session_trade_count: Math.round(expectedVolume / ticker.typicalSize) + 1,
      volatility_1m: volatility,
      order_imbalance: imbalance,
      luld_upper_band: upper,
      luld_lower_band: lower,
      tape: ticker.tape,
      sale_condition: condition,
      settlement_type:
        settlementDraw < 0.997
          ? 'REGULAR'
          : settlementDraw < 0.998
            ? 'CASH'
            : settlementDraw < 0.999
              ? 'NEXT_DAY'
              : 'SELLER',
      currency: 'USD',
      sector: ticker.sector,
      market_cap_tier: ticker.tier,
      buyer_broker: BROKERS[buyer] as string,
      seller_broker: BROKERS[seller] as string,
      order_id: orderId(d, venueLetter),
      contra_order_id: orderId(d, venueLetter),
      trf_id: offExchange ? (trade.exchange === 'NASDAQ' ? 'NQTRF' : 'NYTRF') : null,
      participant_timestamp: t,
      sip_timestamp: Math.max(t, clock) + 1 + d.below(3),
      notional: (Math.round(price * 1e4) * volume) / 1e4,
      round_lots: Math.floor(volume / 100),
      odd_lot_shares: volume % 100,
      correction_indicator: d.uniform() < CORRECTION_RATE ? 1 : 0,
      is_odd_lot: oddLot,
      is_block: volume >= BLOCK_SHARES,
      is_intermarket_sweep: sweep,
      is_short_sale: d.uniform() < 0.25,
      is_auction: auction,
      is_halted: halted,
      is_extended_hours: extended,
    };
  }
}

const simulators = new WeakMap<object, MarketSimulator>();

/** The simulator of a config, built once per config object (the ticker universe takes a moment). */
export function simulatorFor(config: MarketConfig): MarketSimulator {
  let sim = simulators.get(config);
  if (!sim) {
    sim = new MarketSimulator(config);
    simulators.set(config, sim);
  }
  return sim;
}

/**
 * Trade n of instance `instanceId` under `config` (profile from config unless given): what a test of the whole
 * pipeline recomputes to know the expected output. In live mode pass the clock the producer used.
 */
export function tradeAt<P extends ProfileName = 'narrow'>(
  config: MarketConfig & { profile: ProfileName },
  instanceId: string,
  n: number,
  options: { profile?: P; now?: number } = {},
): TradeOf<P> {
  return simulatorFor(config).trade((options.profile ?? config.profile) as P, instanceId, n, options.now);
}
