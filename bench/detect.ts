/**
 * `npm run bench:detect`: how good the detectors are, against the simulator's labelled scenarios
 * (src/market/scenarios.ts), through the real pipeline on the local stack.
 *
 * A market with scenarios is replayed (or produced live) through the job; every alert is read from the alerts
 * topic as it arrives. Per detector (each pattern, the anomaly score, and the volume rules, the seed's fixed
 * threshold being the naive baseline), on the same events:
 * - recall: the labels of the kinds it is meant to find that one of its alerts overlaps (an alert's interval is
 *   its match, or its trade's instant; it may start up to TOLERANCE_MS after the label ends);
 * - precision: its alerts on such a label over all its alerts but those on a price jump (a step of the price
 *   paths, labelled as its own kind: neither a hit nor a false alarm); "one per label" pairs each label with
 *   at most one alert and counts every further alert as a false alarm, the strictest reading;
 * - latency (live mode only; replay's synthetic clock makes it meaningless): the first alert's arrival minus the
 *   event time of the label's end (its last trade).
 * Labels and alerts are counted from when every detector has its history (the patterns' lookbackBars bars, the
 * anomaly score's warm-up of alerts.anomalySlowSeconds) to the last watermark; an alert on an event cut by either
 * end of that window counts as neither hit nor false alarm.
 * Progress to stderr, the Markdown table (BENCHMARKS.md) to stdout.
 */
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type PipelineConfig } from '../src/config/index.ts';
import { LocalStack } from '../src/local/stack.ts';
import { logger } from '../src/log.ts';
import { type LabelKind, type MarketLabel, marketLabels, tradeAt } from '../src/market/index.ts';
import { ALERT_RULES, type AlertRuleName } from '../src/pipeline/analytics/index.ts';

const program = new Command('bench:detect')
  .option('--mode <mode>', 'replay (synthetic clock, as fast as the job goes) or live (wall clock)', 'replay')
  .option('--minutes <n>', 'minutes of event time (replay) or of wall-clock time (live)', '20')
  .option(
    '--seed <n>',
    'market seed (the patterns were tuned on seeds 1 to 3, the anomaly score on 3, 7, 12 and 21)',
    '41',
  )
  .option('--scenario-rate <n>', 'scenarios per eligible ticker per hour (at most 6)', '4')
  .option('--rate <trades/s>', 'trades per second of event time', '1000')
  .parse();
const opts = program.opts<{
  mode: string;
  minutes: string;
  seed: string;
  scenarioRate: string;
  rate: string;
}>();
if (opts.mode !== 'replay' && opts.mode !== 'live')
  program.error(`--mode must be replay or live (got ${opts.mode})`);
logger.level = 'warn';
const LIVE = opts.mode === 'live';
const MINUTES = Number(opts.minutes);
const RATE = Number(opts.rate);
const TRADES = Math.round(MINUTES * 60 * RATE);
const INSTANCE = 'detect-1';
const TOLERANCE_MS = 10_000;
const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each detector and the kinds it is meant to find. */
const TARGETS: Record<AlertRuleName, readonly LabelKind[]> = {
  [ALERT_RULES.momentum]: ['momentum'],
  [ALERT_RULES.vShape]: ['flash_crash'],
  [ALERT_RULES.volumeBurst]: ['volume_burst'],
  [ALERT_RULES.anomaly]: ['momentum', 'flash_crash', 'volume_burst'],
  [ALERT_RULES.absolute]: ['volume_burst'],
  [ALERT_RULES.relative]: ['volume_burst'],
};

interface Alert {
  rule: AlertRuleName;
  ticker: string;
  trade_timestamp: number;
  match_start?: number | null;
  match_end?: number | null;
  arrived: number;
}

const config: PipelineConfig = loadConfig({
  env: {},
  overrides: {
    logLevel: 'warn',
    market: { seed: Number(opts.seed), scenarioRate: Number(opts.scenarioRate) },
    producer: {
      instanceId: INSTANCE,
      metricsPort: 0,
      mode: opts.mode as never,
      rate: LIVE ? RATE : 0,
      replayTradesPerSecond: RATE,
    },
  },
});

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number)
    : NaN;
const interval = (a: Alert) =>
  a.match_start != null && a.match_end != null
    ? [a.match_start, a.match_end]
    : [a.trade_timestamp, a.trade_timestamp + 1];
const overlaps = (l: MarketLabel, a: Alert) => {
  const [start, end] = interval(a) as [number, number];
  return l.ticker === a.ticker && start < l.end + TOLERANCE_MS && end > l.start;
};

