/**
 * A real PostgreSQL server from the Debian packages, on a temp data dir and a free loopback port, for the
 * integration tests, the benchmarks and `npm start`. initdb refuses root, so the server runs as the `postgres`
 * user (runuser). The app database and user get a generated password, handed to Flink by environment only; the
 * tables come from the schema migration (src/pipeline/migration.ts), as on Kubernetes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PipelineConfig } from '../config/index.ts';
import { logger } from '../log.ts';
import { migrationSql } from '../pipeline/migration.ts';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const DATABASE = 'tradestream';
const APP_USER = 'app';

/** The newest PostgreSQL under /usr/lib/postgresql (the Debian layout). */
function binDir(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0)
    throw new Error('no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

export interface LocalPostgresOptions {
  /** The config whose tables (profile, window names) the migration creates. */
  config: PipelineConfig;
  /**
   * false turns fsync off: faster, and only for throwaway test data. Commits still reach the OS before they are
   * acknowledged (synchronous_commit stays on), so a SIGKILLed server loses no committed row, as the outage tests
   * need: the job never writes again what PostgreSQL acknowledged before its checkpoint completed.
   */
  durable?: boolean;
}

export class LocalPostgres {
  private child?: ChildProcess;
  private exitPromise?: Promise<number | null>;
  private stopping = false;
  private durable = true;

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** The app user's password: pass it on by environment only, never log it. */
    readonly password: string,
    private readonly bin: string,
  ) {}

  static async start(options: LocalPostgresOptions): Promise<LocalPostgres> {
    const started = Date.now();
    const dir = await mkdtemp(join(tmpdir(), 'tradestream-pg-'));
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
    await chmod(dir, 0o700);
    const db = new LocalPostgres(dir, await freePort(), randomBytes(18).toString('base64url'), binDir());
    await db.asPostgres(join(db.bin, 'initdb'), [
      '-D',
      db.dataDir,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--no-locale',
    ]);
    db.durable = options.durable ?? true;
    await db.startServer();
    await db.createAppDatabase(options.config);
    logger.info({ port: db.port, seconds: (Date.now() - started) / 1000 }, 'local PostgreSQL ready');
    return db;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get user(): string {
    return APP_USER;
  }

  get database(): string {
    return DATABASE;
  }

  /** JDBC URL for the Flink job's `tradestream-postgres` sink (credentials apart, by environment). */
  get jdbcUrl(): string {
    return `jdbc:postgresql://127.0.0.1:${this.port}/${DATABASE}`;
  }

  /** The placeholders of the generated SQL that point at this database. */
  get sqlEnv(): Record<string, string> {
    return { PG_JDBC_URL: this.jdbcUrl, PG_USER: APP_USER, PG_PASSWORD: this.password };
  }

  /** The process under which the server (postmaster and backends) runs (for its CPU time: ./cpu.ts), while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code when the server stops for any reason. */
  get exited(): Promise<number | null> {
    return this.exitPromise ?? Promise.resolve(null);
  }

  /** A connected client as the app user; the caller ends it. */
  async client(): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      database: DATABASE,
      user: APP_USER,
      password: this.password,
    });
    await client.connect();
    return client;
  }

  /** A connected client as the superuser, over the socket in the data directory; the caller ends it. */
  async superuserClient(database = DATABASE): Promise<pg.Client> {
    const client = new pg.Client({ host: this.dir, port: this.port, user: 'postgres', database });
    await client.connect();
    return client;
  }

  private async asPostgres(command: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: this.dir });
      return stdout;
    } catch (error) {
      const { stderr = '' } = error as { stderr?: string };
      throw new Error(
        `${command.split('/').at(-1)} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
  }

  private async startServer(): Promise<void> {
    const durable = this.durable;
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(this.port),
      unix_socket_directories: this.dir,
      max_connections: '100',
      shared_buffers: '256MB',
      ...(durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
    };
    const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    const child = spawn(
      'runuser',
      ['-u', 'postgres', '--', join(this.bin, 'postgres'), '-D', this.dataDir, ...args],
      {
        cwd: this.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.exitPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const log = createWriteStream(join(this.dir, 'server.log'), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.exitPromise.then((code) => {
      if (!this.stopping)
        logger.error({ code, log: join(this.dir, 'server.log') }, 'PostgreSQL exited unexpectedly');
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!this.running)
        throw new Error(`PostgreSQL exited before it served; see ${join(this.dir, 'server.log')}`);
      const ready = await run(join(this.bin, 'pg_isready'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
      ]).then(
        () => true,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error('PostgreSQL did not get ready within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async createAppDatabase(config: PipelineConfig): Promise<void> {
    const admin = await this.superuserClient('postgres');
    try {
      // The password goes in as a literal escaped by the driver's quoting; the statement is never logged.
      await admin.query(`CREATE ROLE ${APP_USER} LOGIN PASSWORD ${admin.escapeLiteral(this.password)}`);
      await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${APP_USER}`);
    } finally {
      await admin.end();
    }
    // The same migration as on Kubernetes; one query string is one transaction.
    const app = await this.client();
    try {
      await app.query(migrationSql(config, APP_USER));
    } finally {
      await app.end();
    }
  }

  /** Fast shutdown (SIGINT to the postmaster), SIGKILL after the timeout; keeps the data dir. */
  async stopServer(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    await this.asPostgres(join(this.bin, 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'fast', '-w']).catch(
      () => {
        this.child?.kill('SIGKILL');
      },
    );
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /**
   * SIGKILLs the postmaster, as a crash would (no shutdown checkpoint; its backends exit when they notice).
   * Keeps the data dir: restart() recovers from the WAL.
   */
  async kill(): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    const pid = Number((await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await this.exitPromise;
  }

  /** Starts the server again on the same port and data, after kill() or stopServer(). */
  async restart(): Promise<void> {
    this.stopping = false;
    // The killed server's backends may hold its shared memory for a moment: retry until they are gone.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startServer();
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Stops the server and deletes its data dir. */
  async stop(): Promise<void> {
    await this.stopServer();
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid), gid: Number(gid) };
}
