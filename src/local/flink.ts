/**
 * The Flink job of the local stack: the SQL runner (flink/) in a local MiniCluster, as a child `java` process
 * on the Maven Central jars of flink/pom.xml. Checkpoints go to a directory on disk, so a killed job can be
 * started again from its latest checkpoint, as the FlinkDeployment would after a crash.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { logger } from '../log.ts';
import { CACHE_DIR, javaBinary, PROJECT_ROOT, resolveJars } from './maven.ts';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const FLINK_DIR = join(PROJECT_ROOT, 'flink');
const FLINK_POM = join(FLINK_DIR, 'pom.xml');
const RUNNER_MAIN = 'dev.tradestream.flink.SqlRunner';

/** Flink's JDK 17 module opens (its own env.java.opts list): reflection into these packages. */
const ADD_OPENS = [
  'java.base/java.lang',
  'java.base/java.lang.reflect',
  'java.base/java.io',
  'java.base/java.net',
  'java.base/java.nio',
  'java.base/sun.nio.ch',
  'java.base/java.text',
  'java.base/java.time',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.util.concurrent.atomic',
  'java.base/java.util.concurrent.locks',
  'java.sql/java.sql',
].flatMap((p) => ['--add-opens', `${p}=ALL-UNNAMED`]);

// Flink logs WARN and above to the job's log file; the runner's own progress lines go to stderr.
const LOG4J = `
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:tradestream.flink.log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d %p %c{1} - %m%n
logger.checkpoint.name = org.apache.flink.runtime.checkpoint.CheckpointCoordinator
logger.checkpoint.level = INFO
`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Builds the runner jar once per content of pom + sources, cached under .cache/flink-runner/. */
export async function runnerJar(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [FLINK_POM, ...(await filesUnder(join(FLINK_DIR, 'src/main')))]) {
    hash.update(relative(FLINK_DIR, file)).update(await readFile(file));
  }
  const jar = join(CACHE_DIR, 'flink-runner', `sql-runner-${hash.digest('hex').slice(0, 16)}.jar`);
  if (existsSync(jar)) return jar;
  logger.info('building the SQL runner (mvn package)');
  try {
    // clean: a stale target/ (a resource older than its copy) must not end up in a jar cached as this content.
    await run('mvn', ['-B', '-q', '-ntp', '-f', FLINK_POM, 'clean', 'package', '-DskipTests'], {
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `mvn package of flink/ failed: ${(stdout + stderr).trim().split('\n').slice(-8).join(' | ')}`,
    );
  }
  await mkdir(join(CACHE_DIR, 'flink-runner'), { recursive: true });
  await copyFile(join(FLINK_DIR, 'target', 'sql-runner.jar'), `${jar}.partial`);
  await rm(jar, { force: true });
  await rename(`${jar}.partial`, jar);
  return jar;
}

/** The MiniCluster classpath: Flink itself (provided scope), connectors + driver (runtime scope), the runner. */
export async function flinkClasspath(): Promise<string> {
  const [flink, connectors, runner] = await Promise.all([
    resolveJars(FLINK_POM, 'provided'),
    resolveJars(FLINK_POM, 'runtime'),
    runnerJar(),
  ]);
  return [...flink, ...connectors, runner].join(':');
}

/**
 * The optimized plan of a script's statement set, as Flink's planner prints it (the runner's --explain: it
 * plans and exits; no server is contacted, so placeholders may hold any value).
 */
