/**
 * The whole pipeline on one machine: a real Kafka broker, a real PostgreSQL server and the Flink job in a
 * MiniCluster, wired by the same generated SQL as on Kubernetes. Used by `npm start`, the integration tests and
 * the pipeline benchmark. (The producer is started by the caller: it is what each of them varies.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { allTopics, type PipelineConfig, producerConfigEnv, tradeTopics } from '../config/index.ts';
import { logger } from '../log.ts';
import { LATE_TRADES_TABLE, vwapTableName } from '../pipeline/analytics/index.ts';
import { KAFKA_USERS, type KafkaClient, kafkaAccess } from '../pipeline/kafka-access.ts';
import { pipelineSql, SQL_ENV } from '../pipeline/sql.ts';
import { TRADES_TABLE } from '../schema/index.ts';
import type { StackFacts } from './access.ts';
import { LocalFlinkJob, latestCheckpoint } from './flink.ts';
import { LocalKafka } from './kafka.ts';
import { PROJECT_ROOT, resolveJars } from './maven.ts';
import { LocalPostgres } from './postgres.ts';

export interface LocalStackOptions {
  /** false: PostgreSQL without fsync (tests only). */
  durable?: boolean;
  flinkHeap?: string;
  /** Use this running broker instead of starting one (it is not stopped by stop()). */
  kafka?: LocalKafka;
  /** false: leave the Flink job to the caller's startFlink() (e.g. after preloading the topics). */
  startFlink?: boolean;
  /** Run this script instead of the generated pipeline (benchmarks compare a reference job this way). */
  sql?: string;
}

/** How long the job may have no TaskExecutor before the stack replaces it (as Kubernetes replaces a pod). */
const NO_TASK_MANAGER_MS = 10_000;
const SUPERVISE_EVERY_MS = 2_000;

/** The supervisor's view of the job, for progress lines. */
export interface JobStatus {
  /** The job's state from its REST API, or why there is none (e.g. "recovering"). */
  state: string;
  /** Restarts Flink made itself (from its checkpoint, within the JVM). */
  restarts: number;
  /** Times the stack replaced the job's JVM because its TaskExecutor or the JVM died. */
  recoveries: number;
  /** The last failure, one line: Flink's last exception or why the stack stepped in. */
  lastFailure?: string;
}

/** Counters of what went through the pipeline, for progress lines and summaries. */
export interface StackCounts {
  /** Records in the trade topics (valid or not). */
  produced: number;
  alerts: number;
  deadLetters: number;
  storedTrades: number;
  windows: number;
  /** Trades that came after their window closed: stored, counted in no window. */
  lateTrades: number;
}

export class LocalStack {
  flink?: LocalFlinkJob;
  /** The job as the supervisor last saw it. */
  readonly job: JobStatus = { state: 'not started', restarts: 0, recoveries: 0 };
  private readonly admin;
  private readonly producers = new Set<ChildProcess>();
  private supervisor?: NodeJS.Timeout;
  /** Set while the JVM is being replaced: the supervisor then waits. */
  private recovering?: Promise<unknown>;
  private noTaskManagerSince?: number;
  /** A replacement failed (e.g. a server it needs was still down): the next tick tries again. */
  private recoveryPending = false;
  private stopped = false;

  private constructor(
    readonly config: PipelineConfig,
    readonly kafka: LocalKafka,
    readonly postgres: LocalPostgres,
    readonly checkpointDir: string,
    private readonly options: LocalStackOptions,
  ) {
    this.admin = new Kafka({ ...kafka.connection(), logLevel: logLevel.NOTHING }).admin();
  }

  /**
   * The broker the config asks for: plaintext, or (kafka.securityProtocol=sasl_ssl) TLS with one SCRAM user per
   * client, each with its ACLs from kafka-access.ts, as on Kubernetes.
   */
  private static async startKafka(config: PipelineConfig): Promise<LocalKafka> {
    if (config.kafka.securityProtocol === 'plaintext') return LocalKafka.start();
    const users = Object.values(KAFKA_USERS);
    return LocalKafka.start({
      scramUsers: Object.fromEntries(users.map((user) => [user, randomBytes(24).toString('hex')])),
    });
  }

