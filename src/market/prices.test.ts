import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { PricePaths } from './prices.ts';
import { tickerUniverse } from './tickers.ts';
import { MarketSimulator } from './trades.ts';

const fourDecimals = (x: number) => Number(x.toFixed(4)) === x;
const config = loadConfig({ env: {}, overrides: { producer: { mode: 'replay' } } });
const start = Date.UTC(2026, 0, 5, 14, 30);

describe('price paths', () => {
  it('are a pure function of (seed, ticker, time)', () => {
    const a = new PricePaths(7, tickerUniverse(config));
    const b = new PricePaths(7, tickerUniverse(config));
    const c = new PricePaths(8, tickerUniverse(config));
    for (const t of [start, start + 1, start + 86_400_000 * 30]) {
      for (const i of [0, 9, 499]) {
        assert.deepEqual(a.quote(i, t), b.quote(i, t));
        assert.deepEqual(a.session(i, t), b.session(i, t));
      }
    }
    assert.notDeepEqual(a.quote(3, start), c.quote(3, start));
  });

  it('quotes are tick-rounded with 4 decimals at most, bid below ask', () => {
    const paths = new PricePaths(1, tickerUniverse(config));
    for (let i = 0; i < paths.tickers.length; i++) {
      for (let k = 0; k < 50; k++) {
        const q = paths.quote(i, start + k * 7_919_777);
        assert.ok(q.bid > 0 && q.bid < q.ask, `${i} ${q.bid} ${q.ask}`);
        for (const p of [q.bid, q.ask, q.mid]) assert.ok(fourDecimals(p), `${p}`);
      }
    }
  });

  it('move like prices: continuous at small scales, wandering but mean-reverting at large ones', () => {
    const paths = new PricePaths(42, tickerUniverse(config));
    const secondReturns: number[] = [];
    const yearly: number[] = [];
    for (let i = 0; i < 100; i++) {
      for (let k = 0; k < 100; k++) {
        const t = start + k * 60_000;
        secondReturns.push(paths.logFair(i, t + 1_000) - paths.logFair(i, t));
      }
      const base = Math.log((paths.tickers[i] as { basePrice: number }).basePrice);
      for (let d = 0; d < 365; d += 5) yearly.push(paths.logFair(i, start + d * 86_400_000) - base);
    }
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    // A one-second move is a small fraction of a percent; over a year prices drift tens of percent, not 10x.
    assert.ok(sd(secondReturns) > 1e-5 && sd(secondReturns) < 2e-3, `1 s sd ${sd(secondReturns)}`);
    assert.ok(sd(yearly) > 0.02 && sd(yearly) < 0.6, `year sd ${sd(yearly)}`);
    assert.ok(Math.max(...yearly.map(Math.abs)) < Math.log(4));
  });

  it('replicas with the same seed agree on every ticker at the same instant, without talking', () => {
    // Two producer instances: their trades differ, but any two trades of a ticker at the same instant sit in
    // the same quote.
    const a = new MarketSimulator(config);
    const b = new MarketSimulator(config);
    const quotes = new Map<string, { bid: number; ask: number }>();
    let compared = 0;
    for (let n = 0; n < 20_000; n++) {
      for (const [sim, id] of [
        [a, 'pod-a'],
        [b, 'pod-b'],
      ] as const) {
        const t = sim.trade('wide', id, n);
        const key = `${t.ticker}@${t.trade_timestamp}`;
        const seen = quotes.get(key);
        if (seen) {
          compared++;
          assert.deepEqual({ bid: t.bid_price, ask: t.ask_price }, seen, key);
        } else quotes.set(key, { bid: t.bid_price, ask: t.ask_price });
        assert.ok(t.price === t.bid_price || t.price === t.ask_price || t.price === t.mid_price);
      }
    }
    assert.ok(compared > 1_000, `only ${compared} coincident trades`);
  });
});
