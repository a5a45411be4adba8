/**
 * The whole pipeline on one machine: a real Kafka broker, a real PostgreSQL server and the Flink job in a
 * MiniCluster, wired by the same generated SQL as on Kubernetes. Used by `npm start`, the integration tests and
 * the pipeline benchmark. (The producer is started by the caller: it is what each of them varies.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { allTopics, configFields, type PipelineConfig, tradeTopics } from '../config/index.ts';
import { logger } from '../log.ts';
import { VWAP_TABLE } from '../pipeline/analytics.ts';
import { pipelineSql, SQL_ENV } from '../pipeline/sql.ts';
import { TRADES_TABLE } from '../schema/index.ts';
import { LocalFlinkJob, latestCheckpoint } from './flink.ts';
import { LocalKafka } from './kafka.ts';
import { PROJECT_ROOT } from './maven.ts';
import { LocalPostgres } from './postgres.ts';

export interface LocalStackOptions {
  /** false: PostgreSQL without fsync (tests only). */
  durable?: boolean;
  flinkHeap?: string;
  /** Use this running broker instead of starting one (it is not stopped by stop()). */
  kafka?: LocalKafka;
  /** false: leave the Flink job to the caller's startFlink() (e.g. after preloading the topics). */
  startFlink?: boolean;
}

/** Counters of what went through the pipeline, for progress lines and summaries. */
export interface StackCounts {
  /** Records in the trade topics (valid or not). */
  produced: number;
  alerts: number;
  deadLetters: number;
  storedTrades: number;
  windows: number;
}

export class LocalStack {
  flink?: LocalFlinkJob;
  private readonly admin;
  private readonly producers = new Set<ChildProcess>();

  private constructor(
    readonly config: PipelineConfig,
    readonly kafka: LocalKafka,
    readonly postgres: LocalPostgres,
    readonly checkpointDir: string,
    private readonly options: LocalStackOptions,
  ) {
    this.admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  }

  /** Starts Kafka (with the topics), PostgreSQL (with the tables) and the Flink job. */
  static async start(config: PipelineConfig, options: LocalStackOptions = {}): Promise<LocalStack> {
    const [kafka, postgres] = await Promise.allSettled([
      options.kafka ?? LocalKafka.start(),
      LocalPostgres.start({ profile: config.profile, durable: options.durable }),
    ]).then(async ([k, p]) => {
      if (k.status === 'fulfilled' && p.status === 'fulfilled') return [k.value, p.value] as const;
      // One started and the other did not: stop the one that runs before reporting.
      if (k.status === 'fulfilled' && !options.kafka) await k.value.stop();
      if (p.status === 'fulfilled') await p.value.stop();
      throw k.status === 'rejected' ? k.reason : (p as PromiseRejectedResult).reason;
    });
    const stack = new LocalStack(
      config,
      kafka,
      postgres,
      await mkdtemp(join(tmpdir(), 'tradestream-checkpoints-')),
      options,
    );
    try {
      await kafka.createTopics(allTopics(config));
      await stack.admin.connect();
      if (options.startFlink !== false) await stack.startFlink();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** Values of the SQL's placeholders for this stack. */
  get sqlEnv(): Record<string, string> {
    return { [SQL_ENV.kafkaBootstrap]: this.kafka.bootstrap, ...this.postgres.sqlEnv };
  }

  /** Starts the Flink job, from the latest checkpoint when `restore` and one exists. */
  async startFlink(restore = false): Promise<LocalFlinkJob> {
    const restoreFrom = restore ? await latestCheckpoint(this.checkpointDir) : undefined;
    if (restore && !restoreFrom) throw new Error(`no completed checkpoint under ${this.checkpointDir}`);
    this.flink = await LocalFlinkJob.start({
      sql: pipelineSql(this.config),
      env: this.sqlEnv,
      checkpointDir: this.checkpointDir,
      restoreFrom,
      heap: this.options.flinkHeap,
    });
    return this.flink;
  }

  /** Kills the Flink JVM (as a crash would) and starts the job again from its latest checkpoint. */
  async crashAndRecoverFlink(): Promise<LocalFlinkJob> {
    const old = this.flink;
    await old?.kill();
    const restored = await this.startFlink(true);
    await old?.remove();
    return restored;
  }

  private async topicTotal(topics: string[]): Promise<number> {
    let total = 0;
    for (const topic of topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  }

  async counts(): Promise<StackCounts> {
    const { alertsTopic, deadLetterTopic } = this.config.kafka;
    const db = await this.postgres.client();
    try {
      const [trades, windows] = await Promise.all([
        db.query<{ n: string }>(`SELECT count(*) AS n FROM ${TRADES_TABLE}`),
        db.query<{ n: string }>(`SELECT count(*) AS n FROM ${VWAP_TABLE}`),
      ]);
      return {
        produced: await this.topicTotal(tradeTopics(this.config)),
        alerts: await this.topicTotal([alertsTopic]),
        deadLetters: await this.topicTotal([deadLetterTopic]),
        storedTrades: Number(trades.rows[0]?.n),
        windows: Number(windows.rows[0]?.n),
      };
    } finally {
      await db.end();
    }
  }

  /**
   * Starts the real producer (src/producer/main.ts) as a child process, configured by environment exactly
   * like a producer pod: the stack's config, this broker, and `overrides` on top.
   */
  spawnProducer(env: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/producer/main.ts')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...configEnv(this.config), KAFKA_BROKERS: this.kafka.bootstrap, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.producers.add(child);
    child.once('exit', () => this.producers.delete(child));
    return child;
  }

  /** Stops everything this stack started and removes its data; safe to call twice. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = (p: Promise<unknown> | undefined) => p?.catch((e) => errors.push(e));
    for (const producer of this.producers) producer.kill('SIGKILL');
    await attempt(this.flink?.remove());
    await attempt(this.admin.disconnect());
    await Promise.all([
      attempt(this.postgres.stop()),
      this.options.kafka ? undefined : attempt(this.kafka.stop()),
      attempt(rm(this.checkpointDir, { recursive: true, force: true })),
    ]);
    if (errors.length > 0) logger.warn({ errors: errors.map(String) }, 'local stack stopped with errors');
  }
}

/** The config as the environment variables that load it again (what a pod's env would say). */
export function configEnv(config: PipelineConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { path, env: name } of configFields()) {
    let value: unknown = config;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    if (value === undefined) continue;
    env[name] =
      value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
