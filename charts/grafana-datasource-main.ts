/**
 * `tsx charts/grafana-datasource-main.ts [--datasource]`: the read-only PostgreSQL role's Secret for Grafana
 * and, with --datasource, Grafana's datasource Secret (see grafana-datasource.ts). Tilt runs both steps.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { Command } from 'commander';
import { loadConfig, runMain } from '../src/config/index.ts';
import { loadKubeConfig } from '../src/status/connect.ts';
import { syncDatasource } from './grafana-datasource.ts';

const opts = new Command('grafana-datasource')
  .description("make the dashboards' read-only PostgreSQL role's Secret and Grafana's datasource for it")
  .option('--datasource', "also write Grafana's datasource Secret (waits for the database's CA)")
  .option('--timeout <seconds>', 'how long --datasource waits for the CA', Number, 900)
  .parse()
  .opts<{ datasource?: boolean; timeout: number }>();

await runMain(async () => {
  const config = loadConfig();
  const core = loadKubeConfig().makeApiClient(CoreV1Api);
  await syncDatasource(core, config, {
    datasource: opts.datasource ?? false,
    timeoutSeconds: opts.timeout,
    log: (line) => process.stdout.write(`${line}\n`),
  });
});
