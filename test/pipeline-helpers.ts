/** Shared steps of the pipeline integration tests: produce a replay, wait for the pipeline, read its outputs. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { type ConfigOverrides, loadConfig, type PipelineConfig, tradeTopics } from '../src/config/index.ts';
import { javaBinary, PROJECT_ROOT, resolveJars } from '../src/local/maven.ts';
import type { LocalStack } from '../src/local/stack.ts';
import { tradeAt } from '../src/market/index.ts';
import { LATE_TRADES_TABLE, slidingTableName, vwapTableName } from '../src/pipeline/analytics/index.ts';
import { TRADES_TABLE } from '../src/schema/index.ts';
import {
  expectedSlidingWindows,
  expectedWindows,
  type SlidingRow,
  type TradeFacts,
  type WindowRow,
} from './pipeline-expected.ts';
import { poll } from './poll.ts';

export const INSTANCE_ID = 'replay-1';

/** A small, fast replay: few tickers and partitions, short checkpoints, no late trades (see the test). */
export function replayConfig(overrides: ConfigOverrides = {}): PipelineConfig {
  const base: ConfigOverrides = {
    profile: 'narrow',
    market: { seed: 7, tickerCount: 25, lateFraction: 0, blockTradeRate: 0.005 },
    producer: { mode: 'replay', rate: 0, replayTradesPerSecond: 40, instanceId: INSTANCE_ID, metricsPort: 0 },
    kafka: { tradeTopicCount: 2, partitionsPerTopic: 2 },
    alerts: {
      volumeThreshold: 10_000,
      relativeFactor: 8,
      trailingTrades: 20,
      // A short replay: horizons of seconds, so that the anomaly score warms up and alerts within it.
      anomalyThreshold: 5,
      anomalyWarmupTrades: 50,
      anomalyFastSeconds: 2,
      anomalySlowSeconds: 20,
      anomalyRearmSeconds: 10,
    },
    windows: {
      vwapSeconds: 60,
      slidingSeconds: 120,
      slideSeconds: 30,
      watermarkDelayMs: 5_000,
      idleTimeoutMs: 10_000,
    },
    flink: { parallelism: 2, checkpointIntervalMs: 2_000 },
  };
  const merged = Object.fromEntries(
    Object.entries({ ...base, ...overrides }).map(([k, v]) => [
      k,
      typeof v === 'object' && v !== null ? { ...(base[k as keyof ConfigOverrides] as object), ...v } : v,
    ]),
  );
  return loadConfig({ env: {}, overrides: merged as ConfigOverrides });
}

/** The trades the producer writes in replay mode: trade n of the instance, n = 0..count-1, in order. */
export function replayTrades(config: PipelineConfig, count: number): TradeFacts[] {
  return Array.from({ length: count }, (_, n) => tradeAt(config, INSTANCE_ID, n) as TradeFacts);
}

