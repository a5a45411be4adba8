/**
 * `npm run bench:pipeline`: the pipeline's figures on this machine, side by side in one run.
 *  1. Throughput: trades/s from Kafka into stock_trades (committed rows) for the whole job, with the Flink JVM's
 *     CPU seconds per million trades, against PostgreSQL's own ceiling for the same rows: a COPY of them into
 *     the same (emptied) table.
 *  2. Shape: source -> stock_trades only, the reference a user would write (Flink's built-in `json` format, no
 *     validation, no dead letters; the SQL is written below, generated from the schema) against our job cut to
 *     the same shape (the strict `tradestream-json` source and the raw-trades analytic), same sink, same
 *     preloaded topics, alternated reference / ours / ours / reference to balance drift on a shared machine.
 *  3. Alert latency p50/p99, from the trade's timestamp to the alert's arrival at a consumer, at a stated input
 *     rate, in at-least-once and exactly-once modes.
 * Progress goes to stderr; the Markdown tables (the ones in BENCHMARKS.md come from here) to stdout.
 */
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type ConfigOverrides, loadConfig, type PipelineConfig, tradeTopics } from '../src/config/index.ts';
import { treesCpuSeconds } from '../src/local/cpu.ts';
import { LocalFlinkJob } from '../src/local/flink.ts';
import { LocalStack } from '../src/local/stack.ts';
import { logger } from '../src/log.ts';
import { tradeAt } from '../src/market/index.ts';
import { enabledAnalytics } from '../src/pipeline/analytics/index.ts';
import { rawTrades } from '../src/pipeline/analytics/raw-trades.ts';
import { env, id, postgresSinkDdl, SQL_ENV, storedValue, withOptions } from '../src/pipeline/flink-sql.ts';
import { CONSUMER_GROUP } from '../src/pipeline/source.ts';
import { pipelineSql } from '../src/pipeline/sql.ts';
import { columnsOf, flinkWireType, TRADES_TABLE } from '../src/schema/index.ts';

const PARTS = ['throughput', 'shape', 'latency'] as const;
const program = new Command('bench:pipeline')
  .option('--trades <n>', 'trades preloaded for the throughput and shape runs', '300000')
  .option('--rate <trades/s>', 'producer rate for the latency runs', '10000')
  .option('--seconds <s>', 'length of each latency run', '40')
  .option('--profile <name>', 'schema profile', 'narrow')
  .option(
    '--only <part>',
    'run one part: throughput (whole job vs COPY, then the shape runs), shape (only the shape runs) or latency',
  )
  .option('--shape-rounds <n>', 'rounds of the shape comparison, each reference, ours, ours, reference', '1')
  .option('--checkpoint-ms <ms>', 'checkpoint interval of the latency runs', '10000')
  .option(
    '--off <analytics>',
    `switch these analytics off, comma-separated (analytics.<name>: ${Object.keys(loadConfig({ env: {} }).analytics).join(', ')})`,
  )
  .option('--print-sql', "print the shape runs' two scripts (reference, then ours) and exit")
  .parse();
const opts = program.opts<{
  trades: string;
  rate: string;
  seconds: string;
  profile: string;
  only?: string;
  shapeRounds: string;
  checkpointMs: string;
  printSql?: boolean;
  off?: string;
}>();
if (opts.only !== undefined && !(PARTS as readonly string[]).includes(opts.only))
  program.error(`--only must be one of ${PARTS.join(', ')} (got ${opts.only})`);
logger.level = 'warn';
const TRADES = Number(opts.trades);
const RATE = Number(opts.rate);
const SECONDS = Number(opts.seconds);
const SHAPE_ROUNDS = Number(opts.shapeRounds);
const WARMUP_MS = 5_000;
const INSTANCE = 'bench-1';
/** A drain that stores no new row for this long has stalled (a refused record, a stuck job): fail, do not hang. */
const STALL_MS = 120_000;
/** How often the drain polls count(*): short enough for a drain of a few seconds, cheap for PostgreSQL. */
const POLL_MS = 100;

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load1 = () => loadavg()[0] as number;
const loadAtStart = loadavg();

/** --off a,b: analytics.a = analytics.b = false. */
const offNames = String(opts.off ?? '')
  .split(',')
  .filter(Boolean);
const analyticsNames = Object.keys(loadConfig({ env: {} }).analytics);
for (const name of offNames)
  if (!analyticsNames.includes(name))
    program.error(`--off: no analytic ${name} (one of ${analyticsNames.join(', ')})`);
const analyticsOff = Object.fromEntries(offNames.map((name) => [name, false]));