const stack = await LocalStack.start(config, { durable: false });
try {
  const alerts: Alert[] = [];
  const consumer = new Kafka({ ...stack.kafka.connection(), logLevel: logLevel.NOTHING }).consumer({
    groupId: `bench-detect-${Date.now()}`,
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.alertsTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      alerts.push({ ...(JSON.parse(message.value?.toString() ?? '{}') as Alert), arrived: Date.now() });
    },
  });
  const started = Date.now();
  say(
    `${opts.mode}: ${TRADES.toLocaleString('en-US')} trades (${MINUTES} min at ${RATE}/s, seed ${opts.seed}, ${opts.scenarioRate} scenarios per ticker-hour)...`,
  );
  const producer = stack.spawnProducer({ LOG_LEVEL: 'warn', PRODUCER_MAX_TRADES: String(TRADES) });
  const exited = new Promise<number | null>((r) => producer.once('exit', r));
  for (;;) {
    const c = await stack.counts();
    say(
      `  produced ${c.produced.toLocaleString('en-US')}, stored ${c.storedTrades.toLocaleString('en-US')}, alerts ${alerts.length}`,
    );
    if (c.storedTrades >= TRADES) break;
    await sleep(5_000);
  }
  if ((await exited) !== 0) throw new Error('the producer failed');
  // The last bars close once the watermark passes them; then let the alerts arrive.
  await sleep(config.windows.watermarkDelayMs + 5_000);
  await consumer.disconnect();
  const seconds = (Date.now() - started) / 1000;

  const first = tradeAt(config, INSTANCE, 0).trade_timestamp;
  const last = tradeAt(config, INSTANCE, TRADES - 1).trade_timestamp;
  const { barSeconds, lookbackBars } = config.patterns;
  const from = LIVE ? started : first;
  const horizon =
    (LIVE ? Date.now() - 5_000 : last) - config.windows.watermarkDelayMs - 2 * barSeconds * 1000;
  const start = from + Math.max((lookbackBars + 1) * barSeconds, config.alerts.anomalySlowSeconds) * 1000;
  const labels = marketLabels(config, { from: start, to: horizon });
  const everything = marketLabels(config, { from, to: horizon + 60_000 }, { include: 'overlapping' });
  // The alerts of the same window, but those on an event not wholly in it (neither hit nor false alarm).
  const labelKey = (l: MarketLabel) => `${l.ticker}/${l.kind}/${l.start}`;
  const whole = new Set(labels.map(labelKey));
  const partial = everything.filter((l) => l.kind !== 'price_jump' && !whole.has(labelKey(l)));
  const inRange = alerts.filter(
    (a) =>
      (interval(a)[0] as number) >= start &&
      (interval(a)[1] as number) <= horizon &&
      !partial.some((l) => overlaps(l, a)),
  );
  const kinds = ['momentum', 'flash_crash', 'volume_burst'] as const;
  say(
    `done in ${seconds.toFixed(0)} s: ${labels.length} labels (${kinds.map((k) => `${labels.filter((l) => l.kind === k).length} ${k}`).join(', ')}), ${inRange.length} alerts`,
  );

  console.log(
    `\n#### Detection, ${opts.mode}: seed ${opts.seed}, ${opts.scenarioRate} scenarios per ticker-hour on the ${config.market.scenarioTickers} most active tickers, ${MINUTES} min at ${RATE.toLocaleString('en-US')} trades/s\n`,
  );
  console.log(
    '| detector | meant to find | labels | found | recall | alerts | on a label | on a jump | precision | one per label | latency p50 / p99 / max (s) |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const [rule, targets] of Object.entries(TARGETS) as [AlertRuleName, readonly LabelKind[]][]) {
    const mine = inRange.filter((a) => a.rule === rule);
    const wanted = labels.filter((l) => targets.includes(l.kind));
    const found = wanted.filter((l) => mine.some((a) => overlaps(l, a)));
    let onLabel = 0;
    let onJump = 0;
    for (const a of mine) {
      if (everything.some((l) => targets.includes(l.kind) && overlaps(l, a))) onLabel++;
      else if (everything.some((l) => l.kind === 'price_jump' && overlaps(l, a))) onJump++;
    }
    const counted = mine.length - onJump;
    // One per label: each label pairs with at most one alert, each alert with at most one label.
    const paired = new Set<Alert>();
    for (const l of wanted) {
      const alert = mine.find((a) => !paired.has(a) && overlaps(l, a));
      if (alert) paired.add(alert);
    }
    const latencies = found
      .map((l) => Math.min(...mine.filter((a) => overlaps(l, a)).map((a) => a.arrived)) - l.end)
      .sort((a, b) => a - b);
    const s = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-');
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
    console.log(
      `| ${rule}${rule === ALERT_RULES.absolute ? ' (baseline)' : ''} | ${targets.join(', ')} | ${wanted.length} | ${found.length} | ${ratio(found.length, wanted.length)} | ${mine.length} | ${onLabel} | ${onJump} | ${ratio(onLabel, counted)} | ${ratio(paired.size, counted)} | ${LIVE ? `${s(percentile(latencies, 50))} / ${s(percentile(latencies, 99))} / ${s(latencies.at(-1) ?? NaN)}` : 'replay'} |`,
    );
  }
  console.log(
    `\nWatermark delay ${config.windows.watermarkDelayMs} ms, bars of ${barSeconds} s; wall time ${seconds.toFixed(0)} s.`,
  );
} finally {
  await stack.stop();
}
