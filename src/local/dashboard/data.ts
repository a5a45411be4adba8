/**
 * What the live dashboard shows, read from the running local stack: candles and VWAP from the job's VWAP table,
 * the rows of every table the job writes (the analytics registry's list, so a new analytic shows up by itself),
 * trades produced and consumer lag from Kafka's offsets, and the job's health from its Prometheus reporter and
 * REST API: the figures of a "pipeline health" dashboard, under the metric names Flink exports.
 */
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { type PipelineConfig, tradeTopics } from '../../config/index.ts';
import { logger } from '../../log.ts';
import { DEAD_LETTER_HEADERS } from '../../pipeline/analytics/dead-letters.ts';
import { postgresTables, vwapColumns, vwapTableName } from '../../pipeline/analytics/index.ts';
import { KAFKA_USERS, VIEWER_GROUP_PREFIX } from '../../pipeline/kafka-access.ts';
import { CONSUMER_GROUP } from '../../pipeline/source.ts';
import { columnsOf, type ProfileName, TRADE_TIME, TRADES_TABLE } from '../../schema/index.ts';
import type { LocalStack } from '../stack.ts';

/** A name of `columns`, checked: a renamed column fails at start, not with an empty chart. */
function columnNamed(columns: readonly { name: string }[], name: string, of: string): string {
  if (!columns.some((c) => c.name === name)) throw new Error(`${of} has no column ${name}`);
  return name;
}

/** The VWAP table's columns a candle is drawn from. */
function candleColumns(config: PipelineConfig) {
  const table = vwapTableName(config);
  const columns = vwapColumns(config.profile);
  const name = (n: string) => columnNamed(columns, n, table);
  return {
    table,
    ticker: name('ticker'),
    start: name('window_start'),
    open: name('open_price'),
    high: name('high_price'),
    low: name('low_price'),
    close: name('close_price'),
    vwap: name('vwap'),
    volume: name('total_volume'),
  };
}

/** The trade fields an alert or a list of alerts leads with (the rest of an alert is shown as it comes). */
function tradeFields(profile: ProfileName) {
  const columns = columnsOf(profile);
  const name = (n: string) => columnNamed(columns, n, 'the trade schema');
  return { time: name(TRADE_TIME), ticker: name('ticker'), price: name('price'), volume: name('volume') };
}