function benchConfig(overrides: ConfigOverrides): PipelineConfig {
  return loadConfig({
    env: {},
    overrides: {
      profile: opts.profile as never,
      logLevel: 'warn',
      analytics: analyticsOff,
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

/**
 * The reference job a user would write instead of ours: Flink's built-in `json` format on the same topics,
 * physical columns with the wire types (no validation, no dead letters, no event time), into the same
 * stock_trades sink (the very DDL and stored values of the raw-trades analytic), with the same job settings as
 * our script (its SET lines, copied). It reads from the earliest offsets, so every run reads the whole topics.
 */
function referenceSql(config: PipelineConfig): string {
  const columns = columnsOf(config.profile);
  const table = rawTrades.table(config);
  const source = 'trades_json';
  const settings = (pipelineSql(config, [rawTrades]).match(/^SET '[^']+' = '[^']*';$/gm) ?? [])
    .filter((s) => !s.startsWith("SET 'pipeline.name'"))
    .join('\n');
  return `-- bench/pipeline.ts reference: Flink's json format -> stock_trades, profile ${config.profile}.
SET 'pipeline.name' = 'bench-reference-json-${config.profile}';
${settings}

CREATE TABLE ${source} (
${columns.map((c) => `  ${id(c.name)} ${flinkWireType(c.type)}`).join(',\n')}
) ${withOptions({
    connector: 'kafka',
    topic: tradeTopics(config).join(';'),
    'properties.bootstrap.servers': env(SQL_ENV.kafkaBootstrap),
    'properties.group.id': 'bench-reference-json',
    'scan.startup.mode': 'earliest-offset',
    format: 'json',
  })};

${postgresSinkDdl(config, table)}

EXECUTE STATEMENT SET
BEGIN
INSERT INTO ${table.name}
SELECT ${columns.map(storedValue).join(', ')}
FROM ${source};
END;
`;
}

/**
 * Our job reads with 'scan.startup.mode' = 'group-offsets' in the consumer group CONSUMER_GROUP (source.ts),
 * and commits offsets on checkpoints: delete the group so the next run starts from the earliest offsets again,
 * and check that it holds no offset any more. (The Flink Kafka source assigns partitions, it never joins the
 * group, so the group is empty once the JVM is gone.)
 */
async function resetConsumerGroup(admin: Admin, config: PipelineConfig): Promise<void> {
  let deleteError: unknown;
  await admin.deleteGroups([CONSUMER_GROUP]).catch((e) => {
    deleteError = e; // GROUP_ID_NOT_FOUND when no checkpoint committed yet: checked below
  });
  const offsets = await admin.fetchOffsets({ groupId: CONSUMER_GROUP, topics: tradeTopics(config) });
  if (offsets.some((t) => t.partitions.some((p) => p.offset !== '-1')))
    throw new Error(`could not reset consumer group ${CONSUMER_GROUP}: ${String(deleteError)}`);
}

/** The pid of the SQL runner's JVM, a child of this process (one job runs at a time), once it is spawned. */
async function flinkJvmPid(): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, then the parent's pid.
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('dev.tradestream.flink.SqlRunner')) return Number(entry);
  }
  return undefined;
}

/** Row count and an order-independent hash of the stored rows: the runs must all store the same rows. */
async function fingerprint(db: Client): Promise<string> {
  const { rows } = await db.query<{ n: string; h: string | null }>(
    `SELECT count(*) AS n, sum(hashtext(t::text)::bigint) AS h FROM ${TRADES_TABLE} t`,
  );
  return `${rows[0]?.n}/${rows[0]?.h}`;
}

const countRows = async (db: Client) =>
  Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${TRADES_TABLE}`)).rows[0]?.n);

interface Drain {
  label: string;
  /** Rows/s from the first stored row to the last; undefined when the run is too short to tell (one poll). */
  rate?: number;
  /** Rows/s from 10% to 90% of the rows; undefined when the run is too short to tell (same poll). */
  steadyRate?: number;
  /** Flink JVM CPU seconds per million rows over the same spans. */
  cpuPerMillion?: number;
  steadyCpuPerMillion?: number;
  /** PostgreSQL's and the broker's CPU seconds per million rows, steady state (they serve the job's load). */
  postgresCpuPerMillion?: number;
  brokerCpuPerMillion?: number;
  seconds: number;
  load: number;
  rows: string;
}

/** Empties stock_trades, starts `sql` as a job of its own and times its drain of the preloaded topics. */
async function drain(stack: LocalStack, db: Client, sql: string, label: string): Promise<Drain> {
  await db.query(`TRUNCATE ${TRADES_TABLE}`);
  const load = load1();
  say(`  ${label}: starting the job (load average ${load.toFixed(2)})...`);
  // The job may drain much of the topics before start() sees it RUNNING: poll from the moment it is started,
  // reading the JVM's CPU from /proc by its pid until start() hands over the job.
  const starting = LocalFlinkJob.start({ sql, env: stack.sqlEnv });
  let job: LocalFlinkJob | undefined;
  let startError: unknown;
  starting.then(
    (j) => {
      job = j;
    },
    (e) => {
      startError = e;
    },
  );
  try {
    const marks: { at: number; rows: number; cpu: number; postgres: number; broker: number }[] = [];
    let pid: number | undefined;
    let lastProgress = Date.now();
    let lastChange = Date.now();
    for (;;) {
      if (startError) throw startError;
      const running = job as LocalFlinkJob | undefined;
      pid ??= await flinkJvmPid();
      const rows = await countRows(db);
      const [cpu, postgres, broker] = (await treesCpuSeconds([pid, stack.postgres.pid, stack.kafka.pid])) as [
        number,
        number,
        number,
      ];
      const mark = { at: Date.now(), rows, cpu, postgres, broker };
      // Before the job runs, no row is expected: the stall clock starts with the job.
      if (rows !== marks.at(-1)?.rows || !running) lastChange = mark.at;
      marks.push(mark);
      if (rows >= TRADES) break;
      if (running && !running.running)
        throw new Error(`the Flink job (${label}) died during its drain: ${running.exitReason}`);
      if (mark.at - lastChange > STALL_MS)
        throw new Error(`${label}: no new row for ${STALL_MS / 1000} s, at ${rows} of ${TRADES} rows`);
      if (rows > 0 && mark.at - lastProgress >= 5_000) {
        say(`    ${rows.toLocaleString('en-US')} / ${TRADES.toLocaleString('en-US')} rows`);
        lastProgress = mark.at;
      }
      await sleep(POLL_MS);
    }
    type Mark = (typeof marks)[number];
    // The rows already stored at the first mark were decoded before it: count only the rows stored in each span.
    const perMillion = (a: Mark, b: Mark, cpu: (m: Mark) => number) =>
      ((cpu(b) - cpu(a)) / (b.rows - a.rows)) * 1e6;
    const span = (a: Mark, b: Mark) => ({
      rate: (b.rows - a.rows) / ((b.at - a.at) / 1000),
      cpuPerMillion: perMillion(a, b, (m) => m.cpu),
      postgresCpuPerMillion: perMillion(a, b, (m) => m.postgres),
      brokerCpuPerMillion: perMillion(a, b, (m) => m.broker),
    });
    const first = marks.find((m) => m.rows > 0) as Mark;
    const end = marks.at(-1) as Mark;
    // Steady state: from 10% to 90% of the rows, past the job's start-up and the last partial flushes.
    const at = (share: number) => marks.find((m) => m.rows >= TRADES * share) as Mark;
    const whole = first === end ? undefined : span(first, end);
    const steady = at(0.1) === at(0.9) ? undefined : span(at(0.1), at(0.9));
    if (!whole) say(`  ${label}: every row arrived within one poll: too few --trades to time`);
    const result: Drain = {
      label,
      rate: whole?.rate,
      steadyRate: steady?.rate,
      cpuPerMillion: whole?.cpuPerMillion,
      steadyCpuPerMillion: steady?.cpuPerMillion,
      postgresCpuPerMillion: steady?.postgresCpuPerMillion,
      brokerCpuPerMillion: steady?.brokerCpuPerMillion,
      seconds: (end.at - first.at) / 1000,
      load,
      rows: await fingerprint(db),
    };
    say(
      `  ${label}: ${fmt(result.rate)} rows/s (steady ${fmt(result.steadyRate)}), ${fix(result.cpuPerMillion)} CPU-s per 1M trades (PostgreSQL ${fix(result.postgresCpuPerMillion)}, broker ${fix(result.brokerCpuPerMillion)}, steady), ${result.seconds.toFixed(1)} s`,
    );
    return result;
  } finally {
    await (await starting.catch(() => undefined))?.remove();
  }
}

/** A COPY of the same rows into the same (emptied) table: PostgreSQL's own ceiling. */
async function copyCeiling(
  config: PipelineConfig,
  stack: LocalStack,
  db: Client,
): Promise<{ rate: number; postgresCpuPerMillion: number; rows: string }> {
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
  const postgresCpu = async () => ((await treesCpuSeconds([stack.postgres.pid])) as [number])[0];
  const cpuStart = await postgresCpu();
  await pipeline(
    Readable.from([csv]),
    db.query(
      copyFrom(`COPY ${TRADES_TABLE} (${columns.map((c) => c.name).join(', ')}) FROM STDIN (FORMAT csv)`),
    ),
  );
  const rate = TRADES / ((Date.now() - copyStart) / 1000);
  const postgresCpuPerMillion = (((await postgresCpu()) - cpuStart) / TRADES) * 1e6;
  if ((await countRows(db)) !== TRADES) throw new Error('COPY stored a different number of rows');
  return { rate, postgresCpuPerMillion, rows: await fingerprint(db) };
}

interface Throughput {
  whole?: Drain;
  copy?: { rate: number; postgresCpuPerMillion: number; rows: string };
  shape: { reference: Drain[]; ours: Drain[]; order: Drain[] };
}

/**
 * Throughput and shape runs, on one stack and one preload: the topics are filled first, then each job drains
 * them from the start into an emptied stock_trades.
 */
async function throughput(parts: { whole: boolean; shape: boolean }): Promise<Throughput> {
  const config = benchConfig({ producer: { mode: 'replay', rate: 0 } });
  const stack = await LocalStack.start(config, { startFlink: false });
  const admin = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).admin();
  const db = await stack.postgres.client();
  const result: Throughput = { shape: { reference: [], ours: [], order: [] } };
  try {
    await admin.connect();
    say(`producing ${TRADES.toLocaleString('en-US')} trades into Kafka before any job starts...`);
    await runProducer(stack, { PRODUCER_MAX_TRADES: String(TRADES) });
    const ours = async (sql: string, label: string) => {
      await resetConsumerGroup(admin, config);
      return drain(stack, db, sql, label);
    };
    if (parts.whole) {
      say('throughput: the whole job, then a COPY of the same rows...');
      result.whole = await ours(pipelineSql(config), 'whole job');
      result.copy = await copyCeiling(config, stack, db);
      say(`  COPY: ${fmt(result.copy.rate)} rows/s`);
    }
    if (parts.shape) {
      const reference = referenceSql(config);
      const cut = pipelineSql(config, [rawTrades]);
      const runs = SHAPE_ROUNDS * 4;
      say(`shape: source -> stock_trades, ${runs} runs alternating reference and ours...`);
      for (let n = 0; n < runs; n++) {
        // reference, ours, ours, reference: a drift over the runs weighs on both sides alike.
        const isReference = n % 4 === 0 || n % 4 === 3;
        const label = `${n + 1}/${runs} ${isReference ? 'reference (json)' : 'ours (tradestream-json)'}`;
        const d = isReference ? await drain(stack, db, reference, label) : await ours(cut, label);
        (isReference ? result.shape.reference : result.shape.ours).push(d);
        result.shape.order.push(d);
      }
    }
    return result;
  } finally {
    await db.end().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
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
    const consumer = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).consumer({
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

function fmt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US');
}
function fix(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}
const mean = (xs: (number | undefined)[]) => {
  const known = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return known.length === xs.length && known.length > 0
    ? known.reduce((a, b) => a + b, 0) / known.length
    : undefined;
};
const ratio = (a: number | undefined, b: number | undefined, digits = 2) =>
  a === undefined || b === undefined ? '-' : `${(a / b).toFixed(digits)}x`;

if (opts.printSql) {
  const config = benchConfig({ producer: { mode: 'replay', rate: 0 } });
  process.stdout.write(`${referenceSql(config)}\n${pipelineSql(config, [rawTrades])}`);
  process.exit(0);
}
say(
  `load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min), ${availableParallelism()} CPUs`,
);
const wantWhole = opts.only === undefined || opts.only === 'throughput';
const wantShape = wantWhole || opts.only === 'shape';
const t = wantWhole || wantShape ? await throughput({ whole: wantWhole, shape: wantShape }) : undefined;
const latencies =
  opts.only === undefined || opts.only === 'latency'
    ? [await latency('at-least-once'), await latency('exactly-once')]
    : [];
const loadAtEnd = loadavg();

const trades = TRADES.toLocaleString('en-US');
const lines = [
  `Pipeline benchmark: profile ${opts.profile}, Flink parallelism ${benchConfig({}).flink.parallelism}, ${new Date().toISOString().slice(0, 10)}; load average (1 / 5 / 15 min) ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')} at start, ${loadAtEnd.map((l) => l.toFixed(2)).join(' / ')} at end`,
];
if (t?.whole && t.copy) {
  const w = t.whole;
  const enabled = enabledAnalytics(benchConfig({})).map((a) => a.name);
  const analytics = [
    enabled.join(', '),
    ...(offNames.length > 0 ? [`off: ${offNames.join(', ')}`] : []),
  ].join('; ');
  lines.push(
    '',
    `| throughput into stock_trades, ${trades} trades preloaded | rows/s | Flink JVM CPU-s per 1M trades | PostgreSQL CPU-s per 1M | broker CPU-s per 1M |`,
    '| --- | ---: | ---: | ---: | ---: |',
    `| whole job (${analytics}), whole drain | ${fmt(w.rate)} | ${fix(w.cpuPerMillion)} | | |`,
    `| whole job, steady state (10% -> 90% of rows) | ${fmt(w.steadyRate)} | ${fix(w.steadyCpuPerMillion)} | ${fix(w.postgresCpuPerMillion)} | ${fix(w.brokerCpuPerMillion)} |`,
    `| PostgreSQL COPY of the same rows (ceiling) | ${fmt(t.copy.rate)} | - | ${fix(t.copy.postgresCpuPerMillion)} | - |`,
    `| ratio job / COPY (whole drain) | ${ratio(w.rate, t.copy.rate)} | | | |`,
  );
}
if (t && t.shape.order.length > 0) {
  const { reference, ours, order } = t.shape;
  const side = (runs: Drain[]) => ({
    rate: mean(runs.map((d) => d.rate)),
    steadyRate: mean(runs.map((d) => d.steadyRate)),
    cpu: mean(runs.map((d) => d.cpuPerMillion)),
    steadyCpu: mean(runs.map((d) => d.steadyCpuPerMillion)),
  });
  const ref = side(reference);
  const our = side(ours);
  // Neighbouring runs (1-2, 3-4, ...) are the least apart in time: their ratios show the run-to-run spread.
  const pairs: string[] = [];
  for (let n = 0; n + 1 < order.length; n += 2) {
    const [a, b] = [order[n] as Drain, order[n + 1] as Drain];
    const [r, o] = reference.includes(a) ? [a, b] : [b, a];
    pairs.push(ratio(o.rate, r.rate));
  }
  lines.push(
    '',
    `| source -> stock_trades only, ${trades} trades | rows/s whole drain | rows/s steady | CPU-s per 1M, whole | CPU-s per 1M, steady | PostgreSQL CPU-s per 1M, steady | load (1 min) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...order.map(
      (d) =>
        `| ${d.label.replace('(json)', '(Flink json format)')} | ${fmt(d.rate)} | ${fmt(d.steadyRate)} | ${fix(d.cpuPerMillion)} | ${fix(d.steadyCpuPerMillion)} | ${fix(d.postgresCpuPerMillion)} | ${fix(d.load, 2)} |`,
    ),
    `| reference, mean of ${reference.length} | ${fmt(ref.rate)} | ${fmt(ref.steadyRate)} | ${fix(ref.cpu)} | ${fix(ref.steadyCpu)} | | |`,
    `| ours, mean of ${ours.length} | ${fmt(our.rate)} | ${fmt(our.steadyRate)} | ${fix(our.cpu)} | ${fix(our.steadyCpu)} | | |`,
    `| **ours / reference** (rows/s: higher is better, goal >= 0.9x; CPU: lower is better) | ${ratio(our.rate, ref.rate)} | ${ratio(our.steadyRate, ref.steadyRate)} | ${ratio(our.cpu, ref.cpu)} | ${ratio(our.steadyCpu, ref.steadyCpu)} | | |`,
    '',
    `Rows/s ratio ours / reference of neighbouring runs: ${pairs.join(', ')}.`,
  );
}
if (t) {
  const prints = [
    ...(t.whole ? [t.whole.rows] : []),
    ...(t.copy ? [t.copy.rows] : []),
    ...t.shape.order.map((d) => d.rows),
  ];
  const same = new Set(prints).size === 1;
  lines.push(
    '',
    same
      ? `Every run stored the same ${trades} rows (count and row hash of stock_trades${t.copy ? ', COPY included' : ''}).`
      : `WARNING: the runs stored different rows (count/row hash): ${[
          ...(t.whole ? [`whole job ${t.whole.rows}`] : []),
          ...(t.copy ? [`COPY ${t.copy.rows}`] : []),
          ...t.shape.order.map((d) => `${d.label} ${d.rows}`),
        ].join('; ')}.`,
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
