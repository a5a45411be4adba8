import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { encoderFor } from '../producer/encode.ts';
import { columnsOf, narrowColumns, tradeValidator, type WideTrade, wideColumns } from '../schema/index.ts';
import { checkTrade } from '../schema/strict.ts';
import { BLOCK_SHARES, MarketSimulator, tradeAt } from './trades.ts';

const replay = loadConfig({ env: {}, overrides: { producer: { mode: 'replay' } } });

describe('trades', () => {
  it('trade n of instance i is always the same record, in a fresh simulator too', () => {
    const a = new MarketSimulator(replay);
    const b = new MarketSimulator(replay);
    for (const n of [0, 1, 17, 99_999, 2 ** 40]) {
      assert.deepEqual(a.trade('wide', 'p0', n), b.trade('wide', 'p0', n));
      assert.deepEqual(tradeAt(replay, 'p0', n), a.trade('narrow', 'p0', n));
    }
    // Generation order does not matter: backwards gives the same records.
    const forward = Array.from({ length: 500 }, (_, n) => a.trade('wide', 'p1', n));
    const backward = Array.from({ length: 500 }, (_, k) => b.trade('wide', 'p1', 499 - k)).reverse();
    assert.deepEqual(forward, backward);
  });

  it('the narrow record is the head of the wide record', () => {
    const sim = new MarketSimulator(replay);
    for (let n = 0; n < 200; n++) {
      const wide = sim.trade('wide', 'x', n) as Record<string, unknown>;
      const narrow = sim.trade('narrow', 'x', n) as Record<string, unknown>;
      for (const c of columnsOf('narrow')) assert.equal(wide[c.name], narrow[c.name], c.name);
    }
  });

  it('ids are unique across instances and numbers; sequences count from 0', () => {
    const sim = new MarketSimulator(replay);
    const ids = new Set<string>();
    for (const instance of ['pod-a', 'pod-b', 'pod-a.1']) {
      for (let n = 0; n < 5_000; n++) {
        const t = sim.trade('narrow', instance, n);
        assert.equal(t.sequence, n);
        ids.add(t.trade_id);
      }
    }
    assert.equal(ids.size, 15_000);
  });

  it('different instances produce different streams', () => {
    const sim = new MarketSimulator(replay);
    let same = 0;
    for (let n = 0; n < 1_000; n++)
      if (sim.trade('narrow', 'a', n).ticker === sim.trade('narrow', 'b', n).ticker) same++;
    assert.ok(same < 300, `${same} of 1000 share a ticker`);
  });

  it('produces every wide column, valid against the schema', () => {
    const sim = new MarketSimulator(replay);
    const validate = tradeValidator('wide');
    const encodeWide = encoderFor('wide');
    const encodeNarrow = encoderFor('narrow');
    const names = wideColumns.map((c) => c.name as string);
    // Replay from the open, then later in the day and after the close, to reach every condition.
    const clocks = [undefined, Date.UTC(2026, 0, 5, 18), Date.UTC(2026, 0, 5, 22), Date.UTC(2026, 0, 6, 2)];
    for (const now of clocks) {
      const config = now === undefined ? replay : loadConfig({ env: {} });
      const s = now === undefined ? sim : new MarketSimulator(config);
      for (let n = 0; n < 3_000; n++) {
        const trade = s.trade('wide', 'p0', n, now === undefined ? undefined : now + n) as Record<
          string,
          unknown
        >;
        const missing = names.filter((name) => !(name in trade));
        assert.deepEqual(missing, [], `simulator does not produce: ${missing.join(', ')}`);
        const extra = Object.keys(trade).filter((k) => !names.includes(k));
        assert.deepEqual(extra, [], `simulator produces unknown columns: ${extra.join(', ')}`);
        const result = validate.safeParse(trade);
        assert.ok(
          result.success,
          result.success
            ? ''
            : `column ${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`,
        );
        // The bytes the producer sends pass the strict check of the Flink source too, narrow and wide.
        const bytes = Buffer.from(encodeWide(trade));
        assert.equal(checkTrade(bytes, wideColumns).reason, null, `trade ${n}: ${bytes}`);
        const narrow = Buffer.from(
          encodeNarrow(s.trade('narrow', 'p0', n, now === undefined ? undefined : now + n)),
        );
        assert.equal(checkTrade(narrow, narrowColumns).reason, null, `trade ${n}: ${narrow}`);
      }
    }
  });

  it('wide values are mutually consistent', () => {
    const sim = new MarketSimulator(replay);
    const seen = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const t: WideTrade = sim.trade('wide', 'p0', n);
      const at = `trade ${n}`;
      assert.ok(t.bid_price < t.ask_price, at);
      assert.ok(t.bid_price <= t.price && t.price <= t.ask_price, at);
      assert.ok(Math.abs(t.mid_price - (t.bid_price + t.ask_price) / 2) < 1e-9, at);
      assert.ok(t.bid_price_5 < t.bid_price_4 && t.bid_price_4 < t.bid_price_3, at);
      assert.ok(t.bid_price_3 < t.bid_price_2 && t.bid_price_2 < t.bid_price, at);
      assert.ok(t.ask_price < t.ask_price_2 && t.ask_price_2 < t.ask_price_3, at);
      assert.ok(t.ask_price_3 < t.ask_price_4 && t.ask_price_4 < t.ask_price_5, at);
      assert.ok(t.low_price <= t.price && t.price <= t.high_price, at);
      assert.ok(t.low_price <= t.open_price && t.open_price <= t.high_price, at);
      assert.ok(t.low_price <= t.session_vwap && t.session_vwap <= t.high_price, at);
      assert.ok(t.luld_lower_band <= t.price && t.price <= t.luld_upper_band, at);
      assert.ok(t.cumulative_volume >= t.volume && t.session_trade_count >= 1, at);
      assert.ok(t.order_imbalance >= -1 && t.order_imbalance <= 1, at);
      assert.ok(Math.abs(t.notional - t.price * t.volume) < 1e-6 * Math.max(1, t.notional), at);
      assert.equal(t.round_lots * 100 + t.odd_lot_shares, t.volume, at);
      assert.equal(t.is_odd_lot, t.volume < 100, at);
      assert.equal(t.is_block, t.volume >= BLOCK_SHARES, at);
      assert.equal(t.is_intermarket_sweep, t.sale_condition === 'F', at);
      assert.equal(t.is_extended_hours, t.sale_condition === 'T', at);
      assert.equal(t.is_auction, t.sale_condition === 'O' || t.sale_condition === '6', at);
      if (t.trf_id !== null) assert.equal(t.trf_id, t.exchange === 'NASDAQ' ? 'NQTRF' : 'NYTRF', at);
      assert.notEqual(t.buyer_broker, t.seller_broker, at);
      assert.ok(t.participant_timestamp <= t.sip_timestamp && t.trade_timestamp <= t.sip_timestamp, at);
      seen.add(t.sale_condition);
    }
    for (const c of ['O', 'Z', 'F', 'I', '@']) assert.ok(seen.has(c), `sale condition ${c} never seen`);
  });

  it('replay mode runs a synthetic clock at replayTradesPerSecond; late and out-of-order trades lag it', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        producer: {
          mode: 'replay',
          replayStart: new Date('2026-03-02T15:00:00Z'),
          replayTradesPerSecond: 500,
        },
        market: { outOfOrderFraction: 0.02, outOfOrderMaxMs: 2_000, lateFraction: 0.01, lateByMs: 60_000 },
      },
    });
    const sim = new MarketSimulator(config);
    const start = Date.UTC(2026, 2, 2, 15);
    let late = 0;
    let disordered = 0;
    const total = 100_000;
    for (let n = 0; n < total; n++) {
      const clock = start + Math.floor(n * 2);
      assert.equal(sim.replayClock(n), clock);
      const lag = clock - sim.trade('narrow', 'p0', n).trade_timestamp;
      if (lag === 60_000) late++;
      else if (lag > 0) {
        assert.ok(lag <= 2_000, `lag ${lag}`);
        disordered++;
      } else assert.equal(lag, 0);
    }
    assert.ok(Math.abs(late / total - 0.01) < 0.002, `late ${late}`);
    assert.ok(Math.abs(disordered / total - 0.02) < 0.003, `out of order ${disordered}`);
  });

  it('live mode stamps the clock it is given', () => {
    const sim = new MarketSimulator(
      loadConfig({ env: {}, overrides: { market: { outOfOrderFraction: 0, lateFraction: 0 } } }),
    );
    assert.equal(sim.trade('narrow', 'p', 5, 1_800_000_000_000).trade_timestamp, 1_800_000_000_000);
  });

  it('volumes are heavy-tailed: blocks above the alert threshold at blockTradeRate, never otherwise', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        producer: { mode: 'replay' },
        market: { blockTradeRate: 0.01 },
        alerts: { volumeThreshold: 20_000 },
      },
    });
    const sim = new MarketSimulator(config);
    const total = 100_000;
    const volumes = Array.from({ length: total }, (_, n) => sim.trade('narrow', 'p0', n).volume);
    const blocks = volumes.filter((v) => v > 20_000).length;
    assert.ok(Math.abs(blocks / total - 0.01) < 0.0015, `blocks ${blocks}`);
    volumes.sort((a, b) => a - b);
    const median = volumes[total / 2] as number;
    const p999 = volumes[Math.floor(total * 0.999)] as number;
    assert.ok(median >= 50 && median <= 500, `median ${median}`);
    assert.ok(p999 > 20 * median, `tail: p99.9 ${p999} vs median ${median}`);
    assert.ok(volumes.filter((v) => v < 100).length > total * 0.2, 'odd lots are common');
  });
});
