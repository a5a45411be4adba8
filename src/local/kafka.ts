/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) on loopback ports, from the
 * Maven Central jars of kafka.pom.xml. Used by the integration tests, the benchmarks and `npm start`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { TopicSpec } from '../config/index.ts';
import { logger } from '../log.ts';
import { javaBinary, PROJECT_ROOT, resolveJars } from './maven.ts';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const KAFKA_POM = join(PROJECT_ROOT, 'src/local/kafka.pom.xml');
const READY_LINE = 'Kafka Server started';

// Console at WARN, but the server's "started" line at INFO: that line is how we know the broker serves.
const LOG4J = `
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

export interface LocalKafkaOptions {
  /** Broker JVM heap, e.g. '1g'. */
  heap?: string;
  /** Extra server.properties lines (key -> value). */
  properties?: Record<string, string | number>;
}

export class LocalKafka {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly classpath: string,
    private readonly options: LocalKafkaOptions,
  ) {}

  /** Resolves the jars (first run: from Maven Central), formats storage and starts the broker. */
  static async start(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
    const jars = await resolveJars(KAFKA_POM);
    const dir = await mkdtemp(join(tmpdir(), 'tradestream-kafka-'));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const properties = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': join(dir, 'data'),
      'num.partitions': 1,
      'auto.create.topics.enable': false,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 4,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 4,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      ...options.properties,
    };
    await writeFile(
      join(dir, 'server.properties'),
      Object.entries(properties)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    await writeFile(join(dir, 'log4j2.properties'), LOG4J);
    const kafka = new LocalKafka(dir, port, jars.join(':'), options);
    const { stdout: clusterId } = await run(javaBinary(), [
      ...kafka.jvmArgs(),
      'kafka.tools.StorageTool',
      'random-uuid',
    ]);
    await run(javaBinary(), [
      ...kafka.jvmArgs(),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId.trim(),
      '-c',
      join(dir, 'server.properties'),
      '--ignore-formatted',
    ]);
    await kafka.startServer();
    return kafka;
  }

  /** `127.0.0.1:<port>`, for clients. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private jvmArgs(): string[] {
    return [
      `-Xmx${this.options.heap ?? '1g'}`,
      '-XX:+UseG1GC',
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
      '-cp',
      this.classpath,
    ];
  }

  private async startServer(): Promise<void> {
    const started = Date.now();
    const child = spawn(
      javaBinary(),
      [...this.jvmArgs(), 'kafka.Kafka', join(this.dir, 'server.properties')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const log = createWriteStream(join(this.dir, 'broker.log'), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    await new Promise<void>((resolve, reject) => {
      let tail = '';
      const onData = (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-4096);
        if (tail.includes(READY_LINE)) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) =>
        reject(
          new Error(
            `Kafka broker exited with code ${code} before it served; see ${join(this.dir, 'broker.log')}`,
          ),
        ),
      );
    });
    logger.info(
      { bootstrap: this.bootstrap, seconds: (Date.now() - started) / 1000 },
      'local Kafka broker ready',
    );
  }

  /** Stops the broker (controlled shutdown; SIGKILL after the timeout) and keeps its data. */
  async stopServer(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Kills the broker without a controlled shutdown, as a crash would. */
  async kill(): Promise<void> {
    if (!this.child || !this.running) return;
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }

  /**
   * Starts the broker again on the same ports and data, after stopServer or kill, and waits until it leads
   * every partition again ("started" comes before the partitions are loaded: requests in between get
   * NOT_LEADER_FOR_PARTITION).
   */
  async restart(timeoutMs = 60_000): Promise<void> {
    await this.stopServer();
    await this.startServer();
    const admin = new Kafka({ brokers: [this.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
        const ready = await Promise.all(
          topics.map((topic) =>
            admin.fetchTopicOffsets(topic).then(
              () => true,
              () => false,
            ),
          ),
        );
        if (ready.every(Boolean)) return;
        if (Date.now() > deadline)
          throw new Error(`broker restarted but not leading every partition after ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops the broker and deletes its data. */
  async stop(): Promise<void> {
    await this.stopServer();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Creates the topics (those that exist are left alone). */
  async createTopics(topics: TopicSpec[]): Promise<void> {
    const admin = new Kafka({ brokers: [this.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: 1,
            configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }
}
