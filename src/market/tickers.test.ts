import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { activityCdf, pickTicker, tickerUniverse } from './tickers.ts';
import { MarketSimulator } from './trades.ts';

describe('ticker universe', () => {
  it('has hundreds of unique, realistic symbols', () => {
    const tickers = tickerUniverse(loadConfig({ env: {} }));
    assert.equal(tickers.length, 500);
    assert.equal(new Set(tickers.map((t) => t.symbol)).size, 500);
    for (const t of tickers) {
      assert.match(t.symbol, /^[A-Z]{1,5}$/);
      assert.ok(t.basePrice >= 0.5 && t.basePrice < 10_000, `${t.symbol} ${t.basePrice}`);
      assert.equal(t.tape, t.listing === 'NYSE' ? 'A' : t.listing === 'NASDAQ' ? 'C' : 'B');
    }
    assert.equal(
      tickerUniverse(loadConfig({ env: {}, overrides: { market: { tickerCount: 5000 } } })).length,
      5000,
    );
  });

  it('is a function of the seed', () => {
    const a = tickerUniverse(loadConfig({ env: {}, overrides: { market: { seed: 7 } } }));
    assert.deepEqual(a, tickerUniverse(loadConfig({ env: {}, overrides: { market: { seed: 7 } } })));
    assert.notDeepEqual(a, tickerUniverse(loadConfig({ env: {}, overrides: { market: { seed: 8 } } })));
  });

  it('samples ranks by the Zipf CDF', () => {
    const cdf = activityCdf(4, 0);
    assert.deepEqual(
      [0, 0.24, 0.25, 0.5, 0.99].map((u) => pickTicker(cdf, u)),
      [0, 0, 1, 2, 3],
    );
  });

  it('activity is skewed per tickerSkew: a few hot tickers dominate', () => {
    const share = (skew: number) => {
      const config = loadConfig({
        env: {},
        overrides: { producer: { mode: 'replay' }, market: { tickerSkew: skew } },
      });
      const sim = new MarketSimulator(config);
      const counts = new Map<string, number>();
      for (let n = 0; n < 50_000; n++) {
        const t = sim.trade('narrow', 'p', n).ticker;
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      const sorted = [...counts.values()].sort((a, b) => b - a);
      return sorted.slice(0, 10).reduce((a, b) => a + b, 0) / 50_000;
    };
    const uniform = share(0);
    const skewed = share(1.1);
    assert.ok(uniform < 0.05, `top-10 share without skew ${uniform}`);
    // Zipf(1.1) over 500 names: the top 10 take close to half the tape.
    assert.ok(skewed > 0.4 && skewed < 0.65, `top-10 share ${skewed}`);
    assert.ok(share(2) > 0.9);
  });
});
