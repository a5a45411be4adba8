import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { narrowColumns, postgresTableDdl, tradeValidator, wideColumns } from './index.ts';

const trade = {
  trade_id: 'p0-7',
  ticker: 'AAPL',
  price: 187.1234,
  volume: 300,
  trade_timestamp: 1_700_000_000_123,
  side: 'BUY',
  exchange: 'NASDAQ',
  sequence: 7,
};

describe('trade schema', () => {
  it('has the seed columns in narrow and 60+ distinct, described columns in wide', () => {
    const names = narrowColumns.map((c) => c.name);
    for (const seed of ['trade_id', 'ticker', 'price', 'volume', 'trade_timestamp', 'side', 'exchange']) {
      assert.ok(names.includes(seed as never), seed);
    }
    assert.ok(wideColumns.length >= 60);
    assert.equal(new Set(wideColumns.map((c) => c.name)).size, wideColumns.length);
    for (const c of wideColumns) {
      assert.match(c.name, /^[a-z][a-z0-9_]*$/);
      assert.ok(c.description.length > 10, c.name);
    }
  });

  it('accepts a valid narrow trade', () => {
    assert.equal(tradeValidator('narrow').safeParse(trade).success, true);
  });

  it('names the field and the problem for invalid trades', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...trade, volume: -5 }, 'volume'],
      [{ ...trade, price: 1.23456 }, 'price'],
      [{ ...trade, price: 0 }, 'price'],
      [{ ...trade, side: 'HOLD' }, 'side'],
      [{ ...trade, ticker: undefined }, 'ticker'],
      [{ ...trade, extra: 1 }, ''],
      [{ ...trade, trade_timestamp: '2024-01-01' }, 'trade_timestamp'],
    ];
    for (const [bad, field] of cases) {
      const result = tradeValidator('narrow').safeParse(bad);
      assert.equal(result.success, false, JSON.stringify(bad));
      assert.equal(result.error?.issues[0]?.path.join('.'), field);
    }
  });

  it('derives a keyed PostgreSQL table with checks and comments', () => {
    const ddl = postgresTableDdl(narrowColumns);
    assert.match(ddl, /^CREATE TABLE IF NOT EXISTS stock_trades \(/);
    assert.match(ddl, /price numeric\(12,4\) NOT NULL CHECK \(price > 0\)/);
    assert.match(ddl, /side varchar\(4\) NOT NULL CHECK \(side IN \('BUY', 'SELL'\)\)/);
    assert.match(ddl, /trade_timestamp timestamp\(3\) NOT NULL/);
    assert.match(ddl, /PRIMARY KEY \(trade_id\)/);
    assert.match(ddl, /COMMENT ON COLUMN stock_trades.price IS 'Execution price in USD, 4 decimals';/);
    assert.match(postgresTableDdl(wideColumns), /trf_id varchar\(8\),/);
  });
});