  /**
   * How `client` reaches this broker, as the environment variables of the producer's config and of the SQL's
   * placeholders (the same names; the bootstrap address is each one's own).
   */
  kafkaClientEnv(client: KafkaClient): Record<string, string> {
    const caFile = this.kafka.caFile;
    if (!caFile)
      return {
        [SQL_ENV.kafkaSecurityProtocol]: 'plaintext',
        [SQL_ENV.kafkaCaFile]: '',
        [SQL_ENV.kafkaUsername]: '',
        [SQL_ENV.kafkaPassword]: '',
      };
    const user = KAFKA_USERS[client];
    return {
      [SQL_ENV.kafkaSecurityProtocol]: 'sasl_ssl',
      [SQL_ENV.kafkaCaFile]: caFile,
      [SQL_ENV.kafkaUsername]: user,
      [SQL_ENV.kafkaPassword]: this.kafka.password(user),
    };
  }

  /** Starts Kafka (with the topics), PostgreSQL (with the tables) and the Flink job. */
  static async start(config: PipelineConfig, options: LocalStackOptions = {}): Promise<LocalStack> {
    const [kafka, postgres] = await Promise.allSettled([
      options.kafka ?? LocalStack.startKafka(config),
      LocalPostgres.start({ config, durable: options.durable }),
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
      if (kafka.caFile)
        await kafka.grant(
          Object.fromEntries(
            Object.entries(kafkaAccess(config)).map(([client, acls]) => [
              KAFKA_USERS[client as KafkaClient],
              acls,
            ]),
          ),
        );
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
    return {
      [SQL_ENV.kafkaBootstrap]: this.kafka.bootstrap,
      ...this.kafkaClientEnv('pipeline'),
      ...this.postgres.sqlEnv,
    };
  }

  /** Starts the Flink job, from the latest checkpoint when `restore` and one exists. */
  async startFlink(restore = false): Promise<LocalFlinkJob> {
    const restoreFrom = restore ? await latestCheckpoint(this.checkpointDir) : undefined;
    if (restore && !restoreFrom) throw new Error(`no completed checkpoint under ${this.checkpointDir}`);
    this.flink = await LocalFlinkJob.start({
      sql: this.options.sql ?? pipelineSql(this.config),
      env: this.sqlEnv,
      checkpointDir: this.checkpointDir,
      restoreFrom,
      heap: this.options.flinkHeap,
    });
    this.job.state = 'RUNNING';
    this.supervise();
    return this.flink;
  }

  /**
   * Kills the Flink JVM (as a crash would) and starts the job again from its latest checkpoint (from the
   * committed group offsets when none completed yet).
   */
  async crashAndRecoverFlink(): Promise<LocalFlinkJob> {
    while (this.recovering) await this.recovering;
    const recovery = (async () => {
      const old = this.flink;
      await old?.kill();
      const restore = (await latestCheckpoint(this.checkpointDir)) !== undefined;
      const restored = await this.startFlink(restore);
      await old?.remove();
      return restored;
    })();
    this.recovering = recovery;
    try {
      return await recovery;
    } finally {
      this.recovering = undefined;
      this.noTaskManagerSince = undefined;
    }
  }

  /**
   * Watches the job by its real state, not its JVM's pid: a JVM that died, or a job left without a
   * TaskExecutor (a fatal error in a task's failure handling shuts the TaskExecutor down, and a MiniCluster
   * never starts another), is replaced from the latest checkpoint, as Kubernetes replaces a pod.
   */
  private supervise(): void {
    if (this.supervisor) return;
    const tick = async () => {
      if (this.stopped || this.recovering || !this.flink) return;
      const flink = this.flink;
      let why: string | undefined;
      if (this.recoveryPending) {
        why = this.job.lastFailure ?? 'the last recovery failed';
      } else if (!flink.running) {
        if (flink.stoppedOnPurpose) return;
        why = `the Flink JVM died (${flink.exitReason})`;
      } else {
        const health = await flink.health();
        if (this.stopped || this.recovering || flink !== this.flink) return;
        if (health) {
          Object.assign(this.job, {
            state: health.state,
            restarts: health.restarts,
            lastFailure: health.lastFailure ?? this.job.lastFailure,
          });
          if (health.taskManagers > 0) this.noTaskManagerSince = undefined;
          else this.noTaskManagerSince ??= Date.now();
          if (
            this.noTaskManagerSince !== undefined &&
            Date.now() - this.noTaskManagerSince > NO_TASK_MANAGER_MS
          )
            why = `the job had no TaskExecutor for ${NO_TASK_MANAGER_MS / 1000} s (${health.lastFailure ?? 'no failure recorded'})`;
        }
      }
      if (!why) return;
      this.job.recoveries++;
      this.job.state = 'recovering';
      this.job.lastFailure = why;
      logger.warn(
        { why, recoveries: this.job.recoveries },
        'replacing the Flink job JVM from its latest checkpoint',
      );
      await this.crashAndRecoverFlink().then(
        () => {
          this.recoveryPending = false;
        },
        (error) => {
          this.recoveryPending = true;
          this.job.lastFailure = `recovery failed: ${String(error).slice(0, 300)}`;
          logger.error({ error: String(error) }, 'Flink job recovery failed; retrying');
        },
      );
    };
    const loop = () => {
      this.supervisor = setTimeout(() => {
        tick()
          .catch((error) => logger.debug({ error: String(error) }, 'supervisor tick failed'))
          .finally(() => {
            if (!this.stopped) loop();
          });
      }, SUPERVISE_EVERY_MS);
      this.supervisor.unref();
    };
    loop();
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
      const { rows } = await db.query<{ trades: string; windows: string; late: string }>(
        `SELECT (SELECT count(*) FROM ${TRADES_TABLE}) AS trades, (SELECT count(*) FROM ${vwapTableName(this.config)}) AS windows,
                (SELECT count(*) FROM ${LATE_TRADES_TABLE}) AS late`,
      );
      return {
        produced: await this.topicTotal(tradeTopics(this.config)),
        alerts: await this.topicTotal([alertsTopic]),
        deadLetters: await this.topicTotal([deadLetterTopic]),
        storedTrades: Number(rows[0]?.trades),
        windows: Number(rows[0]?.windows),
        lateTrades: Number(rows[0]?.late),
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
      env: {
        ...process.env,
        ...producerConfigEnv(this.config),
        KAFKA_BROKERS: this.kafka.bootstrap,
        ...this.kafkaClientEnv('producer'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.producers.add(child);
    child.once('exit', () => this.producers.delete(child));
    return child;
  }

  /** What `npm run psql` and `npm run alerts` need to reach this stack (access.ts writes it down). */
  async accessFacts(): Promise<{ facts: StackFacts; passwords: { postgres: string; kafkaViewer?: string } }> {
    const { config, kafka, postgres } = this;
    // Kafka's jars are cached by now (the broker runs from them): their folder holds the console consumer too.
    const kafkaJars = await resolveJars(join(PROJECT_ROOT, 'src/local/kafka.pom.xml')).catch(() => []);
    const viewer = KAFKA_USERS.viewer;
    const facts: StackFacts = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      profile: config.profile,
      kafka: {
        bootstrap: kafka.bootstrap,
        tradeTopics: tradeTopics(config),
        alertsTopic: config.kafka.alertsTopic,
        deadLetterTopic: config.kafka.deadLetterTopic,
        toolsClasspath: kafkaJars[0] ? join(dirname(kafkaJars[0]), '*') : undefined,
        viewer: kafka.caFile
          ? {
              caFile: kafka.caFile,
              username: viewer,
              clientProperties: kafka.clientPropertiesFile(viewer) as string,
            }
          : undefined,
      },
      postgres: { host: '127.0.0.1', port: postgres.port, database: postgres.database, user: postgres.user },
      flink: { webUrl: this.flink?.webUrl ?? '' },
    };
    return {
      facts,
      passwords: {
        postgres: postgres.password,
        kafkaViewer: kafka.caFile ? kafka.password(viewer) : undefined,
      },
    };
  }

  /** Stops everything this stack started and removes its data; safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.supervisor);
    await this.recovering?.catch(() => undefined);
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
