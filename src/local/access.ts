/**
 * How to reach the stack `npm start` runs: a small state file in a per-user directory (`$TRADESTREAM_STATE_DIR`,
 * else `$XDG_RUNTIME_DIR/tradestream`, else `~/.cache/tradestream`), read by `npm run psql` and `npm run alerts`.
 * The PostgreSQL password lives beside it in a pgpass file (mode 0600, for psql's PGPASSFILE), and on a
 * sasl_ssl stack the Kafka viewer's password in another (0600), never in the state file, a log line or the banner.
 */
import { accessSync, constants, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { type KafkaConnection, kafkaConnection } from '../config/index.ts';
import { logger } from '../log.ts';
import { VIEWER_GROUP_PREFIX } from '../pipeline/kafka-access.ts';

export const NO_STACK = 'no local stack running (start one with npm start)';

/** A user-facing failure of an access command: one line on stderr and exit code 2. */
export class AccessError extends Error {
  override name = 'AccessError';
}

export interface LocalStackState {
  /** The `npm start` process: the state is stale once it is gone. */
  pid: number;
  startedAt: string;
  profile: string;
  kafka: {
    bootstrap: string;
    tradeTopics: string[];
    alertsTopic: string;
    deadLetterTopic: string;
    /** `java -cp` value with Kafka's own tools (its console consumer), when the jars are cached. */
    toolsClasspath?: string;
    /** On a sasl_ssl stack: how the readers get in, as the viewer user. */
    viewer?: KafkaViewer & { passwordFile: string };
  };
  postgres: PostgresAddress & { passwordFile: string };
  flink: { webUrl: string };
  /** The live dashboard page (./dashboard/), when it started. */
  dashboard?: { url: string };
}

export interface PostgresAddress {
  host: string;
  port: number;
  database: string;
  user: string;
}

export interface KafkaViewer {
  caFile: string;
  username: string;
  /** A Java client's properties for the viewer (mode 0600), for Kafka's console consumer. */
  clientProperties: string;
}

/** The state as `npm start` knows it; writeState adds where the passwords are. */
export type StackFacts = Omit<LocalStackState, 'postgres' | 'kafka'> & {
  postgres: PostgresAddress;
  kafka: Omit<LocalStackState['kafka'], 'viewer'> & { viewer?: KafkaViewer };
};

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRADESTREAM_STATE_DIR) return env.TRADESTREAM_STATE_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'tradestream');
  return join(homedir(), '.cache', 'tradestream');
}

export const stateFile = (dir = stateDir()) => join(dir, 'local-stack.json');
export const passwordFile = (dir = stateDir()) => join(dir, 'local-stack.pgpass');
export const kafkaPasswordFile = (dir = stateDir()) => join(dir, 'local-stack.kafka-password');

/** One pgpass line (host:port:database:user:password), with `:` and `\` escaped as the format requires. */
export function pgpassLine(postgres: PostgresAddress, password: string): string {
  const field = (v: string | number) => String(v).replace(/[\\:]/g, (c) => `\\${c}`);
  return `${[postgres.host, postgres.port, postgres.database, postgres.user, password].map(field).join(':')}\n`;
}

/** Writes a new file, then renames it into place, so a reader never sees half of it. */
async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  rmSync(partial, { force: true });
  await writeFile(partial, text, { mode, flag: 'wx' });
  await rename(partial, path);
}

function readState(dir: string): LocalStackState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as LocalStackState;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Publishes the running stack; the live state of another `npm start` is replaced (this one is the newest). */
export async function writeState(
  facts: StackFacts,
  passwords: { postgres: string; kafkaViewer?: string },
  dir = stateDir(),
): Promise<LocalStackState> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const previous = readState(dir);
  if (previous && previous.pid !== facts.pid && pidAlive(previous.pid))
    logger.warn(
      { pid: previous.pid },
      'another local stack is running; npm run psql and npm run alerts now reach this one',
    );
  const { viewer, ...kafka } = facts.kafka;
  const state: LocalStackState = {
    ...facts,
    kafka: { ...kafka, ...(viewer ? { viewer: { ...viewer, passwordFile: kafkaPasswordFile(dir) } } : {}) },
    postgres: { ...facts.postgres, passwordFile: passwordFile(dir) },
  };
  await replaceFile(passwordFile(dir), pgpassLine(state.postgres, passwords.postgres), 0o600);
  if (viewer) {
    if (!passwords.kafkaViewer) throw new Error('a sasl_ssl stack needs the Kafka viewer password');
    await replaceFile(kafkaPasswordFile(dir), passwords.kafkaViewer, 0o600);
  }
  await replaceFile(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  return state;
}

/** Removes the state and password files if they are `pid`'s (synchronous, so it can run on 'exit'). */
export function removeState(pid = process.pid, dir = stateDir()): void {
  const state = readState(dir);
  if (state?.pid !== pid) return;
  rmSync(passwordFile(dir), { force: true });
  rmSync(kafkaPasswordFile(dir), { force: true });
  rmSync(stateFile(dir), { force: true });
}

