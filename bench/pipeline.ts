/**
 * `npm run bench:pipeline`: the pipeline's figures on this machine, side by side in one run.
 *  1. Throughput: trades/s from Kafka into stock_trades (committed rows), against PostgreSQL's own ceiling for
 *     the same rows: a COPY of them into the same (emptied) table.
 *  2. Alert latency p50/p99, from the trade's timestamp to the alert's arrival at a consumer, at a stated input
 *     rate, in at-least-once and exactly-once modes.
 * Prints a Markdown table (the one in BENCHMARKS.md comes from here).
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { from as copyFrom } from 'pg-copy-streams';
import { type ConfigOverrides, loadConfig, type PipelineConfig } from '../src/config/index.ts';
import { LocalStack } from '../src/local/stack.ts';
import { logger } from '../src/log.ts';
import { tradeAt } from '../src/market/index.ts';
import { columnsOf, TRADES_TABLE } from '../src/schema/index.ts';

const program = new Command('bench:pipeline')
  .option('--trades <n>', 'trades for the throughput run', '300000')
  .option('--rate <trades/s>', 'producer rate for the latency runs', '10000')
  .option('--seconds <s>', 'length of each latency run', '40')
  .option('--profile <name>', 'schema profile', 'narrow')
  .option('--only <part>', 'run one part: throughput or latency')
  .option('--checkpoint-ms <ms>', 'checkpoint interval of the latency runs', '10000')
  .parse();
const opts = program.opts<{
  trades: string;
  rate: string;
  seconds: string;
  profile: string;
  only?: string;
  checkpointMs: string;
}>();
logger.level = 'warn';
const TRADES = Number(opts.trades);
const RATE = Number(opts.rate);
const SECONDS = Number(opts.seconds);
const WARMUP_MS = 5_000;
const INSTANCE = 'bench-1';

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function benchConfig(overrides: ConfigOverrides): PipelineConfig {
  return loadConfig({
    env: {},
    overrides: {
      profile: opts.profile as never,
      logLevel: 'warn',
      ...overrides,
      producer: { instanceId: INSTANCE, metricsPort: 0, ...overrides.producer },
    },
  });
}

async function runProducer(stack: LocalStack, env: Record<string, string>): Promise<void> {
  const child = stack.spawnProducer({ LOG_LEVEL: 'warn', ...env });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-2000);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`producer exited with ${code}: ${output}`);
}

/** Throughput into stock_trades: the topics are filled first, then the job drains them; then COPY the same rows. */
async function throughput() {
  const config = benchConfig({ producer: { mode: 'replay', rate: 0 } });
  const stack = await LocalStack.start(config, { startFlink: false });
  try {
    say(`throughput: producing ${TRADES.toLocaleString('en-US')} trades into Kafka before the job starts...`);
    await runProducer(stack, { PRODUCER_MAX_TRADES: String(TRADES) });
    await stack.startFlink();
    const db = await stack.postgres.client();
    const count = async () =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${TRADES_TABLE}`)).rows[0]?.n);
    const marks: { at: number; rows: number }[] = [];
    for (;;) {
      const rows = await count();
      marks.push({ at: Date.now(), rows });
      if (rows >= TRADES) break;
      if (!stack.flink?.running) throw new Error('the Flink job died during the throughput run');
      await sleep(250);
    }
    const firstRow = marks.find((m) => m.rows > 0) as { at: number };
    const end = marks.at(-1) as { at: number };
    // Steady state: from 10% to 90% of the rows, past the job's start-up and the last partial flushes.
    const at = (share: number) => (marks.find((m) => m.rows >= TRADES * share) as { at: number }).at;
    const pipelineRate = TRADES / ((end.at - firstRow.at) / 1000);
    const steadyRate = (TRADES * 0.8) / ((at(0.9) - at(0.1)) / 1000);
    await stack.flink?.stop();

    say('throughput: COPY of the same rows into the same table...');
    await db.query(`TRUNCATE ${TRADES_TABLE}`);
    const columns = columnsOf(config.profile);
    const csvValue = (c: (typeof columns)[number], v: unknown) =>
      v === null || v === undefined
        ? ''
        : c.type.kind === 'timestamp'
          ? new Date(v as number).toISOString()
          : c.type.kind === 'string'
            ? `"${String(v).replaceAll('"', '""')}"`
            : String(v);
    function* rows() {
      for (let n = 0; n < TRADES; n++) {
        const t = tradeAt(config, INSTANCE, n) as Record<string, unknown>;
        yield `${columns.map((c) => csvValue(c, t[c.name])).join(',')}\n`;
      }
    }
    // Generate the CSV first, so the timing is PostgreSQL's alone.
    const csv = Array.from(rows()).join('');
    await db.query("SET timezone = 'UTC'");
    const copyStart = Date.now();
    await pipeline(
      Readable.from([csv]),
      db.query(
        copyFrom(`COPY ${TRADES_TABLE} (${columns.map((c) => c.name).join(', ')}) FROM STDIN (FORMAT csv)`),
      ),
    );
    const copyRate = TRADES / ((Date.now() - copyStart) / 1000);
    if ((await count()) !== TRADES) throw new Error('COPY stored a different number of rows');
    await db.end();
    return { pipelineRate, steadyRate, copyRate, parallelism: config.flink.parallelism };
  } finally {
    await stack.stop();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

/** Alert latency at RATE trades/s for SECONDS, live timestamps; out-of-order and late trades off (they are stamped in the past). */
async function latency(delivery: PipelineConfig['flink']['deliveryGuarantee']) {
  const config = benchConfig({
    market: { outOfOrderFraction: 0, lateFraction: 0 },
    producer: { mode: 'live', rate: RATE },
    flink: { deliveryGuarantee: delivery, checkpointIntervalMs: Number(opts.checkpointMs) },
  });
  const stack = await LocalStack.start(config);
  try {
    say(`latency (${delivery}): ${RATE.toLocaleString('en-US')} trades/s for ${SECONDS} s...`);
    const consumer = new Kafka({ brokers: [stack.kafka.bootstrap], logLevel: logLevel.NOTHING }).consumer({
      groupId: 'bench-latency',
      maxWaitTimeInMs: 20,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.alertsTopic, fromBeginning: true });
    const seen = new Set<string>();
    const samples: number[] = [];
    const timeline: [number, number][] = [];
    let measureFrom = Number.POSITIVE_INFINITY;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const arrived = Date.now();
        const alert = JSON.parse(message.value?.toString() ?? '{}') as {
          trade_id: string;
          rule: string;
          trade_timestamp: number;
        };
        const key = `${alert.trade_id}/${alert.rule}`;
        if (seen.has(key)) return; // first arrival only
        seen.add(key);
        if (alert.trade_timestamp >= measureFrom) {
          samples.push(arrived - alert.trade_timestamp);
          timeline.push([alert.trade_timestamp, arrived - alert.trade_timestamp]);
        }
      },
    });
    const producing = runProducer(stack, { PRODUCER_MAX_TRADES: String(RATE * SECONDS) });
    measureFrom = Date.now() + WARMUP_MS;
    await producing;
    await sleep(delivery === 'exactly-once' ? 2 * config.flink.checkpointIntervalMs + 3_000 : 3_000);
    await consumer.disconnect();
    const counts = await stack.counts();
    const sorted = samples.sort((a, b) => a - b);
    if (process.env.BENCH_TIMELINE) {
      const start = timeline[0]?.[0] ?? 0;
      for (const [at, ms] of timeline) say(`  +${((at - start) / 1000).toFixed(1)}s ${ms} ms`);
    }
    return {
      delivery,
      alerts: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1),
      stored: counts.storedTrades,
      produced: counts.produced,
      checkpointMs: config.flink.checkpointIntervalMs,
    };
  } finally {
    await stack.stop();
  }
}