/** Runs the real producer until it has written `count` trades (optionally rate-limited) and exits. */
export async function produce(
  stack: LocalStack,
  count: number,
  rate = 0,
  env: Record<string, string> = {},
): Promise<void> {
  const child = stack.spawnProducer({
    PRODUCER_MAX_TRADES: String(count),
    PRODUCER_RATE: String(rate),
    ...env,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`producer exited with ${code}: ${output}`);
}

/** The trade ids the job recorded as late (after their window closed): in stock_trades, in no window. */
export async function lateTradeIds(stack: LocalStack): Promise<Set<string>> {
  const db = await stack.postgres.client();
  try {
    const { rows } = await db.query<{ trade_id: string }>(`SELECT trade_id FROM ${LATE_TRADES_TABLE}`);
    return new Set(rows.map((r) => r.trade_id));
  } finally {
    await db.end();
  }
}

/**
 * The VWAP windows against the ones computed here from `trades`, less those the job recorded as late: waits
 * until every window that must have closed (a full window before the last watermark) is stored, then checks
 * every stored window of the trades' tickers exactly. Returns the windows that had to close.
 */
export async function assertWindowsMatch(
  stack: LocalStack,
  trades: readonly TradeFacts[],
): Promise<WindowRow[]> {
  const { windows } = stack.config;
  const windowMs = windows.vwapSeconds * 1000;
  const late = await lateTradeIds(stack);
  const expected = expectedWindows(
    trades.filter((t) => !late.has(t.trade_id)),
    windowMs,
  );
  const lastEvent = Math.max(...trades.map((t) => t.trade_timestamp));
  const mustClose = [...expected.values()].filter(
    (w) => w.window_start + 2 * windowMs <= lastEvent - windows.watermarkDelayMs,
  );
  const tickers = new Set(trades.map((t) => t.ticker));
  const key = (w: WindowRow) => `${w.ticker}@${w.window_start}`;
  const db = await stack.postgres.client();
  try {
    const read = async () =>
      (
        await db.query<WindowRow & { window_start: string }>(
          `SELECT ticker, (extract(epoch FROM window_start) * 1000)::bigint::text AS window_start, vwap::text,
                  notional::text, total_volume::text, trade_count::text, open_price::text, high_price::text,
                  low_price::text, close_price::text
           FROM ${vwapTableName(stack.config)}`,
        )
      ).rows
        .map((r) => ({ ...r, window_start: Number(r.window_start) }))
        .filter((r) => tickers.has(r.ticker));
    let rows = await read();
    await until(`the ${mustClose.length} closed windows stored`, async () => {
      rows = await read();
      const stored = new Set(rows.map(key));
      return mustClose.every((w) => stored.has(key(w)));
    });
    for (const row of rows) assert.deepEqual(row, expected.get(key(row)), key(row));
  } finally {
    await db.end();
  }
  return mustClose;
}

/**
 * The sliding windows in PostgreSQL equal those computed from the trades: every window that must have closed is
 * there, and every stored window (of these tickers) is exact, the realized volatility within 1e-12 relative.
 * Returns the windows that had to close.
 */
export async function assertSlidingWindowsMatch(
  stack: LocalStack,
  trades: readonly TradeFacts[],
): Promise<SlidingRow[]> {
  const { windows } = stack.config;
  const [sizeMs, slideMs] = [windows.slidingSeconds * 1000, windows.slideSeconds * 1000];
  const expected = expectedSlidingWindows(trades, sizeMs, slideMs);
  const lastEvent = Math.max(...trades.map((t) => t.trade_timestamp));
  const mustClose = [...expected.values()].filter(
    (w) => w.window_end + slideMs <= lastEvent - windows.watermarkDelayMs,
  );
  const tickers = new Set(trades.map((t) => t.ticker));
  const key = (w: { ticker: string; window_start: number }) => `${w.ticker}@${w.window_start}`;
  const db = await stack.postgres.client();
  try {
    const read = async () =>
      (
        await db.query<Record<keyof SlidingRow, string>>(
          `SELECT ticker, (extract(epoch FROM window_start) * 1000)::bigint::text AS window_start,
                  (extract(epoch FROM window_end) * 1000)::bigint::text AS window_end, vwap::text,
                  notional::text, total_volume::text, trade_count::text, realized_volatility::text
           FROM ${slidingTableName(stack.config)}`,
        )
      ).rows
        .map((r) => ({
          ...r,
          window_start: Number(r.window_start),
          window_end: Number(r.window_end),
          realized_volatility: Number(r.realized_volatility),
        }))
        .filter((r) => tickers.has(r.ticker));
    let rows = await read();
    await until(`the ${mustClose.length} closed sliding windows stored`, async () => {
      rows = await read();
      const stored = new Set(rows.map(key));
      return mustClose.every((w) => stored.has(key(w)));
    });
    for (const row of rows) {
      const want = expected.get(key(row));
      assert.ok(want, `unexpected window ${key(row)}`);
      const { realized_volatility: volatility, ...exact } = row;
      const { realized_volatility: wantVolatility, ...wantExact } = want;
      assert.deepEqual(exact, wantExact, key(row));
      assert.ok(
        Math.abs(volatility - wantVolatility) <= 1e-12 * Math.max(1e-9, wantVolatility),
        `${key(row)} realized volatility ${volatility} vs ${wantVolatility}`,
      );
    }
  } finally {
    await db.end();
  }
  return mustClose;
}

/** stock_trades holds exactly these trades, each once, with its volume. */
export async function assertStoredOnce(stack: LocalStack, trades: readonly TradeFacts[]): Promise<void> {
  const db = await stack.postgres.client();
  try {
    const { rows } = await db.query<{ trade_id: string; volume: string }>(
      `SELECT trade_id, volume::text FROM ${TRADES_TABLE}`,
    );
    assert.equal(rows.length, trades.length);
    const stored = new Map(rows.map((r) => [r.trade_id, Number(r.volume)]));
    for (const t of trades) assert.equal(stored.get(t.trade_id), t.volume, t.trade_id);
  } finally {
    await db.end();
  }
}

/** Polls until `check` returns true (it may throw to fail fast). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000): Promise<void> {
  await poll(what, async () => ((await check()) ? true : undefined), { timeoutMs });
}

/** Every JSON record of a topic from the beginning until `expected` arrived and the topic stayed quiet. */
export async function readTopic<T>(
  stack: LocalStack,
  topic: string,
  expected: number,
  options: { quietMs?: number; timeoutMs?: number } = {},
): Promise<T[]> {
  const raw = await readTopicRaw(stack, topic, expected, options);
  return raw.map((r) => JSON.parse(r.value?.toString() ?? 'null') as T);
}

interface RawRecord {
  value: Buffer | null;
  headers?: Record<string, Buffer | undefined>;
}

async function readTopicRaw(
  stack: LocalStack,
  topic: string,
  expected: number,
  { quietMs = 3_000, timeoutMs = 180_000 } = {},
): Promise<RawRecord[]> {
  const kafka = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-${topic}-${Date.now()}` });
  const records: RawRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        records.push({ value: message.value, headers: message.headers as RawRecord['headers'] });
        last = Date.now();
      },
    });
    await until(
      `${expected} records on ${topic} (got ${records.length})`,
      async () => {
        return records.length >= expected && Date.now() - last > quietMs;
      },
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Writes raw records (malformed on purpose; null is a tombstone) to a trade topic (the first by default). */
export async function injectRaw(
  stack: LocalStack,
  payloads: (string | Uint8Array | null)[],
  topic = tradeTopics(stack.config)[0] as string,
): Promise<void> {
  const producer = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: payloads.map((value) => ({
        key: 'malformed',
        value: value === null || typeof value === 'string' ? value : Buffer.from(value),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** A dead letter as the topic holds it: the original bytes, and the reason and origin from its headers. */
export interface DeadLetter {
  payload: Buffer | null;
  reason: string;
  source_topic: string;
  source_partition: number;
  source_offset: number;
}

/** Every dead letter from the beginning, once `expected` arrived and the topic stayed quiet. */
export async function readDeadLetters(
  stack: LocalStack,
  expected: number,
  options: { quietMs?: number; timeoutMs?: number } = {},
): Promise<DeadLetter[]> {
  const raw = await readTopicRaw(stack, stack.config.kafka.deadLetterTopic, expected, options);
  return raw.map(({ value, headers }) => {
    const header = (name: string) => headers?.[name]?.toString() ?? '';
    return {
      payload: value,
      reason: header('reason'),
      source_topic: header('source_topic'),
      source_partition: Number(header('source_partition')),
      source_offset: Number(header('source_offset')),
    };
  });
}

/**
 * Every committed record of a topic, read by Kafka's own Java console consumer with isolation.level
 * read_committed. kafkajs is not used here: it hands out records of aborted transactions when one producer id
 * runs several transactions, as Flink's exactly-once sink does.
 */
export async function readCommitted<T>(stack: LocalStack, topic: string, idleMs = 8_000): Promise<T[]> {
  const jars = await resolveJars(join(PROJECT_ROOT, 'src/local/kafka.pom.xml'));
  const clientConfig = stack.kafka.clientPropertiesFile();
  const { stdout } = await promisify(execFile)(
    javaBinary(),
    [
      '-cp',
      jars.join(':'),
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      stack.kafka.bootstrap,
      '--topic',
      topic,
      '--from-beginning',
      '--isolation-level',
      'read_committed',
      '--timeout-ms',
      String(idleMs),
      ...(clientConfig ? ['--command-config', clientConfig] : []),
    ],
    { maxBuffer: 256 << 20 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
