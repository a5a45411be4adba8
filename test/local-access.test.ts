/**
 * `npm start` as a user runs it, then the seed's two steps as a user types them: the trades in psql
 * (`npm run psql`) and the high-volume alerts from the beginning (`npm run alerts`). Neither the banner, nor
 * any line npm start prints, nor the state file holds the PostgreSQL password.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { type LocalStackState, NO_STACK, passwordFile, stateFile } from '../src/local/access.ts';
import { PROJECT_ROOT } from '../src/local/maven.ts';
import { until } from './pipeline-helpers.ts';

const SEED_QUERY = 'SELECT trade_id, ticker, price, volume, trade_timestamp FROM stock_trades LIMIT 10;';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is a result, not an error. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, {
      cwd: PROJECT_ROOT,
      env,
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw error;
    return { code, stdout, stderr };
  }
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('npm start, looked at with npm run psql and npm run alerts', { timeout: 900_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let start: ChildProcess;
  let exited: Promise<number | null>;
  let output = '';
  let state: LocalStackState;
  let password: string;
  const npm = (...args: string[]) => run('npm', args, env);

  /** Records in a topic, as the stack counts them (its progress line and summary). */
  async function topicCount(topic: string): Promise<number> {
    const admin = new Kafka({ brokers: [state.kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tradestream-access-'));
    // A small, light stack (two shared cores): few tickers and topics, frequent checkpoints.
    env = {
      ...process.env,
      TRADESTREAM_STATE_DIR: dir,
      PRODUCER_RATE: '200',
      PRODUCER_METRICS_PORT: '0',
      MARKET_TICKER_COUNT: '25',
      KAFKA_TRADE_TOPIC_COUNT: '2',
      KAFKA_PARTITIONS_PER_TOPIC: '2',
      FLINK_CHECKPOINT_INTERVAL_MS: '2000',
    };
    start = spawn('npm', ['start', '--', '--duration', '840'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so that a failed run can be cleaned up whole
    });
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    start.stdout?.on('data', collect);
    start.stderr?.on('data', collect);
    exited = once(start, 'exit').then(([code]) => code as number | null);
    await until(
      'the banner of npm start',
      async () => {
        if (start.exitCode !== null) throw new Error(`npm start exited early:\n${output.slice(-3000)}`);
        return output.includes('Ctrl-C stops everything.');
      },
      600_000,
    );
    state = JSON.parse(await readFile(stateFile(dir), 'utf8')) as LocalStackState;
    password = (await readFile(state.postgres.passwordFile, 'utf8')).trim().split(':').at(-1) ?? '';
    assert.ok(password.length >= 16, 'the pgpass file ends with the password');
  });

  after(async () => {
    if (start && start.exitCode === null) {
      if (state) process.kill(state.pid, 'SIGINT');
      const timer = setTimeout(() => start.pid && process.kill(-start.pid, 'SIGKILL'), 90_000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints how to connect, writes the same in the state file, and the password in a 0600 file only', async () => {
    const { postgres, kafka } = state;
    assert.deepEqual(
      { ...postgres, port: 0 },
      { host: '127.0.0.1', port: 0, database: 'tradestream', user: 'app', passwordFile: passwordFile(dir) },
    );
    for (const part of [
      'npm run psql',
      'npm run alerts',
      'npm run dead-letters',
      `host 127.0.0.1 port ${postgres.port} database tradestream user app, password in ${passwordFile(dir)}`,
      `bootstrap ${kafka.bootstrap}; topics trades-00, trades-01, alerts, trades-dlq`,
      state.flink.webUrl,
    ])
      assert.ok(output.includes(part), `banner has: ${part}`);
    assert.equal(statSync(passwordFile(dir)).mode & 0o777, 0o600);
    assert.ok(!(await readFile(stateFile(dir), 'utf8')).includes(password), 'no password in the state file');
    assert.ok(!output.includes(password), 'no password in what npm start printed');
  });

  it('prints the live dashboard address, writes it in the state file, and serves the page there', async () => {
    const url = state.dashboard?.url;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(output.includes(`Live dashboard: ${url}`), 'npm start prints the address');
    const page = await fetch(url as string);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>tradestream: live local dashboard<\/title>/);
  });

  it('npm run psql -- -c runs the seed query verbatim: 10 trades', async () => {
    await until('10 trades stored', async () => {
      const count = await npm('run', '-s', 'psql', '--', '-tAc', 'SELECT count(*) FROM stock_trades');
      return count.code === 0 && Number(count.stdout.trim()) >= 10;
    });
    const { code, stdout, stderr } = await npm('run', 'psql', '--', '-c', SEED_QUERY);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^\s*trade_id\s*\|\s*ticker\s*\|\s*price\s*\|\s*volume\s*\|\s*trade_timestamp\s*$/m);
    assert.match(stdout, /^\(10 rows\)$/m);
    const rows = stdout.split('\n').filter((l) => l.split('|').length === 5 && !l.includes('trade_id'));
    assert.equal(rows.length, 10);
  });

  it('npm run alerts -- --no-follow prints the alerts the stack counted, one JSON line each', async () => {
    await until('an alert', async () => (await topicCount(state.kafka.alertsTopic)) > 0, 300_000);
    const countedBefore = await topicCount(state.kafka.alertsTopic);
    const { code, stdout, stderr } = await npm('run', 'alerts', '--', '--no-follow');
    const countedAfter = await topicCount(state.kafka.alertsTopic);
    assert.equal(code, 0, stderr);
    const alerts = jsonLines(stdout);
    // New alerts keep coming: it prints every one there was when it started, and only those.
    assert.ok(
      alerts.length >= countedBefore && alerts.length <= countedAfter,
      `${alerts.length} printed, ${countedBefore}..${countedAfter} counted`,
    );
    assert.match(stderr, new RegExp(`^${alerts.length} records from topic alerts$`, 'm'));
    for (const alert of alerts) {
      assert.equal(typeof alert.trade_id, 'string');
      assert.equal(typeof alert.ticker, 'string');
      assert.equal(typeof alert.volume, 'number');
      assert.match(String(alert.rule), /^volume_/);
    }
    assert.equal(new Set(alerts.map((a) => `${a.trade_id}/${a.rule}`)).size, alerts.length);
  });

  it('npm run dead-letters shows a refused record with its reason', async () => {
    const producer = new Kafka({ brokers: [state.kafka.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'trades-00', messages: [{ key: 'x', value: '{"not":"a trade"}' }] });
    await producer.disconnect();
    let deadLetters: Record<string, unknown>[] = [];
    await until('the dead letter', async () => {
      deadLetters = jsonLines((await npm('run', '-s', 'dead-letters', '--', '--no-follow')).stdout);
      return deadLetters.length > 0;
    });
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]?.payload, '{"not":"a trade"}');
    assert.equal(deadLetters[0]?.source_topic, 'trades-00');
    assert.ok(String(deadLetters[0]?.reason).length > 0);
  });

  it("the banner's Kafka console consumer command prints the alerts", async () => {
    const command = /Kafka's console consumer: (.+)$/m.exec(output)?.[1];
    assert.ok(command, 'banner has the console consumer command');
    const { code, stdout, stderr } = await run(
      'sh',
      ['-c', `${command} --max-messages 2 --timeout-ms 30000`],
      env,
    );
    assert.equal(code, 0, stderr);
    const alerts = jsonLines(stdout);
    assert.equal(alerts.length, 2);
    assert.match(String(alerts[0]?.rule), /^volume_/);
  });

  it('a clean stop removes the state; then, and with a stale state file, the commands exit 2', async () => {
    const stateText = await readFile(stateFile(dir), 'utf8');
    // A follower (npm run alerts, no flag) sees the stack stop and ends by itself.
    const follower = spawn('npm', ['run', '-s', 'alerts'], { cwd: PROJECT_ROOT, env, stdio: 'pipe' });
    let followed = '';
    follower.stdout.on('data', (d: Buffer) => {
      followed += d.toString();
    });
    follower.stderr.on('data', (d: Buffer) => {
      followed += d.toString();
    });
    const followerExit = once(follower, 'exit');
    await until('the follower printing alerts', async () => followed.includes('{"trade_id"'));
    process.kill(state.pid, 'SIGINT'); // Ctrl-C, to npm start's own process
    assert.equal(await exited, 0, output.slice(-3000));
    const timer = setTimeout(() => follower.kill('SIGKILL'), 60_000);
    assert.deepEqual(await followerExit, [0, null], followed.slice(-2000));
    clearTimeout(timer);
    assert.match(followed, /^the local stack stopped$/m);
    assert.ok(!existsSync(stateFile(dir)) && !existsSync(passwordFile(dir)), 'state and password removed');
    assert.ok(!output.includes(password), 'no password in what npm start printed');
    const expectNoStack = async () => {
      for (const command of [['psql', '--', '-c', 'SELECT 1'], ['alerts']]) {
        const { code, stderr } = await npm('run', '-s', ...command);
        assert.equal(code, 2, command.join(' '));
        assert.equal(stderr.trim(), NO_STACK);
      }
    };
    await expectNoStack();
    await writeFile(stateFile(dir), stateText); // as a crashed npm start leaves it
    await expectNoStack();
  });
});