export async function explainPlan(sql: string, env: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tradestream-explain-'));
  try {
    await writeFile(join(dir, 'pipeline.sql'), sql);
    await writeFile(join(dir, 'log4j2.properties'), LOG4J);
    const { stdout } = await run(
      javaBinary(),
      [
        ...ADD_OPENS,
        `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
        `-Dtradestream.flink.log=${join(dir, 'flink.log')}`,
        '-cp',
        await flinkClasspath(),
        RUNNER_MAIN,
        '--explain',
        join(dir, 'pipeline.sql'),
      ],
      { env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
    );
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The newest completed checkpoint (`chk-N` with its _metadata) under a checkpoint dir, if any. */
export async function latestCheckpoint(checkpointDir: string): Promise<string | undefined> {
  if (!existsSync(checkpointDir)) return undefined;
  let best: { path: string; time: number } | undefined;
  for (const job of await readdir(checkpointDir)) {
    const jobDir = join(checkpointDir, job);
    if (!(await stat(jobDir)).isDirectory()) continue;
    for (const chk of await readdir(jobDir)) {
      const metadata = join(jobDir, chk, '_metadata');
      if (!chk.startsWith('chk-') || !existsSync(metadata)) continue;
      const time = (await stat(metadata)).mtimeMs;
      if (!best || time > best.time) best = { path: join(jobDir, chk), time };
    }
  }
  return best?.path;
}

export interface LocalFlinkJobOptions {
  /** The generated SQL script (with placeholders). */
  sql: string;
  /** Values for the script's ${ENV} placeholders (endpoints, credentials); passed by environment only. */
  env: Record<string, string>;
  /** Where checkpoints go; kept across restarts. Default: inside the job's temp dir, removed by remove(). */
  checkpointDir?: string;
  /** Restore from this checkpoint (see latestCheckpoint). */
  restoreFrom?: string;
  /** JVM heap of the MiniCluster. */
  heap?: string;
}

interface JobOverview {
  jid: string;
  name: string;
  state: string;
}

/** What the job's REST API says of its health: the supervisor's and the progress line's view. */
export interface JobHealth {
  /** RUNNING, RESTARTING, FAILING, FAILED, ... */
  state: string;
  /** TaskExecutors registered with the MiniCluster: 0 means the job waits for slots that never come. */
  taskManagers: number;
  /** Restarts of this job since it was submitted. */
  restarts: number;
  /** The most recent failure's exception, one line. */
  lastFailure?: string;
}

/** One Flink SQL job in its own MiniCluster JVM. */
export class LocalFlinkJob {
  private child?: ChildProcess;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private stopping = false;
  jobId?: string;
  /** How the JVM ended ("exit code 1", "killed by SIGKILL"), once it has. */
  exitReason?: string;

  private constructor(
    readonly dir: string,
    readonly checkpointDir: string,
    readonly restPort: number,
    readonly metricsPort: number,
  ) {}

  /** Starts the runner and waits until the job and all its tasks run. */
  static async start(options: LocalFlinkJobOptions): Promise<LocalFlinkJob> {
    const started = Date.now();
    const classpath = await flinkClasspath();
    const dir = await mkdtemp(join(tmpdir(), 'tradestream-flink-'));
    const checkpointDir = options.checkpointDir ?? join(dir, 'checkpoints');
    await mkdir(checkpointDir, { recursive: true });
    const job = new LocalFlinkJob(dir, checkpointDir, await freePort(), await freePort());
    await writeFile(join(dir, 'pipeline.sql'), options.sql);
    await writeFile(join(dir, 'log4j2.properties'), LOG4J);
    const conf: Record<string, string> = {
      'execution.checkpointing.dir': pathToFileURL(checkpointDir).href,
      'execution.checkpointing.num-retained': '3',
      'rest.port': String(job.restPort),
      'rest.address': '127.0.0.1',
      'rest.bind-address': '127.0.0.1',
      // Flink's Prometheus reporter, as on the cluster (9249 there): a MiniCluster serves JobManager and
      // TaskManager metrics on this one port. It has no bind-address option: it listens on every interface.
      'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
      'metrics.reporter.prom.port': String(job.metricsPort),
      ...(options.restoreFrom
        ? { 'execution.state-recovery.path': pathToFileURL(options.restoreFrom).href }
        : {}),
    };
    const args = [
      `-Xmx${options.heap ?? '2g'}`,
      ...ADD_OPENS,
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      `-Dtradestream.flink.log=${join(dir, 'flink.log')}`,
      '-cp',
      classpath,
      RUNNER_MAIN,
      ...Object.entries(conf).map(([k, v]) => `-D${k}=${v}`),
      join(dir, 'pipeline.sql'),
    ];
    const child = spawn(javaBinary(), args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    job.child = child;
    job.exitPromise = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        job.exitReason = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve(code);
      }),
    );
    const out = createWriteStream(join(dir, 'runner.log'), { flags: 'a' });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    job.exitPromise.then(() => {
      if (!job.stopping)
        logger.error({ exit: job.exitReason, log: job.logHint }, 'Flink job process exited unexpectedly');
    });
    try {
      await job.waitUntilRunning();
    } catch (error) {
      // A job that never ran (a SQL or runtime error): no JVM may outlive the caller that gave up on it.
      await job.kill();
      throw error;
    }
    logger.info(
      {
        job: job.jobId,
        ui: job.webUrl,
        metrics: job.metricsUrl,
        restored: options.restoreFrom !== undefined,
        seconds: (Date.now() - started) / 1000,
      },
      'local Flink job running',
    );
    return job;
  }

  get webUrl(): string {
    return `http://127.0.0.1:${this.restPort}`;
  }

  /** The Prometheus reporter's scrape endpoint (text exposition format). */
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  /** True once stop(), kill() or remove() was called: an exit then is no crash. */
  get stoppedOnPurpose(): boolean {
    return this.stopping;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code when the JVM ends for any reason. */
  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  private get logHint(): string {
    return `${join(this.dir, 'runner.log')} and ${join(this.dir, 'flink.log')}`;
  }

  /** GET on the job's REST API (the Flink Web UI's backend). */
  async rest<T>(path: string): Promise<T> {
    const response = await fetch(`${this.webUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`Flink REST ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  private async waitUntilRunning(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        const log = await readFile(join(this.dir, 'runner.log'), 'utf8').catch(() => '');
        const causes = log
          .split('\n')
          .filter((l) => /^\[sql-runner\] (failed|caused by|(?!SET|\[|submitted))/.test(l));
        throw new Error(
          `Flink runner exited before the job ran: ${causes.slice(-4).join(' | ')} (logs: ${this.logHint})`,
        );
      }
      try {
        const { jobs } = await this.rest<{ jobs: JobOverview[] }>('/jobs/overview');
        const job = jobs.find((j) => j.state === 'RUNNING');
        if (job) {
          const detail = await this.rest<{ vertices: { status: string }[] }>(`/jobs/${job.jid}`);
          if (detail.vertices.every((v) => v.status === 'RUNNING')) {
            this.jobId = job.jid;
            return;
          }
        }
      } catch {
        // REST endpoint not up yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`Flink job not running after ${timeoutMs / 1000} s (logs: ${this.logHint})`);
  }

  /** The job's state, task managers, restarts and last failure; undefined when the REST API does not answer. */
  async health(): Promise<JobHealth | undefined> {
    if (!this.jobId) return undefined;
    const id = this.jobId;
    try {
      const [job, managers, metrics, exceptions] = await Promise.all([
        this.rest<{ state: string }>(`/jobs/${id}`),
        this.rest<{ taskmanagers: unknown[] }>('/taskmanagers'),
        this.rest<{ id: string; value: string }[]>(`/jobs/${id}/metrics?get=numRestarts`),
        this.rest<{ exceptionHistory?: { entries?: { exceptionName?: string; stacktrace?: string }[] } }>(
          `/jobs/${id}/exceptions?maxExceptions=1`,
        ),
      ]);
      const entry = exceptions.exceptionHistory?.entries?.[0];
      const firstLine = entry?.stacktrace?.split('\n')[0] ?? entry?.exceptionName;
      return {
        state: job.state,
        taskManagers: managers.taskmanagers.length,
        // NaN, never a silent 0, if Flink stops exporting the metric.
        restarts: Number(metrics.find((m) => m.id === 'numRestarts')?.value ?? Number.NaN),
        lastFailure: firstLine?.slice(0, 300),
      };
    } catch {
      return undefined;
    }
  }

  /** Completed checkpoints of this run. */
  async completedCheckpoints(): Promise<number> {
    if (!this.jobId) return 0;
    const stats = await this.rest<{ counts: { completed: number } }>(`/jobs/${this.jobId}/checkpoints`);
    return stats.counts.completed;
  }

  /** Waits until `count` more checkpoints complete than when called. */
  async waitForCheckpoints(count = 1, timeoutMs = 120_000): Promise<void> {
    const target = (await this.completedCheckpoints()) + count;
    const deadline = Date.now() + timeoutMs;
    while ((await this.completedCheckpoints()) < target) {
      if (!this.running)
        throw new Error(`Flink job exited while waiting for a checkpoint (logs: ${this.logHint})`);
      if (Date.now() > deadline) throw new Error(`no checkpoint completed within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Kills the JVM at once, as a crash would: no final checkpoint, no clean cancel. */
  async kill(): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exitPromise;
  }

  /** Stops the job (SIGTERM: the JVM's shutdown hooks stop the MiniCluster; SIGKILL after the timeout). */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopping = true;
    if (this.running) {
      this.child?.kill('SIGTERM');
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
  }

  /** Stops the job and removes its temp dir (with the checkpoints, unless the caller gave their dir). */
  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
