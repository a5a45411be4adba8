/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) on loopback ports, from the
 * Maven Central jars of kafka.pom.xml. Used by the integration tests, the benchmarks and `npm start`.
 *
 * Plaintext by default. With `scramUsers` the broker is locked as on Kubernetes: its one client listener takes
 * SCRAM-SHA-512 over TLS (a certificate for 127.0.0.1 from its own CA), ACLs are enforced (StandardAuthorizer),
 * and only its own `admin` user is a super user; the controller listener takes mutual TLS with the broker's own
 * certificate. The users exist from the start (`--add-scram` at format); grant() gives them their ACLs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import {
  KAFKA_SASL_MECHANISM,
  type KafkaConnection,
  scramJaasConfig,
  type TopicSpec,
} from '../config/index.ts';
import { kafkaJmxExporterYaml } from '../config/kafka-metrics.ts';
import { logger } from '../log.ts';
import type { KafkaAcl } from '../pipeline/kafka-access.ts';
import { CertificateAuthority } from './certificates.ts';
import { javaBinary, PROJECT_ROOT, resolveJars } from './maven.ts';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const KAFKA_POM = join(PROJECT_ROOT, 'src/local/kafka.pom.xml');
/** The Prometheus JMX exporter's agent jar, for the broker's metrics (the rules: src/config/kafka-metrics.ts). */
const JMX_EXPORTER_POM = join(PROJECT_ROOT, 'src/local/jmx-exporter.pom.xml');
const JMX_EXPORTER_CONFIG = 'jmx-exporter.yaml';
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
  /** SCRAM-SHA-512 over TLS with ACLs, and these users (name -> password, alphanumeric) besides `admin`. */
  scramUsers?: Record<string, string>;
}

/** The broker's super user on a secured broker: the stack's own admin client, and inter-broker traffic. */
const ADMIN_USER = 'admin';
const BROKER_SUBJECT = 'CN=tradestream-local-broker';

/** What a client needs to reach a secured broker: the CA to verify it, and each user's password. */
interface Security {
  caFile: string;
  passwords: Record<string, string>;
}

