/**
 * `npm run synth`: writes k8s/tradestream.yaml from the charts and the pipeline config (defaults <- environment,
 * e.g. KUBERNETES_PRODUCER_REPLICAS=3). The committed file is the synth of the defaults.
 *   --stdout     print the manifests instead (the Tiltfile applies them this way, with its own arguments)
 *   --settings   print the names and images the Tiltfile needs, as JSON
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { Command } from 'commander';
import { loadConfig, runMain } from '../src/config/index.ts';
import { MANIFEST, manifests, tiltSettings } from './app.ts';

const opts = new Command('synth')
  .description('synthesize the Kubernetes manifests from the charts and the pipeline config')
  .option('--stdout', 'print the manifests instead of writing k8s/')
  .option('--settings', 'print the settings the Tiltfile reads, as JSON')
  .parse()
  .opts<{ stdout?: boolean; settings?: boolean }>();
await runMain(() => {
  const config = loadConfig();
  if (opts.settings) {
    process.stdout.write(`${JSON.stringify(tiltSettings(config), null, 2)}\n`);
  } else if (opts.stdout) {
    process.stdout.write(manifests(config));
  } else {
    const yaml = manifests(config);
    mkdirSync(dirname(MANIFEST), { recursive: true });
    writeFileSync(MANIFEST, yaml);
    const objects = yaml.split('\n---\n').length;
    process.stdout.write(`wrote ${objects} objects to ${relative(process.cwd(), MANIFEST)}\n`);
  }
});
