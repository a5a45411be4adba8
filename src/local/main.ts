/**
 * `npm start`: the whole pipeline on this machine: a Kafka broker, PostgreSQL, the Flink SQL job and the
 * producer, with a live progress line and a live dashboard page (./dashboard/) on a loopback port it prints. Ctrl-C (or SIGTERM) stops everything and prints a summary; if a
 * component dies, the others are stopped and the one that died is named with the end of its log.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadConfig, runMain } from '../config/index.ts';
import { logger } from '../log.ts';
import { accessBanner, removeState, writeState } from './access.ts';
import { type Dashboard, startDashboard } from './dashboard/server.ts';
import { javaBinary } from './maven.ts';
import { type JobStatus, LocalStack, type StackCounts } from './stack.ts';

const program = new Command('start')
  .description('run Kafka, PostgreSQL, the Flink job and the producer locally until Ctrl-C')
  .option('--profile <name>', 'schema profile (narrow or wide)')
  .option('--rate <trades/s>', 'producer rate')
  .option('--delivery <guarantee>', 'alerts delivery guarantee (at-least-once or exactly-once)')
  .option('--duration <seconds>', 'stop by itself after this many seconds')
  .parse();
const flags = program.opts<{ profile?: string; rate?: string; delivery?: string; duration?: string }>();

/** How long a clean stop waits for the job to store the producer's last trades. */
const DRAIN_TIMEOUT_MS = 30_000;

const tail = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .trim()
    .split('\n')
    .slice(-5)
    .map((l) => `    ${l.slice(0, 300)}`)
    .join('\n');

function progressLine(c: StackCounts, perSecond: number): string {
  return (
    `trades produced ${c.produced.toLocaleString('en-US')} (${Math.round(perSecond).toLocaleString('en-US')}/s)` +
    ` | stored ${c.storedTrades.toLocaleString('en-US')} | alerts ${c.alerts.toLocaleString('en-US')}` +
    ` | dead letters ${c.deadLetters} | windows closed ${c.windows.toLocaleString('en-US')}` +
    ` | late ${c.lateTrades}`
  );
}

/** The job's part of the progress line: checkpoints, and anything but a healthy RUNNING, with why. */
function jobPart(job: JobStatus, checkpoints: number): string {
  const restarts = job.restarts + job.recoveries;
  const trouble =
    job.state !== 'RUNNING' ? ` | job ${job.state}: ${job.lastFailure ?? 'no failure recorded'}` : '';
  return ` | checkpoints ${checkpoints}${restarts > 0 ? ` | job restarts ${restarts}` : ''}${trouble}`;
}

/** Publishes how to reach the stack (npm run psql, npm run alerts) and returns the banner saying so. */
async function publishAccess(stack: LocalStack, dashboard?: Dashboard): Promise<string> {
  const { facts, passwords } = await stack.accessFacts();
  const state = await writeState(
    { ...facts, ...(dashboard ? { dashboard: { url: dashboard.url } } : {}) },
    passwords,
  );
  // Whatever ends this process, the state must not outlive it (removeState is synchronous).
  process.once('exit', () => removeState());
  return accessBanner(state, undefined, javaBinary());
}

