/**
 * The producer command as a process (`src/producer/main.ts`), as the local stack and the pod run it: probes and
 * metrics while it runs, SIGTERM drains everything generated into Kafka, an unreachable broker is retried.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allTopics, loadConfig, tradeTopics } from '../src/config/index.ts';
import { LocalKafka } from '../src/local/kafka.ts';
import { freePort } from '../src/local/ports.ts';
import { checkExactlyOnce, readTopics } from './producer-helpers.ts';

const MAIN = fileURLToPath(new URL('../src/producer/main.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  /** Resolves with the first log line whose msg matches. */
  waitFor: (msg: RegExp) => Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function startMain(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { msg: RegExp; resolve: (l: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.msg.test(String(line.msg))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  // 'close', not 'exit': only then has every line the process wrote been read.
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const waitFor = (msg: RegExp) => {
    const seen = lines.find((l) => msg.test(String(l.msg)));
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ msg, resolve });
      exit.then((code) => reject(new Error(`producer exited (${code}) before logging ${msg}`)));
    });
  };
  return { child, lines, waitFor, exit };
}

const metric = (text: string, name: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);

describe('producer process', { timeout: 240_000 }, () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await LocalKafka.start({ heap: '512m' });
  });
  after(async () => kafka?.stop());

  it('serves probes and metrics; SIGTERM mid-run: every trade generated before the signal is in Kafka', async () => {
    const env = { KAFKA_TRADE_TOPIC_PREFIX: 'sigterm', KAFKA_TRADE_TOPIC_COUNT: '3', LOG_LEVEL: 'info' };
    const config = loadConfig({ env });
    await kafka.createTopics(allTopics(config));
    const run = startMain(
      [
        '--brokers',
        kafka.bootstrap,
        '--mode',
        'replay',
        '--rate',
        '20000',
        '--instance-id',
        'sig',
        '--metrics-port',
        '0',
      ],
      env,
    );
    try {
      const { port } = await run.waitFor(/serving \/metrics/);
      await run.waitFor(/connected to Kafka/);
      const base = `http://127.0.0.1:${port}`;
      let sent = 0;
      while (sent < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        sent = metric(await (await fetch(`${base}/metrics`)).text(), 'tradestream_producer_records_total{');
      }
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const name of [
        'tradestream_producer_bytes_total{topic="sigterm-00"}',
        'tradestream_producer_send_duration_seconds_bucket',
        'tradestream_producer_batch_records_bucket',
        'tradestream_producer_rate',
        'tradestream_producer_errors_total',
        'tradestream_producer_in_flight_requests',
        'tradestream_producer_process_resident_memory_bytes',
      ]) {
        assert.ok(text.includes(name), `metrics lack ${name}`);
      }
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
    const summary = run.lines.at(-1) as { msg: string; generated: number; sent: number; instanceId: string };
    assert.match(summary.msg, /^summary: /);
    assert.ok(summary.generated > 20_000);
    assert.equal(summary.sent, summary.generated);
    checkExactlyOnce(await readTopics(kafka.bootstrap, tradeTopics(config)), 'sig', summary.generated);
  });

  it('retries an unreachable broker with backoff and says so; SIGTERM still ends it cleanly', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const run = startMain(['--brokers', nobody, '--metrics-port', '0'], { LOG_LEVEL: 'info' });
    try {
      const first = await run.waitFor(/Kafka not ready/);
      assert.deepEqual(first.brokers, [nobody]);
      const { port } = await run.waitFor(/serving \/metrics/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
    } finally {
      run.child.kill('SIGKILL');
    }
    const summary = run.lines.at(-1) as { msg: string; generated: number };
    assert.match(summary.msg, /^summary: 0 trades generated/);
  });
});