/** Flink's Prometheus metric names (its reporter's, as on the cluster), by what they measure. */
export const FLINK_METRICS = {
  pendingRecords: 'flink_taskmanager_job_task_operator_pendingRecords',
  lateRecordsDropped: 'flink_taskmanager_job_task_operator_numLateRecordsDropped',
  recordsIn: 'flink_taskmanager_job_task_numRecordsInPerSecond',
  recordsOut: 'flink_taskmanager_job_task_numRecordsOutPerSecond',
  busy: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
  backPressured: 'flink_taskmanager_job_task_backPressuredTimeMsPerSecond',
  checkpointsCompleted: 'flink_jobmanager_job_numberOfCompletedCheckpoints',
  checkpointsFailed: 'flink_jobmanager_job_numberOfFailedCheckpoints',
  lastCheckpointDuration: 'flink_jobmanager_job_lastCheckpointDuration',
  lastCheckpointSize: 'flink_jobmanager_job_lastCheckpointSize',
  restarts: 'flink_jobmanager_job_numRestarts',
} as const;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of the Prometheus text exposition format (comments and blank lines skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

export interface Candle {
  /** Window start, seconds since the epoch (UTC). */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  vwap: number;
  volume: number;
}

export interface TickerVolume {
  ticker: string;
  volume: number;
}

/** A record of the alerts or dead-letter topic, as the page lists it. */
export interface TopicRecord {
  partition: number;
  offset: string;
  /** When Kafka appended it, ms since the epoch. */
  timestamp: number;
}

export interface AlertView extends TopicRecord {
  time: number | string | null;
  ticker: string;
  price: number | string | null;
  volume: number | string | null;
  /** Everything else the alert carries beyond the trade (the rule, its threshold, a score), as it came. */
  details: Record<string, unknown>;
}

export interface DeadLetterView extends TopicRecord {
  /** Why the job refused the record. */
  reason: string;
  /** Where it was read: the origin headers' values (topic, partition, offset). */
  origin: string[];
  /** The refused bytes as text (invalid UTF-8 replaced), cut to a readable length. */
  payload: string | null;
  payloadBytes: number;
}

export interface Counter {
  total: number;
  /** Over the last readings (RATE_WINDOW_MS); null on the first. */
  perSecond: number | null;
}

export interface TaskFigures {
  name: string;
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** The busiest subtask's busy and back-pressured time, ms per second. */
  busyMsPerSecond: number;
  backPressuredMsPerSecond: number;
}

export interface Health {
  at: number;
  job: { state: string; restarts: number; recoveries: number; lastFailure?: string };
  produced: Counter;
  alerts: Counter;
  deadLetters: Counter;
  /** Rows of every table the job writes (PostgreSQL's live-row count: cheap on a big table). */
  stored: ({ table: string } & Counter)[];
  /** The trades table's entry of `stored`. */
  storedTrades: Counter | null;
  /** Now minus the newest stored trade's time, seconds. */
  sinkFreshnessSeconds: number | null;
  lag: {
    /** Flink's Kafka source: records not yet read (its pendingRecords metric, summed). */
    pendingRecords: number | null;
    /** The job's consumer group: end offsets minus committed (it commits on checkpoints). */
    groupLag: number | null;
  };
  checkpoints: { completed: number; failed: number; lastDurationMs: number; lastSizeBytes: number } | null;
  lateRecordsDropped: number | null;
  tasks: TaskFigures[];
}

const LIST_LENGTH = 50;
/**
 * Rates are taken over this much time: PostgreSQL's row counts move in steps (a backend reports its counts at
 * most once a second), so a rate between two readings a second apart would jump between 0 and twice the truth.
 */
const RATE_WINDOW_MS = 10_000;
const [REASON_HEADER, ...ORIGIN_HEADERS] = DEAD_LETTER_HEADERS;
const PAYLOAD_CHARS = 2_000;

/** Reads the stack for the dashboard; one per server, with a small pool of database connections and one Kafka admin. */
export class DashboardData {
  private readonly db: pg.Pool;
  private readonly kafka;
  private readonly admin;
  private adminConnected?: Promise<void>;
  private consumers: { disconnect(): Promise<void> }[] = [];
  private readonly columns;
  private readonly trade;
  private readings = new Map<string, { total: number; at: number }[]>();
  readonly alerts: AlertView[] = [];
  readonly deadLetters: DeadLetterView[] = [];

  constructor(private readonly stack: LocalStack) {
    this.columns = candleColumns(stack.config);
    this.trade = tradeFields(stack.config.profile);
    this.kafka = new Kafka({
      clientId: 'tradestream-dashboard',
      ...stack.kafka.connection(),
      logLevel: logLevel.NOTHING,
    });
    this.admin = this.kafka.admin();
    const { postgres } = stack;
    this.db = new pg.Pool({
      host: '127.0.0.1',
      port: postgres.port,
      database: postgres.database,
      user: postgres.user,
      password: postgres.password,
      max: 3,
    });
    // An idle connection the server dropped: the pool connects again on the next query.
    this.db.on('error', (error) =>
      logger.debug({ error: String(error) }, 'dashboard: database connection lost'),
    );
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.db.query<R>(text, values)).rows;
  }

  private async connectedAdmin() {
    this.adminConnected ??= this.admin.connect().catch((error) => {
      this.adminConnected = undefined;
      throw error;
    });
    await this.adminConnected;
    return this.admin;
  }

  /** The latest `limit` candles of a ticker, oldest first. */
  async candles(ticker: string, limit = 300): Promise<Candle[]> {
    const c = this.columns;
    const rows = await this.query<Record<keyof Candle, string>>(
      `SELECT extract(epoch FROM ${c.start})::bigint AS time, ${c.open} AS open, ${c.high} AS high,
              ${c.low} AS low, ${c.close} AS close, ${c.vwap} AS vwap, ${c.volume} AS volume
       FROM ${c.table} WHERE ${c.ticker} = $1 ORDER BY ${c.start} DESC LIMIT $2`,
      [ticker, limit],
    );
    return rows.reverse().map((r) => ({
      time: Number(r.time),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      vwap: Number(r.vwap),
      volume: Number(r.volume),
    }));
  }

  /** The tickers with candles, most traded first (over their latest windows). */
  async tickers(limit = 100): Promise<TickerVolume[]> {
    const c = this.columns;
    const rows = await this.query<{ ticker: string; volume: string }>(
      `SELECT ${c.ticker} AS ticker, sum(${c.volume}) AS volume
       FROM (SELECT ${c.ticker}, ${c.volume} FROM ${c.table} ORDER BY ${c.start} DESC LIMIT 20000) AS latest
       GROUP BY ${c.ticker} ORDER BY volume DESC, ticker LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ ticker: r.ticker, volume: Number(r.volume) }));
  }

  /** A total, with its rate over the readings of the same key in the last RATE_WINDOW_MS. */
  private counter(key: string, total: number, at: number): Counter {
    const readings = (this.readings.get(key) ?? []).filter((r) => at - r.at <= RATE_WINDOW_MS);
    const oldest = readings[0];
    readings.push({ total, at });
    this.readings.set(key, readings);
    const perSecond = oldest && at > oldest.at ? ((total - oldest.total) * 1000) / (at - oldest.at) : null;
    return { total, perSecond };
  }

  private async topicTotal(topics: string[]): Promise<number> {
    const admin = await this.connectedAdmin();
    let total = 0;
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    return total;
  }

  private async groupLag(): Promise<number | null> {
    const admin = await this.connectedAdmin();
    const topics = tradeTopics(this.stack.config);
    const committed = await admin.fetchOffsets({ groupId: CONSUMER_GROUP, topics });
    let lag = 0;
    let any = false;
    for (const { topic, partitions } of committed) {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
      for (const p of partitions) {
        const offset = Number(p.offset);
        if (offset < 0) continue; // nothing committed yet
        any = true;
        lag += Math.max(0, (ends.get(p.partition) ?? offset) - offset);
      }
    }
    return any ? lag : null;
  }

  private async flinkSamples(): Promise<Sample[]> {
    const url = this.stack.flink?.metricsUrl;
    if (!url || !this.stack.flink?.running) return [];
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`Flink metrics: HTTP ${response.status}`);
    return parsePrometheusText(await response.text());
  }

  async health(): Promise<Health> {
    const at = Date.now();
    const { config, job } = this.stack;
    const tables = postgresTables(config).map((t) => t.name);
    const settle = <T>(what: string, p: Promise<T>, fallback: T) =>
      p.catch((error) => {
        logger.debug({ error: String(error) }, `dashboard: ${what} unavailable`);
        return fallback;
      });
    const [produced, alerts, deadLetters, rows, newest, groupLag, samples] = await Promise.all([
      settle('produced', this.topicTotal(tradeTopics(config)), Number.NaN),
      settle('alerts', this.topicTotal([config.kafka.alertsTopic]), Number.NaN),
      settle('dead letters', this.topicTotal([config.kafka.deadLetterTopic]), Number.NaN),
      settle(
        'stored rows',
        this.query<{ table: string; rows: string }>(
          `SELECT relname AS table, n_live_tup AS rows FROM pg_stat_user_tables
           WHERE schemaname = current_schema() AND relname = ANY($1)`,
          [tables],
        ),
        [],
      ),
      settle(
        'sink freshness',
        this.query<{ age: string | null }>(
          `SELECT extract(epoch FROM (now() AT TIME ZONE 'UTC') - max(${TRADE_TIME})) AS age FROM ${TRADES_TABLE}`,
        ),
        [],
      ),
      settle('group lag', this.groupLag(), null),
      settle('Flink metrics', this.flinkSamples(), []),
    ]);
    const rowsOf = new Map(rows.map((r) => [r.table, Number(r.rows)]));
    const age = newest[0]?.age;
    const of = (name: string) => samples.filter((s) => s.name === name);
    const sum = (name: string) => (of(name).length ? of(name).reduce((n, s) => n + s.value, 0) : null);
    const first = (name: string) => of(name)[0]?.value ?? 0;
    const taskNames = [...new Set(of(FLINK_METRICS.recordsIn).map((s) => s.labels.task_name ?? ''))];
    const perTask = (name: string, task: string) =>
      of(name).filter((s) => (s.labels.task_name ?? '') === task);
    const total = (name: string, task: string) => perTask(name, task).reduce((n, s) => n + s.value, 0);
    const max = (name: string, task: string) => Math.max(0, ...perTask(name, task).map((s) => s.value));
    const stored = tables.map((table) => ({
      table,
      ...this.counter(`table:${table}`, rowsOf.get(table) ?? Number.NaN, at),
    }));
    return {
      at,
      job: { ...job },
      produced: this.counter('produced', produced, at),
      alerts: this.counter('alerts', alerts, at),
      deadLetters: this.counter('deadLetters', deadLetters, at),
      stored,
      storedTrades: stored.find((t) => t.table === TRADES_TABLE) ?? null,
      sinkFreshnessSeconds: age === null || age === undefined ? null : Number(age),
      lag: { pendingRecords: sum(FLINK_METRICS.pendingRecords), groupLag },
      checkpoints: of(FLINK_METRICS.checkpointsCompleted).length
        ? {
            completed: first(FLINK_METRICS.checkpointsCompleted),
            failed: first(FLINK_METRICS.checkpointsFailed),
            lastDurationMs: first(FLINK_METRICS.lastCheckpointDuration),
            lastSizeBytes: first(FLINK_METRICS.lastCheckpointSize),
          }
        : null,
      lateRecordsDropped: sum(FLINK_METRICS.lateRecordsDropped),
      tasks: taskNames.map((name) => ({
        name,
        recordsInPerSecond: total(FLINK_METRICS.recordsIn, name),
        recordsOutPerSecond: total(FLINK_METRICS.recordsOut, name),
        busyMsPerSecond: max(FLINK_METRICS.busy, name),
        backPressuredMsPerSecond: max(FLINK_METRICS.backPressured, name),
      })),
    };
  }

  /**
   * Follows the alerts and dead-letter topics from the beginning, as the viewer user on a secured broker (the
   * user `npm run alerts` reads as), keeping the latest of each.
   */
  async follow(): Promise<void> {
    const { config } = this.stack;
    const viewer = new Kafka({
      clientId: 'tradestream-dashboard',
      ...this.stack.kafka.connection(KAFKA_USERS.viewer),
      logLevel: logLevel.NOTHING,
    });
    const keep = <T>(list: T[], item: T) => {
      list.unshift(item);
      list.length = Math.min(list.length, LIST_LENGTH);
    };
    const trade = this.trade;
    const tradeNames = new Set(columnsOf(config.profile).map((c) => c.name));
    const follow = async (
      topic: string,
      onRecord: (record: TopicRecord, value: Buffer | null, headers: Record<string, string>) => void,
    ) => {
      // A throwaway group per topic that commits nothing: every start reads the topic from the beginning.
      const consumer = viewer.consumer({
        groupId: `${VIEWER_GROUP_PREFIX}dashboard-${topic}-${process.pid}-${Date.now()}`,
      });
      this.consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [
              k,
              Array.isArray(v) ? v.join(',') : (v?.toString('utf8') ?? ''),
            ]),
          );
          onRecord(
            { partition, offset: message.offset, timestamp: Number(message.timestamp) },
            message.value,
            headers,
          );
        },
      });
    };
    await Promise.all([
      follow(config.kafka.alertsTopic, (record, value) => {
        let alert: Record<string, unknown>;
        try {
          alert = JSON.parse(value?.toString('utf8') ?? 'null') as Record<string, unknown>;
        } catch {
          return; // the job writes only JSON alerts
        }
        if (!alert || typeof alert !== 'object') return;
        keep(this.alerts, {
          ...record,
          time: alert[trade.time] as AlertView['time'],
          ticker: String(alert[trade.ticker]),
          price: alert[trade.price] as AlertView['price'],
          volume: alert[trade.volume] as AlertView['volume'],
          details: Object.fromEntries(Object.entries(alert).filter(([k]) => !tradeNames.has(k))),
        });
      }),
      follow(config.kafka.deadLetterTopic, (record, value, headers) => {
        keep(this.deadLetters, {
          ...record,
          reason: headers[REASON_HEADER] ?? '',
          origin: ORIGIN_HEADERS.map((h) => headers[h] ?? ''),
          payload: value === null ? null : value.toString('utf8').slice(0, PAYLOAD_CHARS),
          payloadBytes: value?.length ?? 0,
        });
      }),
    ]);
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
    if (this.adminConnected) await this.admin.disconnect().catch(() => undefined);
    await this.db.end().catch(() => undefined);
  }
}
