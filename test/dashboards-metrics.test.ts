/**
 * Every panel query of the Grafana dashboards, run for real on the local stack with trades flowing:
 * - PromQL: Debian's Prometheus scrapes the local producer, Flink job and Kafka broker (the same exporters and
 *   rules as on Kubernetes) and evaluates each query through its HTTP API; each must return series. Queries on
 *   what cannot run on one machine are left out, each source saying why (charts/dashboards/metrics.ts: the
 *   Kafka Exporter, CloudNativePG's exporter, cAdvisor); their names are checked against those projects' sources
 *   there, and CloudNativePG's custom query's SQL runs here instead.
 * - SQL: each query, its Grafana macros and variables filled in as Grafana fills them, as the read-only role the
 *   migration grants, must return rows; a table the migration did not grant stays closed to it.
 * - `npm run status`'s figures: its queries on the same Prometheus.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dashboards } from '../charts/dashboards/index.ts';
import { TICKER_VARIABLE } from '../charts/dashboards/market.ts';
import { METRICS, type MetricSource } from '../charts/dashboards/metrics.ts';
import {
  expandPromql,
  expandSql,
  PROMETHEUS,
  panelQueries,
  variableQueries,
} from '../charts/dashboards/shared.ts';
import { SINK_FRESHNESS_SQL } from '../charts/postgres.ts';
import { freePort } from '../src/local/ports.ts';
import { LocalStack } from '../src/local/stack.ts';
import { DASHBOARD_READER_ROLE, migrationSql } from '../src/pipeline/migration.ts';
import { describeFigures, figureQueries, readFigures } from '../src/status/figures.ts';
import { injectRaw, replayConfig } from './pipeline-helpers.ts';
import { poll } from './poll.ts';

/** Live trades (timestamps now), short windows so that windows close within the test. */
const config = replayConfig({
  market: { seed: 11, tickerCount: 25, lateFraction: 0.01, blockTradeRate: 0.005 },
  producer: { mode: 'live', rate: 150, metricsPort: 0 },
  windows: {
    vwapSeconds: 10,
    slidingSeconds: 20,
    slideSeconds: 10,
    watermarkDelayMs: 5_000,
    idleTimeoutMs: 10_000,
  },
});
const SCRAPE_SECONDS = 2;
/** What Grafana's $__rate_interval would be at this scrape interval (at least four scrapes). */
const RATE_WINDOW = `${4 * SCRAPE_SECONDS * 2}s`;

const built = dashboards(config);
const promQueries = built
  .flatMap((d) => panelQueries(d))
  .filter((q) => q.datasource?.type === PROMETHEUS.type);

/** The sources a query reads that the local stack lacks (empty: it runs here). */
function missingSources(expr: string): MetricSource[] {
  return (Object.values(METRICS) as MetricSource[]).filter(
    (source) => source.local !== true && Object.values(source.names).some((name) => expr.includes(name)),
  );
}