const t = opts.only === 'latency' ? undefined : await throughput();
const latencies =
  opts.only === 'throughput' ? [] : [await latency('at-least-once'), await latency('exactly-once')];
const fmt = (n: number | undefined) => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
const lines = [
  `Pipeline benchmark: profile ${opts.profile}, Flink parallelism ${benchConfig({}).flink.parallelism}, ${new Date().toISOString().slice(0, 10)}`,
];
if (t) {
  lines.push(
    '',
    '| throughput into stock_trades | rows/s |',
    '| --- | ---: |',
    `| Flink job, Kafka -> JDBC upsert, whole run (${TRADES.toLocaleString('en-US')} trades) | ${fmt(t.pipelineRate)} |`,
    `| Flink job, steady state (10% -> 90% of rows) | ${fmt(t.steadyRate)} |`,
    `| PostgreSQL COPY of the same rows (reference ceiling) | ${fmt(t.copyRate)} |`,
    `| ratio pipeline / COPY (whole run) | ${(t.pipelineRate / t.copyRate).toFixed(2)} |`,
  );
}
if (latencies.length > 0) {
  lines.push(
    '',
    `| alert latency at ${RATE.toLocaleString('en-US')} trades/s, ${SECONDS} s | alerts | p50 ms | p99 ms | max ms | stored trades / produced |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...latencies.map(
      (l) =>
        `| ${l.delivery} (checkpoint every ${l.checkpointMs} ms) | ${l.alerts} | ${fmt(l.p50)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${fmt(l.stored)} / ${fmt(l.produced)} |`,
    ),
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
