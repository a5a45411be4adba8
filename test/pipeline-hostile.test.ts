/**
 * The whole decoding corpus (src/schema/corpus.ts) injected into a live run, with a far-future trade and a
 * broken record stamped in the future, then a lull in trading longer than the idle timeout, then more trading.
 * Every record must end up either in stock_trades or in the dead-letter topic with its reason and its bytes,
 * the counts must add up exactly, the windows must keep closing after the lull, and the job must never restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalStack } from '../src/local/stack.ts';
import { tradeAt } from '../src/market/index.ts';
import { aheadReason } from '../src/pipeline/source.ts';
import { corpus } from '../src/schema/corpus.ts';
import { columnsOf, TRADES_TABLE } from '../src/schema/index.ts';
import type { TradeFacts } from './pipeline-expected.ts';
import {
  assertWindowsMatch,
  type DeadLetter,
  injectRaw,
  produce,
  readDeadLetters,
  replayConfig,
  replayTrades,
  until,
} from './pipeline-helpers.ts';

const BEFORE = 6_000;
const AFTER = 30_000;
const RATE = 1_500;
// Event time at the pace of wall time, so that the topics' skew stays within the watermark delay: the windows'
// late-trade accounting is per source subtask, while Flink's window operator follows the other subtask's
// watermark while one is idle (see late-trades.ts).
const PACE = {
  producer: { replayTradesPerSecond: RATE },
  windows: { idleTimeoutMs: 3_000, vwapSeconds: 5 },
} as const;
const config = replayConfig(PACE);
const LULL_MS = 3 * config.windows.idleTimeoutMs;
const first = replayTrades(config, BEFORE);
const afterLullStart = new Date((first.at(-1) as TradeFacts).trade_timestamp + 1_000);
const secondConfig = replayConfig({
  ...PACE,
  producer: { ...PACE.producer, instanceId: 'replay-2', replayStart: afterLullStart },
});
const second = Array.from({ length: AFTER }, (_, n) => tradeAt(secondConfig, 'replay-2', n) as TradeFacts);

const YEAR_2100 = Date.UTC(2100, 0, 1);
const cases = corpus('narrow');
/** A valid trade from a broken exchange clock, and a broken record whose first field is a far-future time. */
const futureTrade = JSON.stringify({ ...tradeAt(config, 'clock-broken', 0), trade_timestamp: YEAR_2100 });
const futureBroken = `{"trade_timestamp":${YEAR_2100},"ticker":`;

describe('hostile records and a lull in a live run', () => {
  let stack: LocalStack;
  let injectedAt = 0;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const producing = produce(stack, BEFORE, RATE);
    await until('some trades stored', async () => (await stack.counts()).storedTrades >= BEFORE / 4);
    injectedAt = Date.now();
    await injectRaw(stack, [...cases.map((c) => c.payload), futureTrade, futureBroken]);
    await producing;
    await new Promise((r) => setTimeout(r, LULL_MS));
    await produce(stack, AFTER, RATE, {
      PRODUCER_INSTANCE_ID: 'replay-2',
      PRODUCER_REPLAY_START: afterLullStart.toISOString(),
    });
  });

  after(async () => {
    await stack?.stop();
  });

  /** What each injected record should become: a stored row (reason null) or a dead letter with the reason. */
  function expectedVerdicts(): {
    payload: Uint8Array | null;
    reason: string | null;
    row?: Record<string, unknown>;
  }[] {
    const bound = config.windows.maxEventAheadMs;
    const verdicts = cases.map((c) => {
      // Valid for the decoder but stamped beyond the bound (the corpus's year-9999 instants): refused at the source.
      const ahead = c.reason === null && Number(c.row?.trade_timestamp) > injectedAt + bound;
      return { payload: c.payload, reason: ahead ? aheadReason(bound) : c.reason, row: c.row };
    });
    verdicts.push({ payload: Buffer.from(futureTrade), reason: aheadReason(bound), row: undefined });
    verdicts.push({ payload: Buffer.from(futureBroken), reason: 'not valid JSON', row: undefined });
    return verdicts;
  }

  it('dead-letters every refused record once, with its exact bytes and its reason', async () => {
    const refused = expectedVerdicts().filter((v) => v.reason !== null);
    const letters: DeadLetter[] = await readDeadLetters(stack, refused.length);
    const key = (payload: Uint8Array | null, reason: string | null) =>
      `${payload === null ? 'null' : Buffer.from(payload).toString('base64')} ${reason}`;
    assert.deepEqual(
      letters.map((l) => key(l.payload, l.reason)).sort(),
      refused.map((v) => key(v.payload, v.reason)).sort(),
    );
    for (const l of letters) assert.equal(l.source_topic, 'trades-00');
  });

  it('stores every trade and every accepted record, counts adding up exactly', async () => {
    const accepted = new Map<string, Record<string, unknown>>();
    for (const v of expectedVerdicts())
      if (v.reason === null && v.row) accepted.set(String(v.row.trade_id), v.row);
    const total = BEFORE + AFTER + accepted.size;
    await until(`${total} rows stored`, async () => (await stack.counts()).storedTrades >= total);
    const names = columnsOf('narrow').map((c) => c.name);
    const db = await stack.postgres.client();
    try {
      const { rows } = await db.query<Record<string, string>>(
        `SELECT ${names.map((n) => (n === 'trade_timestamp' ? `(extract(epoch FROM ${n}) * 1000)::bigint::text AS ${n}` : `${n}::text`)).join(', ')} FROM ${TRADES_TABLE}`,
      );
      assert.equal(rows.length, total);
      const stored = new Map(rows.map((r) => [r.trade_id, r]));
      for (const t of [...first, ...second]) assert.ok(stored.has(t.trade_id), t.trade_id);
      // Records sharing a trade id arrive in order on one partition: the last one is the row.
      for (const [id, row] of accepted) {
        const want = Object.fromEntries(names.map((n) => [n, row[n] === null ? null : String(row[n])]));
        assert.deepEqual(stored.get(id), want, id);
      }
    } finally {
      await db.end();
    }
  });

  it('keeps closing windows after the lull, exactly', async () => {
    // The simulator's tickers only: the corpus's accepted records are stamped long before (late, recorded).
    const mustClose = await assertWindowsMatch(stack, [...first, ...second]);
    const afterLull = mustClose.filter((w) => w.window_start >= afterLullStart.getTime());
    assert.ok(afterLull.length > 10, `windows after the lull checked (${afterLull.length})`);
  });

  it('never restarted the job', async () => {
    const health = await stack.flink?.health();
    assert.equal(health?.state, 'RUNNING');
    assert.equal(health?.restarts, 0);
    assert.equal(stack.job.recoveries, 0);
  });
});