describe('dashboard queries on the local stack', () => {
  let stack: LocalStack;
  let producer: ChildProcess;
  let prometheus: ChildProcess;
  let promDir: string;
  let promUrl: string;

  const query = async (expr: string) =>
    (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as Promise<{
      status: string;
      error?: string;
      data: { result: unknown[] };
    }>;

  before(async () => {
    stack = await LocalStack.start(config, { durable: false, flinkHeap: '1g' });
    const producerPort = await freePort();
    producer = stack.spawnProducer({ PRODUCER_METRICS_PORT: String(producerPort) });
    // Records the job refuses: dead letters.
    await injectRaw(stack, ['this is not JSON', '{"trade_id": "m-1"}']);

    promDir = await mkdtemp(join(tmpdir(), 'tradestream-prometheus-'));
    const target = (url: string) => {
      const { host, pathname } = new URL(url);
      return { metrics_path: pathname, static_configs: [{ targets: [host] }] };
    };
    const scrape = {
      global: { scrape_interval: `${SCRAPE_SECONDS}s`, evaluation_interval: `${SCRAPE_SECONDS}s` },
      scrape_configs: [
        { job_name: 'producer', ...target(`http://127.0.0.1:${producerPort}/metrics`) },
        { job_name: 'flink', ...target(stack.flink?.metricsUrl as string) },
        { job_name: 'kafka', ...target(stack.kafka.metricsUrl) },
      ],
    };
    // JSON is YAML.
    await writeFile(join(promDir, 'prometheus.yml'), JSON.stringify(scrape));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    // Every target up, for a few scrapes.
    await poll(
      'Prometheus scraping the producer, Flink and Kafka five times each',
      async () => {
        const answer = await query(`count_over_time(up[1m]) >= 5 and up == 1`).catch(() => undefined);
        return answer?.status === 'success' && answer.data.result.length === 3 ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
  });

  after(async () => {
    producer?.kill('SIGKILL');
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await stack?.stop();
    if (promDir) await rm(promDir, { recursive: true, force: true });
  });

  it('every PromQL panel query returns series (but those on what cannot run here)', async () => {
    const runnable = promQueries.filter((q) => missingSources(q.expr as string).length === 0);
    const excluded = promQueries.filter((q) => missingSources(q.expr as string).length > 0);
    for (const q of excluded) {
      const why = missingSources(q.expr as string).map((s) => `${s.component}: ${s.local}`);
      process.stdout.write(`# not run here: "${q.panel}" ${q.expr} (${why.join('; ')})\n`);
    }
    // Only the group lag, sink freshness and the two container panels.
    assert.equal(excluded.length, 4);
    assert.ok(runnable.length >= 15);
    // Series appear as the job runs: dead letters, windows, checkpoints.
    for (const q of runnable) {
      const expr = expandPromql(q.expr as string, RATE_WINDOW);
      await poll(
        `series for "${q.panel}": ${expr}`,
        async () => {
          const answer = await query(expr);
          assert.equal(answer.status, 'success', `${q.panel}: ${answer.error}`);
          return answer.data.result.length > 0 ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 2_000 },
      );
    }
  });

  it("every SQL panel query returns rows as the read-only role, and only the job's tables are granted", async () => {
    const { postgres } = stack;
    const owner = await postgres.client();
    // The superuser makes the role as CloudNativePG's managed roles do on Kubernetes; the migration grants it.
    const admin = await postgres.superuserClient();
    try {
      await admin.query(`CREATE ROLE ${DASHBOARD_READER_ROLE} NOLOGIN`);
      await owner.query(migrationSql(config, postgres.user));
      await owner.query('CREATE TABLE not_for_dashboards (x int)');
      const asReader = async (sql: string) => {
        await admin.query(`SET ROLE ${DASHBOARD_READER_ROLE}`);
        try {
          return (await admin.query(sql)).rows as Record<string, unknown>[];
        } finally {
          await admin.query('RESET ROLE');
        }
      };
      await assert.rejects(asReader('SELECT * FROM not_for_dashboards'), /permission denied/);

      const range = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) };
      const variables = built.flatMap((d) => variableQueries(d));
      assert.equal(variables.length, 1);
      // The ticker variable as Grafana fills it: its first value, once windows have closed.
      const tickers = await poll(
        'closed VWAP windows',
        async () => {
          const rows = await asReader(expandSql(variables[0]?.rawSql as string, range, {}));
          return rows.length > 0 ? rows : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 2_000 },
      );
      const ticker = String(Object.values(tickers[0] as object)[0]);
      const sql = built.flatMap((d) => panelQueries(d)).filter((q) => q.rawSql);
      assert.ok(sql.length >= 4);
      for (const q of sql) {
        const expanded = expandSql(q.rawSql as string, range, { [TICKER_VARIABLE]: ticker });
        await poll(
          `rows for "${q.panel}": ${expanded}`,
          async () => ((await asReader(expanded)).length > 0 ? true : undefined),
          { timeoutMs: 120_000, intervalMs: 2_000 },
        );
      }
      // CloudNativePG's custom query for the sink-freshness panel, which its exporter runs on Kubernetes.
      const [freshness] = await postgres.client().then(async (c) => {
        try {
          return (await c.query(SINK_FRESHNESS_SQL)).rows;
        } finally {
          await c.end();
        }
      });
      assert.ok(
        freshness.freshness_seconds >= 0 && freshness.freshness_seconds < 120,
        JSON.stringify(freshness),
      );
    } finally {
      await admin.end();
      await owner.end();
    }
  });

  it("npm run status's figures: trades produced, rows stored per table, lag, dead letters", async () => {
    const figures = await poll(
      'stored rows and produced trades in the figures',
      async () => {
        const f = await readFigures(config, query);
        return Array.isArray(f.stored) && f.stored.some((s) => s.value > 0) ? f : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 2_000 },
    );
    const line = describeFigures(figures);
    process.stdout.write(`# status figures: ${line}\n`);
    assert.match(line, /produced \d+(\.\d)?\/s/);
    assert.match(line, /stored \d+(\.\d)? rows\/s \(.*stock_trades/);
    assert.match(line, /lag \d+(\.\d)? records pending/);
    // No Kafka Exporter here: its figure has no series.
    assert.match(line, /group lag n\/a/);
    if (process.env.TRADESTREAM_RECORD_FIGURES) {
      // Prometheus' answers, for the unit tests of the status command (src/status/fixtures).
      const answers = Object.fromEntries(
        await Promise.all(
          Object.entries(figureQueries(config)).map(async ([figure, expr]) => [figure, await query(expr)]),
        ),
      );
      await writeFile(process.env.TRADESTREAM_RECORD_FIGURES, `${JSON.stringify(answers, null, 2)}\n`);
    }
  });
});
