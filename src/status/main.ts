/**
 * `npm run status [-- --wait --timeout 600 --only kafka,postgres --context kind-tradestream]`: each component's
 * real readiness on the kubeconfig's cluster (Kafka and its topics, PostgreSQL, the Flink job, the producers and
 * their current rate), then the pipeline's lag and rates from Prometheus (figures.ts; not with --wait). Exit 0 when every component asked about is ready; 1 with the reason when one is not (at
 * once, or after --timeout with --wait) or the API server cannot be read; 2 on a bad config or when no cluster
 * or context is configured.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, runMain } from '../config/index.ts';
import { COMPONENTS, type Component, type ComponentStatus, type State } from './assess.ts';
import { ClusterStatus } from './cluster.ts';
import { clusterError, loadKubeConfig } from './connect.ts';
import { describeFigures, readFigures } from './figures.ts';

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number of seconds');
  return n;
};
const components = (value: string) => {
  const list = value.split(',').map((s) => s.trim());
  const bad = list.find((c) => !COMPONENTS.includes(c as Component));
  if (bad) throw new InvalidArgumentError(`unknown component ${bad}; one of ${COMPONENTS.join(', ')}`);
  return list as Component[];
};

const opts = new Command('status')
  .description("report the readiness of tradestream's components on the current Kubernetes cluster")
  .option('--wait', 'poll until every component is ready or the timeout passes')
  .option('--timeout <seconds>', 'how long --wait waits', seconds, 600)
  .option('--interval <seconds>', 'poll interval of --wait', seconds, 5)
  .option('--only <components>', `comma-separated subset of ${COMPONENTS.join(', ')}`, components, [
    ...COMPONENTS,
  ])
  .option('--context <name>', 'kubeconfig context (default: the current one)')
  .parse()
  .opts<{ wait?: boolean; timeout: number; interval: number; only: Component[]; context?: string }>();

const MARK: Record<State, string> = { ready: 'ok', progressing: '..', failed: '!!', missing: '--' };
const line = (s: ComponentStatus) =>
  `${MARK[s.state]} ${s.component.padEnd(9)} ${s.state.padEnd(12)} ${s.detail}`;

await runMain(async () => {
  const config = loadConfig();
  const kubeConfig = loadKubeConfig(opts.context);
  const context = kubeConfig.getCurrentContext();
  const cluster = new ClusterStatus(kubeConfig, config);
  const deadline = Date.now() + opts.timeout * 1000;
  const shown = new Map<Component, string>();

  for (;;) {
    let statuses: ComponentStatus[];
    try {
      statuses = await Promise.all(opts.only.map((c) => cluster.assess(c)));
    } catch (error) {
      const reason = clusterError(error, kubeConfig);
      if (!opts.wait || Date.now() >= deadline) {
        process.stderr.write(`${reason}\n`);
        process.exit(1);
      }
      process.stderr.write(`${reason}; retrying\n`);
      await sleep(opts.interval * 1000);
      continue;
    }
    // With --wait, print a component's line only when it changes.
    for (const s of statuses) {
      const text = line(s);
      if (shown.get(s.component) !== text) process.stdout.write(`${text}\n`);
      shown.set(s.component, text);
    }
    // The figures the "Pipeline health" dashboard shows, once: a --wait gate only needs readiness.
    if (!opts.wait && (opts.only.includes('flink') || opts.only.includes('producer'))) {
      const figures = await readFigures(config, (expr) => cluster.prometheusQuery(expr));
      process.stdout.write(`   pipeline  ${describeFigures(figures)}\n`);
    }
    const pending = statuses.filter((s) => s.state !== 'ready');
    if (pending.length === 0) {
      process.stdout.write(`ready: ${statuses.map((s) => s.component).join(', ')} (context ${context})\n`);
      return;
    }
    if (!opts.wait || Date.now() + opts.interval * 1000 > deadline) {
      const waited = opts.wait ? ` after ${opts.timeout}s` : '';
      const reasons = pending.map((s) => `${s.component} ${s.state}: ${s.detail}`).join('; ');
      process.stderr.write(`not ready${waited} (context ${context}): ${reasons}\n`);
      process.exit(1);
    }
    await sleep(opts.interval * 1000);
  }
});
