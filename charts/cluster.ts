/**
 * `npm run up [-- --producers=3]`: creates the kind cluster with its local registry (ctlptl) unless it exists,
 * switches kubectl to it, then runs `tilt up` (extra arguments go to the Tiltfile).
 * `npm run down [-- --keep-cluster]`: deletes the custom resources and waits until their operators have removed
 * their finalizers, then `tilt down` (the rest of the app and the operators), then deletes the cluster.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config/index.ts';

const ROOT = join(import.meta.dirname, '..');
const KIND_CONFIG = join(ROOT, 'kind-config.yaml');
const REGISTRY = 'ctlptl-registry';

const INSTALL: Record<string, string> = {
  docker: 'https://docs.docker.com/get-docker/ (or another engine kind supports)',
  kind: 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation (v0.32 or later)',
  ctlptl: 'https://github.com/tilt-dev/ctlptl#how-do-i-install-it',
  kubectl: 'https://kubernetes.io/docs/tasks/tools/',
  helm: 'https://helm.sh/docs/intro/install/ (Tilt installs the operators with it)',
  tilt: 'https://docs.tilt.dev/install.html',
};

function run(command: string, args: string[], options: { input?: string; quiet?: boolean } = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    input: options.input,
    stdio: [
      options.input === undefined ? 'inherit' : 'pipe',
      options.quiet ? 'pipe' : 'inherit',
      options.quiet ? 'pipe' : 'inherit',
    ],
    encoding: 'utf8',
  });
  return result;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function requireTools(tools: string[]) {
  const missing = tools.filter((t) => run('sh', ['-c', `command -v ${t}`], { quiet: true }).status !== 0);
  if (missing.length > 0) {
    fail(
      `missing: ${missing.join(', ')}. Install:\n${missing.map((t) => `  ${t}: ${INSTALL[t]}`).join('\n')}`,
    );
  }
}

/** The kind config of kind-config.yaml wrapped as a ctlptl Cluster with a local registry. */
function ctlptlCluster(): { name: string; context: string; yaml: string } {
  const kind = parse(readFileSync(KIND_CONFIG, 'utf8')) as { name: string };
  const name = `kind-${kind.name}`;
  const cluster = {
    apiVersion: 'ctlptl.dev/v1alpha1',
    kind: 'Cluster',
    product: 'kind',
    name,
    registry: REGISTRY,
    kindV1Alpha4Cluster: kind,
  };
  return { name, context: name, yaml: stringify(cluster) };
}

/**
 * The custom resources, in the order they are deleted: each kind is gone before the next goes. Their operators
 * remove their finalizers; uninstalled first, they would leave them hanging forever. The job first, so it stops
 * before its source and sinks; the topics before the Kafka cluster, whose entity operator removes their
 * finalizer; the node pools after the cluster that uses them.
 */
const CUSTOM_RESOURCES = [
  'flinkdeployments.flink.apache.org',
  'kafkatopics.kafka.strimzi.io',
  'kafkas.kafka.strimzi.io',
  'kafkanodepools.kafka.strimzi.io',
  'clusters.postgresql.cnpg.io',
];
const DELETE_TIMEOUT = '300s';

/** Deletes the namespace's custom resources, kind by kind; false when one is still there after the timeout. */
function deleteCustomResources(namespace: string): boolean {
  for (const resource of CUSTOM_RESOURCES) {
    // No CRD, no such objects (the operator was never installed, or is gone with its CRDs).
    if (run('kubectl', ['get', 'crd', resource], { quiet: true }).status !== 0) continue;
    process.stdout.write(`deleting ${resource} in ${namespace} (waiting for their finalizers)\n`);
    const deleted = run('kubectl', [
      'delete',
      resource,
      '--all',
      `--namespace=${namespace}`,
      '--ignore-not-found',
      '--wait=true',
      `--timeout=${DELETE_TIMEOUT}`,
    ]);
    if (deleted.status !== 0) {
      process.stderr.write(
        `${resource} still there after ${DELETE_TIMEOUT}: kubectl -n ${namespace} get ${resource} -o yaml ` +
          'shows its finalizers and status\n',
      );
      return false;
    }
  }
  return true;
}

const [command, ...rest] = process.argv.slice(2);
const cluster = ctlptlCluster();

if (command === 'up') {
  requireTools(['docker', 'kind', 'ctlptl', 'kubectl', 'helm', 'tilt']);
  if (run('ctlptl', ['get', 'cluster', cluster.name], { quiet: true }).status === 0) {
    process.stdout.write(`cluster ${cluster.name} exists\n`);
  } else {
    process.stdout.write(
      `creating cluster ${cluster.name} with registry ${REGISTRY} (a few minutes the first time)\n`,
    );
    if (run('ctlptl', ['apply', '-f', '-'], { input: cluster.yaml }).status !== 0)
      fail('ctlptl could not create the cluster');
  }
  if (run('kubectl', ['config', 'use-context', cluster.context]).status !== 0)
    fail(`no kubectl context ${cluster.context}`);
  // Tilt's UI takes over from here; Ctrl-C leaves everything running (`npm run down` removes it).
  const tilt = run('tilt', ['up', ...(rest.length > 0 ? ['--', ...rest] : [])]);
  process.exit(tilt.status ?? 1);
} else if (command === 'down') {
  requireTools(['ctlptl', 'kubectl', 'tilt']);
  const keep = rest.includes('--keep-cluster');
  if (run('ctlptl', ['get', 'cluster', cluster.name], { quiet: true }).status !== 0) {
    process.stdout.write(`no cluster ${cluster.name}: nothing to do\n`);
    process.exit(0);
  }
  run('kubectl', ['config', 'use-context', cluster.context]);
  if (!deleteCustomResources(loadConfig().kubernetes.namespace)) {
    // The operators stay, so that `npm run down` can finish the job once the cause is fixed.
    if (keep) fail('stopped before tilt down: the operators are kept so that the finalizers can still run');
    process.stderr.write('deleting the cluster anyway (its finalizers go with it)\n');
  }
  if (run('tilt', ['down']).status !== 0)
    process.stderr.write('tilt down failed; deleting the cluster anyway\n');
  if (!keep && run('ctlptl', ['delete', 'cluster', cluster.name]).status !== 0)
    fail('ctlptl could not delete the cluster');
  process.stdout.write(
    keep
      ? `removed the app and the operators; cluster ${cluster.name} kept\n`
      : `deleted cluster ${cluster.name}; the registry container ${REGISTRY} stays for next time ` +
          `(remove it with: ctlptl delete registry ${REGISTRY})\n`,
  );
} else if (command === 'print-cluster') {
  process.stdout.write(cluster.yaml);
} else {
  fail('usage: tsx charts/cluster.ts up [-- tilt args] | down [--keep-cluster] | print-cluster');
}