/** The server.properties of a secured broker, its certificates made in `dir`. */
function securedListeners(
  dir: string,
  port: number,
  controllerPort: number,
  adminPassword: string,
): Record<string, string> {
  const ca = CertificateAuthority.create(dir, 'tradestream-local-kafka-ca');
  const broker = ca.issue('broker', `/${BROKER_SUBJECT}`, [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    // Server on both listeners, and client of its own controller listener.
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  // Kafka's PEM key store: the private key (PKCS#8) and the certificate chain in one file.
  const keyStore = join(dir, 'broker.pem');
  writeFileSync(keyStore, readFileSync(broker.key, 'utf8') + readFileSync(broker.certificate, 'utf8'), {
    mode: 0o600,
  });
  return {
    listeners: `CLIENT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `CLIENT://127.0.0.1:${port}`,
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,CONTROLLER:SSL',
    'inter.broker.listener.name': 'CLIENT',
    'sasl.enabled.mechanisms': KAFKA_SASL_MECHANISM,
    'sasl.mechanism.inter.broker.protocol': KAFKA_SASL_MECHANISM,
    'listener.name.client.scram-sha-512.sasl.jaas.config': scramJaasConfig(ADMIN_USER, adminPassword),
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': keyStore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': ca.certificate,
    'listener.name.controller.ssl.client.auth': 'required',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': `User:${ADMIN_USER};User:${BROKER_SUBJECT}`,
  };
}

export class LocalKafka {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** The JMX exporter's HTTP port on 127.0.0.1 (kept across restarts). */
    readonly metricsPort: number,
    private readonly classpath: string,
    private readonly agentJar: string,
    private readonly options: LocalKafkaOptions,
    /** Set on a secured broker. */
    private readonly security?: Security,
  ) {}

  /** Resolves the jars (first run: from Maven Central), formats storage and starts the broker. */
  static async start(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
    const [jars, agent] = await Promise.all([resolveJars(KAFKA_POM), resolveJars(JMX_EXPORTER_POM)]);
    const agentJar = agent.find((j) => /jmx_prometheus_javaagent-[^/]*\.jar$/.test(j));
    if (!agentJar) throw new Error(`${JMX_EXPORTER_POM} resolved no jmx_prometheus_javaagent jar`);
    const dir = await mkdtemp(join(tmpdir(), 'tradestream-kafka-'));
    const [port, controllerPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    let security: Security | undefined;
    let listeners: Record<string, string> = {
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    };
    if (options.scramUsers) {
      const passwords = { ...options.scramUsers, [ADMIN_USER]: randomBytes(24).toString('hex') };
      const tlsDir = join(dir, 'tls');
      await mkdir(tlsDir, { mode: 0o700 });
      listeners = securedListeners(tlsDir, port, controllerPort, passwords[ADMIN_USER] as string);
      security = { caFile: join(tlsDir, 'ca.crt'), passwords };
    }
    const properties = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      ...listeners,
      'controller.listener.names': 'CONTROLLER',
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
    await writeFile(join(dir, JMX_EXPORTER_CONFIG), kafkaJmxExporterYaml());
    const kafka = new LocalKafka(dir, port, metricsPort, jars.join(':'), agentJar, options, security);
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
      ...Object.entries(security?.passwords ?? {}).flatMap(([name, password]) => [
        '--add-scram',
        `${KAFKA_SASL_MECHANISM}=[name=${name},password=${password}]`,
      ]),
    ]);
    await kafka.startServer();
    return kafka;
  }

  /** `127.0.0.1:<port>`, for clients. */
  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The broker's Prometheus metrics (the JMX exporter agent, same rules as Strimzi's ConfigMap). */
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  /** The CA certificate (PEM) that verifies a secured broker; undefined when plaintext. */
  get caFile(): string | undefined {
    return this.security?.caFile;
  }

  /** A user's password on a secured broker. */
  password(user: string): string {
    const password = this.security?.passwords[user];
    if (!password) throw new Error(`no SCRAM user ${user} on this broker`);
    return password;
  }

  /** kafkajs connection options for `user` (the super user by default); the bare address when plaintext. */
  connection(user = ADMIN_USER): KafkaConnection {
    if (!this.security) return { brokers: [this.bootstrap] };
    return {
      brokers: [this.bootstrap],
      ssl: { ca: [readFileSync(this.security.caFile)] },
      sasl: { mechanism: 'scram-sha-512', username: user, password: this.password(user) },
    };
  }

  /**
   * A Java client's properties file for `user` on a secured broker (mode 0600: it holds the password), for
   * Kafka's own tools (`--command-config`); undefined when plaintext.
   */
  clientPropertiesFile(user = ADMIN_USER): string | undefined {
    if (!this.security) return undefined;
    const path = join(this.dir, `client-${user}.properties`);
    const lines = [
      'security.protocol=SASL_SSL',
      `sasl.mechanism=${KAFKA_SASL_MECHANISM}`,
      `sasl.jaas.config=${scramJaasConfig(user, this.password(user))}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${this.security.caFile}`,
    ];
    writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
    return path;
  }

  /** Allows each user what its ACLs say (a secured broker denies everything else to everyone but admin). */
  async grant(access: Record<string, readonly KafkaAcl[]>): Promise<void> {
    // Through the default export: Node's CommonJS interop does not see these enums as named exports.
    const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
    const type = {
      topic: AclResourceTypes.TOPIC,
      group: AclResourceTypes.GROUP,
      transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
    };
    const operation = { Read: AclOperationTypes.READ, Write: AclOperationTypes.WRITE };
    const acl = Object.entries(access).flatMap(([user, acls]) =>
      acls.flatMap((a) =>
        a.operations.map((op) => ({
          resourceType: type[a.type],
          resourceName: a.name,
          resourcePatternType:
            a.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
          principal: `User:${user}`,
          host: '*',
          operation: operation[op],
          permissionType: AclPermissionTypes.ALLOW,
        })),
      ),
    );
    await this.withAdmin((admin) => admin.createAcls({ acl }));
  }

  private async withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = new Kafka({ ...this.connection(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** The process under which the broker's JVM runs (for its CPU time: ./cpu.ts), while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
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
      [
        // Only on the broker itself, not on the storage tool runs: `[host:]port:config`, loopback only.
        `-javaagent:${this.agentJar}=127.0.0.1:${this.metricsPort}:${join(this.dir, JMX_EXPORTER_CONFIG)}`,
        ...this.jvmArgs(),
        'kafka.Kafka',
        join(this.dir, 'server.properties'),
      ],
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
    await this.withAdmin(async (admin) => {
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
    });
  }

  /** Stops the broker and deletes its data. */
  async stop(): Promise<void> {
    await this.stopServer();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Creates the topics (those that exist are left alone). */
  async createTopics(topics: TopicSpec[]): Promise<void> {
    await this.withAdmin(async (admin) => {
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
    });
  }
}