await runMain(async () => {
  const config = loadConfig({
    overrides: {
      profile: flags.profile as never,
      producer: { rate: flags.rate as never },
      flink: { deliveryGuarantee: flags.delivery as never },
    },
  });
  const runDir = await mkdtemp(join(tmpdir(), 'tradestream-run-'));
  const started = Date.now();
  process.stderr.write(`starting Kafka, PostgreSQL and the Flink job (profile ${config.profile})...\n`);
  const stack = await LocalStack.start(config);
  const producerLog = join(runDir, 'producer.log');
  const producing = Date.now();
  const producer = stack.spawnProducer();
  const producerOut = createWriteStream(producerLog);
  producer.stdout?.pipe(producerOut);
  producer.stderr?.pipe(producerOut);
  process.stderr.write(
    `Flink Web UI: ${stack.flink?.webUrl}  metrics: ${stack.flink?.metricsUrl}  (logs: ${stack.flink?.dir}, producer: ${producerLog})\n` +
      `Kafka metrics: ${stack.kafka.metricsUrl}\n`,
  );
  const dashboard: Dashboard | undefined = await startDashboard(stack).catch((error) => {
    logger.warn({ error: String(error) }, 'could not start the live dashboard');
    return undefined;
  });
  const access = await publishAccess(stack, dashboard).catch((error) => {
    logger.warn({ error: String(error) }, 'could not write the local stack state file');
    return 'npm run psql and npm run alerts cannot find this stack (no state file)';
  });
  process.stderr.write(`${access}\n`);
  if (dashboard) process.stderr.write(`Live dashboard: ${dashboard.url}\n`);
  process.stderr.write('Ctrl-C stops everything.\n');

  let stopReason: string | undefined;
  let exitCode = 0;
  const stop = (reason: string, code = 0) => {
    stopReason ??= reason;
    if (code !== 0) exitCode = code;
  };
  process.once('SIGINT', () => stop('interrupted (SIGINT)'));
  process.once('SIGTERM', () => stop('terminated (SIGTERM)'));
  if (flags.duration)
    setTimeout(() => stop(`ran for ${flags.duration} s`), Number(flags.duration) * 1000).unref();

  let last: StackCounts | undefined;
  let lastAt = Date.now();
  let producerExit: number | null | undefined;
  producer.once('exit', (code) => {
    producerExit = code;
  });
  const tty = process.stderr.isTTY;
  while (!stopReason) {
    await new Promise((r) => setTimeout(r, 1_000));
    // A component that died ends the run: say which, and show the end of its log.
    // (The stack itself replaces a Flink job whose JVM or TaskExecutor died; the line below says so.)
    if (!stack.kafka.running) stop(`Kafka broker died (log: ${join(stack.kafka.dir, 'broker.log')})`, 1);
    else if (!stack.postgres.running)
      stop(`PostgreSQL died\n${await tail(join(stack.postgres.dir, 'server.log'))}`, 1);
    else if (producerExit !== undefined)
      stop(`the producer exited with code ${producerExit}\n${await tail(producerLog)}`, 1);
    if (stopReason) break;
    try {
      const counts = await stack.counts();
      const now = Date.now();
      const rate = last ? ((counts.produced - last.produced) * 1000) / (now - lastAt) : 0;
      const checkpoints = (await stack.flink?.completedCheckpoints().catch(() => 0)) ?? 0;
      const line = progressLine(counts, rate) + jobPart(stack.job, checkpoints);
      process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = counts;
      lastAt = now;
    } catch (error) {
      logger.debug({ error: String(error) }, 'progress read failed');
    }
  }
  if (tty) process.stderr.write('\n');
  process.stderr.write(`stopping: ${stopReason}\n`);
  if (producerExit === undefined) {
    producer.kill('SIGTERM');
    await new Promise((r) => {
      const timer = setTimeout(() => producer.kill('SIGKILL'), 15_000);
      producer.once('exit', () => r(clearTimeout(timer)));
    });
  }
  // On a clean stop, let the job store what the producer flushed last, so the summary adds up.
  let final = await stack.counts().catch(() => last);
  const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
  while (
    exitCode === 0 &&
    final &&
    final.storedTrades + final.deadLetters < final.produced &&
    Date.now() < drainUntil
  ) {
    process.stderr.write(
      `waiting for the job to store the last ${final.produced - final.storedTrades - final.deadLetters} trades\n`,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    final = await stack.counts().catch(() => final);
  }
  removeState();
  await dashboard?.close();
  await stack.stop();
  const seconds = (Date.now() - started) / 1000;
  const average = final ? final.produced / ((Date.now() - producing) / 1000) : 0;
  process.stderr.write(
    `summary after ${seconds.toFixed(0)} s: ${final ? progressLine(final, average) : 'no figures'}\n` +
      `everything stopped; producer log kept at ${producerLog}\n`,
  );
  process.exit(exitCode);
});