/** The running stack's state; AccessError(NO_STACK) when there is none or its `npm start` is gone. */
export function runningState(dir = stateDir()): LocalStackState {
  const state = readState(dir);
  if (!state || typeof state.pid !== 'number' || !pidAlive(state.pid)) throw new AccessError(NO_STACK);
  return state;
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** psql on the PATH, else the newest under /usr/lib/postgresql/<version>/bin (Debian's postgresql-client). */
export function findPsql(
  path = process.env.PATH ?? '',
  debianRoot = '/usr/lib/postgresql',
): string | undefined {
  const onPath = path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'psql'))
    .find(isExecutable);
  if (onPath) return onPath;
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot).filter((v) => /^\d+$/.test(v));
  } catch {
    // no Debian PostgreSQL tree
  }
  return versions
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(debianRoot, v, 'bin', 'psql'))
    .find(isExecutable);
}

/** A shell word: as is when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** How a reader reaches the stack's broker: plaintext, or as the viewer user over TLS. */
export function stackKafkaConnection(state: LocalStackState): KafkaConnection {
  const { bootstrap, viewer } = state.kafka;
  if (!viewer) return { brokers: [bootstrap] };
  return kafkaConnection(
    { brokers: [bootstrap], securityProtocol: 'sasl_ssl', caFile: viewer.caFile, username: viewer.username },
    { KAFKA_PASSWORD: readFileSync(viewer.passwordFile, 'utf8') },
  );
}

/** Kafka's console consumer on a topic, from the beginning, as one command line. */
export function consoleConsumerCommand(
  state: LocalStackState,
  topic: string,
  java = 'java',
): string | undefined {
  const { toolsClasspath, bootstrap, viewer } = state.kafka;
  if (!toolsClasspath) return undefined;
  // As the viewer: a group of its own that commits nothing, so every run starts from the beginning.
  const secured = viewer
    ? [
        '--command-config',
        shellWord(viewer.clientProperties),
        '--group',
        `${VIEWER_GROUP_PREFIX}console`,
        '--command-property',
        'enable.auto.commit=false',
      ]
    : [];
  return [
    shellWord(java),
    '-cp',
    shellWord(toolsClasspath),
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    shellWord(topic),
    '--from-beginning',
    ...secured,
  ].join(' ');
}

function topicList(topics: string[]): string {
  return topics.length > 2 ? `${topics[0]}..${topics.at(-1)}` : topics.join(', ');
}

/** What `npm start` prints on how to look at the data: commands and plain connection facts, no secret. */
export function accessBanner(state: LocalStackState, dir = stateDir(), java = 'java'): string {
  const { kafka, postgres } = state;
  const consoleConsumer = consoleConsumerCommand(state, kafka.alertsTopic, java);
  return [
    `Look at the data (how to reach this stack: ${stateFile(dir)}):`,
    '  npm run psql            psql on the database; npm run psql -- -c "SELECT ..." runs one statement',
    `  npm run alerts          topic ${kafka.alertsTopic} from the beginning, one JSON alert per line (--no-follow: stop at the end)`,
    `  npm run dead-letters    topic ${kafka.deadLetterTopic}: refused records with their reason (--no-follow too)`,
    `  PostgreSQL  host ${postgres.host} port ${postgres.port} database ${postgres.database} user ${postgres.user}, ` +
      `password in ${postgres.passwordFile} (pgpass format: PGPASSFILE=${shellWord(postgres.passwordFile)} psql ...)`,
    `  Kafka       bootstrap ${kafka.bootstrap}; topics ${topicList(kafka.tradeTopics)}, ${kafka.alertsTopic}, ${kafka.deadLetterTopic}`,
    ...(kafka.viewer
      ? [
          `              SCRAM-SHA-512 over TLS (CA ${kafka.viewer.caFile}); read as ${kafka.viewer.username}, ` +
            `password in ${kafka.viewer.passwordFile}, Java client properties in ${kafka.viewer.clientProperties}`,
        ]
      : []),
    ...(consoleConsumer ? [`  Kafka's console consumer: ${consoleConsumer}`] : []),
  ].join('\n');
}

/** A dead letter as one JSON line: its headers, and its payload as text (base64 when not valid UTF-8). */
export function deadLetterLine(message: Pick<KafkaMessage, 'headers' | 'value'>): string {
  const headers = Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.join(',') : v?.toString(),
    ]),
  );
  const { value } = message;
  const text = value?.toString('utf8');
  const payload =
    value === null || text === undefined
      ? { payload: null }
      : Buffer.from(text, 'utf8').equals(value)
        ? { payload: text }
        : { payload_base64: value.toString('base64') };
  return JSON.stringify({ ...headers, ...payload });
}

/** Runs an access command's main: an AccessError ends it with one line on stderr and exit code 2. */
export async function runAccessCommand(main: () => Promise<number | undefined>): Promise<void> {
  try {
    // Exit at once: a closed Kafka client may leave timers behind. (stdout is synchronous on Linux.)
    process.exit((await main()) ?? 0);
  } catch (error) {
    if (error instanceof AccessError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.error({ error: String(error) }, 'failed');
    process.exit(1);
  }
}
