/**
 * The wide profile (60+ columns, every column type, a nullable column) through the real pipeline: every
 * column of every trade arrives in stock_trades with its value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { tradeAt } from '../src/market/index.ts';
import { columnsOf, TRADES_TABLE } from '../src/schema/index.ts';
import { INSTANCE_ID, produce, replayConfig, until } from './pipeline-helpers.ts';

const TRADES = 3_000;
const config = replayConfig({ profile: 'wide' });
const columns = columnsOf('wide');

describe('pipeline with the wide profile', () => {
  let stack: LocalStack;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    await produce(stack, TRADES);
    await until('every trade stored', async () => (await stack.counts()).storedTrades >= TRADES);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores every column of every trade', async () => {
    const db = await stack.postgres.client();
    try {
      // Timestamps as epoch ms, everything else as PostgreSQL prints it.
      const select = columns
        .map((c) =>
          c.type.kind === 'timestamp'
            ? `(extract(epoch FROM ${c.name}) * 1000)::bigint::text AS ${c.name}`
            : `${c.name}::text AS ${c.name}`,
        )
        .join(', ');
      const { rows } = await db.query<Record<string, string | null>>(`SELECT ${select} FROM ${TRADES_TABLE}`);
      assert.equal(rows.length, TRADES);
      const stored = new Map(rows.map((r) => [r.trade_id, r]));
      for (let n = 0; n < TRADES; n++) {
        const trade = tradeAt(config, INSTANCE_ID, n, { profile: 'wide' }) as Record<string, unknown>;
        const row = stored.get(trade.trade_id as string);
        assert.ok(row, `trade ${trade.trade_id} stored`);
        for (const c of columns) {
          const want = trade[c.name] ?? null;
          const got: string | null = row[c.name] ?? null;
          const value: unknown =
            got === null
              ? null
              : c.type.kind === 'string'
                ? got
                : c.type.kind === 'boolean'
                  ? got === 'true'
                  : Number(got);
          assert.equal(value, want, `${trade.trade_id}.${c.name}`);
        }
      }
    } finally {
      await db.end();
    }
  });
});
