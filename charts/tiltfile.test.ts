import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { find, parseManifests } from './manifests.ts';
import { KUBE_PROMETHEUS_STACK, OPERATOR_POD_LABELS } from './names.ts';

const ROOT = join(import.meta.dirname, '..');
interface Call {
  fn: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** The Tiltfile's calls, recorded by charts/tiltfile-harness.py (no Tilt binary exists here). */
function tiltfileCalls(args: Record<string, string> = {}): Call[] | undefined {
  const run = spawnSync('python3', [join(import.meta.dirname, 'tiltfile-harness.py'), JSON.stringify(args)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) return undefined;
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Call[];
}

const WORKLOAD_KINDS = ['Kafka', 'Cluster', 'FlinkDeployment', 'Deployment', 'Job'];

/**
 * A directory of stand-in commands: each appends its name, its arguments and its stdin's length to `calls.log`
 * and exits with the status `fake` gives it (0 by default), for running the real scripts without a cluster.
 */
function fakeCommands(fake: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tradestream-fake-'));
  const log = join(dir, 'calls.log');
  for (const name of ['kubectl', 'tilt', 'ctlptl', 'sleep', ...Object.keys(fake)]) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/sh\n[ -t 0 ] || input=$(cat)\necho "${name} $* <${'$'}{#input}" >> ${log}\n${fake[name] ?? 'exit 0'}\n`,
    );
    chmodSync(path, 0o755);
  }
  return {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    calls: () => readFileSync(log, 'utf8').trim().split('\n'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe('Tiltfile', () => {
  const calls = tiltfileCalls();
  const skip = calls ? false : 'python3 is not installed: the Tiltfile harness needs it';
  const all = calls ?? [];
  const of = (fn: string) => all.filter((c) => c.fn === fn);
  const manifests = () => parseManifests(of('k8s_yaml')[0]?.args[0] as string);

  it('applies the synthesized manifests and groups every object into a resource', { skip }, () => {
    const objects = manifests();
    const workloads = new Set(
      objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)).map((o) => o.metadata.name),
    );
    const assigned = new Set<string>();
    for (const c of of('k8s_resource')) {
      const workload = c.args[0] as string | undefined;
      if (workload) assert.ok(workloads.has(workload), `k8s_resource(${workload}) names no workload`);
      for (const selector of (c.kwargs.objects ?? []) as string[]) {
        const [name, kind] = selector.split(':');
        assert.ok(
          objects.some((o) => o.metadata.name === name && o.kind.toLowerCase() === kind),
          `selector ${selector} matches no object`,
        );
        assigned.add(selector);
      }
    }
    for (const o of objects.filter((x) => !WORKLOAD_KINDS.includes(x.kind))) {
      assert.ok(
        assigned.has(`${o.metadata.name}:${o.kind.toLowerCase()}`),
        `${o.kind} ${o.metadata.name} has no resource`,
      );
    }
  });

  it('orders resources only after resources that exist, custom resources after their operators', {
    skip,
  }, () => {
    const defined = new Set<string>();
    for (const c of all) {
      if (['helm_resource', 'helm_repo', 'local_resource'].includes(c.fn)) defined.add(c.args[0] as string);
      if (c.fn === 'k8s_resource') defined.add(c.kwargs.new_name as string);
    }
    const deps = new Map<string, string[]>();
    for (const c of all.filter((x) => ['helm_resource', 'local_resource', 'k8s_resource'].includes(x.fn))) {
      const name = (c.kwargs.new_name ?? c.args[0]) as string;
      const list = (c.kwargs.resource_deps ?? []) as string[];
      for (const d of list) assert.ok(defined.has(d), `${name} depends on unknown ${d}`);
      deps.set(name, list);
    }
    assert.ok(deps.get('kafka')?.includes('strimzi-operator'));
    assert.ok(deps.get('postgres')?.includes('cnpg-operator'));
    assert.ok(deps.get('flink')?.includes('flink-operator'));
    for (const gate of ['kafka-ready', 'postgres-migrate']) assert.ok(deps.get('flink')?.includes(gate));
    assert.ok(deps.get('postgres-migrate')?.includes('postgres-ready'));
    assert.ok(deps.get('postgres')?.includes('postgres-webhook'));
    for (const dep of ['cnpg-operator', 'namespace']) assert.ok(deps.get('postgres-webhook')?.includes(dep));
  });

  it('runs the schema migration Job as its own resource, before the Flink job', { skip }, () => {
    const job = find(manifests(), 'Job');
    const migrate = of('k8s_resource').find((c) => c.kwargs.new_name === 'postgres-migrate');
    assert.equal(migrate?.args[0], job.metadata.name);
  });

  it("gates the Cluster on CloudNativePG's webhook admitting it: a server dry-run, retried", { skip }, () => {
    const gate = of('local_resource').find((c) => c.args[0] === 'postgres-webhook');
    const cmd = gate?.kwargs.cmd as string;
    const env = gate?.kwargs.env as Record<string, string>;
    // The very Cluster the postgres resource applies.
    assert.deepEqual(JSON.parse(env.CLUSTER as string), find(manifests(), 'Cluster'));
    // Run the command with a kubectl that the webhook refuses twice, then admits.
    const fake = fakeCommands({
      kubectl: `[ $(grep -c '^kubectl' ${'$'}(dirname $0)/calls.log) -ge 3 ] || { echo 'failed calling webhook' >&2; exit 1; }`,
    });
    after(fake.remove);
    const run = spawnSync('sh', ['-c', cmd], { env: { ...fake.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const calls = fake.calls().filter((c) => c.startsWith('kubectl'));
    assert.equal(calls.length, 3);
    for (const c of calls)
      assert.equal(c, `kubectl apply --dry-run=server -f - <${(env.CLUSTER as string).length}`);
  });

  it('anchors k8s_kind patterns and names their API version', { skip }, () => {
    for (const c of of('k8s_kind')) {
      assert.match(c.args[0] as string, /^\^\w+\$$/);
      assert.ok(c.kwargs.api_version, `${c.args[0]} without api_version`);
    }
  });

  it('pins the operator charts and keeps the Flink webhook choice explicit', { skip }, () => {
    for (const c of of('helm_resource')) {
      assert.ok(
        ((c.kwargs.flags ?? []) as string[]).some((f) => /^--version=\d+\.\d+\.\d+$/.test(f)),
        `${c.args[0]}`,
      );
    }
    const flink = of('helm_resource').find((c) => c.args[0] === 'flink-operator');
    assert.ok(flink, 'the Flink operator is installed');
    assert.ok((flink.kwargs.flags as string[]).includes('--set=webhook.create=false'));
  });

  it("makes Strimzi's pods pass the namespace's Pod Security restricted", { skip }, () => {
    const strimzi = of('helm_resource').find((c) => c.args[0] === 'strimzi-operator');
    const flags = (strimzi?.kwargs.flags ?? []) as string[];
    const at = flags.indexOf('--set=extraEnvs[0].name=STRIMZI_POD_SECURITY_PROVIDER_CLASS');
    assert.ok(at >= 0, 'the pod security provider is chosen');
    assert.equal(flags[at + 1], '--set=extraEnvs[0].value=restricted');
  });

  it("turns off the Flink operator chart's own flink ServiceAccount, Role and RoleBinding", { skip }, () => {
    // helm/flink-kubernetes-operator 1.15.0: templates/flink/service_account.yaml, role.yaml and role_binding.yaml
    // render for every watched namespace unless these are false (values.yaml: jobServiceAccount, rbac.job*).
    const flags = (of('helm_resource').find((c) => c.args[0] === 'flink-operator')?.kwargs.flags ??
      []) as string[];
    for (const value of ['jobServiceAccount.create', 'rbac.jobRole.create', 'rbac.jobRoleBinding.create'])
      assert.ok(flags.includes(`--set=${value}=false`), value);
    // The FlinkDeployment runs as a ServiceAccount of its own, which the charts create.
    const objects = manifests();
    const account = find(objects, 'FlinkDeployment').spec as { serviceAccount: string };
    assert.notEqual(account.serviceAccount, 'flink');
    find(objects, 'ServiceAccount', account.serviceAccount);
  });

  it("limits Strimzi's generated broker NetworkPolicy to its operator's namespace, as ours does", {
    skip,
  }, () => {
    const flags = (of('helm_resource').find((c) => c.args[0] === 'strimzi-operator')?.kwargs.flags ??
      []) as string[];
    const at = flags.indexOf('--set=extraEnvs[1].name=STRIMZI_OPERATOR_NAMESPACE_LABELS');
    assert.ok(at >= 0, 'the operator namespace labels are set');
    const value = flags[at + 1]?.replace('--set=extraEnvs[1].value=', '') ?? '';
    // Helm's --set ends a value at a comma: one label only.
    assert.doesNotMatch(value, /,/);
    const [key, namespace] = value.split('=');
    // The same namespace selector as the operator peer of our own kafka-ingress policy.
    const policy = find(manifests(), 'NetworkPolicy', 'kafka-ingress').spec as {
      ingress: { from?: { namespaceSelector?: { matchLabels: Record<string, string> } }[] }[];
    };
    type Peer = { namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: unknown };
    const operatorPeers = policy.ingress
      .flatMap((r) => (r.from ?? []) as Peer[])
      .filter(
        (p) => JSON.stringify(p.podSelector) === JSON.stringify({ matchLabels: OPERATOR_POD_LABELS.strimzi }),
      );
    const selectors = operatorPeers.flatMap((p) => p.namespaceSelector ?? []);
    assert.deepEqual(selectors, [{ matchLabels: { [key as string]: namespace } }]);
  });

  it('installs kube-prometheus-stack pinned and light, selecting every PodMonitor, with Grafana linked', {
    skip,
  }, () => {
    const stack = of('helm_resource').find((c) => c.args[0] === KUBE_PROMETHEUS_STACK.release);
    assert.equal(stack?.args[1], `prometheus-community/${KUBE_PROMETHEUS_STACK.chart}`);
    const repo = of('helm_repo').find((c) => c.args[0] === 'prometheus-community');
    assert.equal(repo?.args[1], KUBE_PROMETHEUS_STACK.repo);
    const flags = (stack?.kwargs.flags ?? []) as string[];
    assert.ok(flags.includes(`--version=${KUBE_PROMETHEUS_STACK.version}`));
    for (const off of [
      'alertmanager',
      'nodeExporter',
      'kubeStateMetrics',
      'kubeApiServer',
      'kubeControllerManager',
      'kubeScheduler',
      'kubeEtcd',
      'kubeProxy',
      'coreDns',
    ])
      assert.ok(flags.includes(`--set=${off}.enabled=false`), off);
    // cAdvisor (container CPU and memory) comes with the kubelet's scrape.
    for (const on of ['kubelet', 'grafana']) assert.ok(flags.includes(`--set=${on}.enabled=true`), on);
    for (const kind of ['podMonitor', 'serviceMonitor', 'rule', 'probe'])
      assert.ok(
        flags.includes(`--set=prometheus.prometheusSpec.${kind}SelectorNilUsesHelmValues=false`),
        kind,
      );
    // Installed where the NetworkPolicies expect Prometheus.
    const settings = JSON.parse(
      spawnSync('npx', ['--no-install', 'tsx', 'charts/main.ts', '--settings'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).stdout,
    );
    assert.equal(stack?.kwargs.namespace, settings.operatorNamespaces.monitoring);
    // The PodMonitors wait for the stack (its CRD), and Grafana is port-forwarded with a link.
    const monitors = of('k8s_resource').find((c) => c.kwargs.new_name === 'monitors');
    assert.ok(((monitors?.kwargs.resource_deps ?? []) as string[]).includes(KUBE_PROMETHEUS_STACK.release));
    const podMonitors = manifests().filter((o) => o.kind === 'PodMonitor');
    assert.deepEqual(
      ((monitors?.kwargs.objects ?? []) as string[]).sort(),
      podMonitors.map((o) => `${o.metadata.name}:podmonitor`).sort(),
    );
    const grafana = of('local_resource').find((c) => c.args[0] === 'grafana');
    assert.match(
      grafana?.kwargs.serve_cmd as string,
      new RegExp(`port-forward svc/${KUBE_PROMETHEUS_STACK.grafanaService} 3000:`),
    );
    assert.deepEqual(grafana?.kwargs.links, ['http://localhost:3000']);
  });

  it("loads the dashboards, and makes the reader's Secret before the Cluster and the datasource after", {
    skip,
  }, () => {
    const stack = of('helm_resource').find((c) => c.args[0] === KUBE_PROMETHEUS_STACK.release);
    const flags = (stack?.kwargs.flags ?? []) as string[];
    for (const flag of [
      'grafana.sidecar.dashboards.enabled=true',
      'grafana.sidecar.dashboards.searchNamespace=ALL',
      'grafana.sidecar.datasources.enabled=true',
    ])
      assert.ok(flags.includes(`--set=${flag}`), flag);
    const dashboardObjects = of('k8s_resource').find((c) => c.kwargs.new_name === 'dashboards')?.kwargs
      .objects;
    assert.deepEqual(dashboardObjects, [
      'tradestream-pipeline-health:configmap',
      'tradestream-market:configmap',
    ]);
    const local = (name: string) => of('local_resource').find((c) => c.args[0] === name);
    const postgres = of('k8s_resource').find((c) => c.kwargs.new_name === 'postgres');
    assert.ok(((postgres?.kwargs.resource_deps ?? []) as string[]).includes('postgres-reader'));
    assert.match(local('postgres-reader')?.kwargs.cmd as string, /charts\/grafana-datasource-main\.ts$/);
    const datasource = local('grafana-datasource');
    assert.match(datasource?.kwargs.cmd as string, /charts\/grafana-datasource-main\.ts --datasource$/);
    assert.deepEqual(datasource?.kwargs.resource_deps, [KUBE_PROMETHEUS_STACK.release, 'postgres-ready']);
  });

  it('sets the producer replicas from its --producers argument', { skip }, () => {
    const scaled = tiltfileCalls({ producers: '4' }) ?? [];
    const yaml = scaled.find((c) => c.fn === 'k8s_yaml')?.args[0] as string;
    assert.equal((find(parseManifests(yaml), 'Deployment').spec as { replicas: number }).replicas, 4);
  });
});

/**
 * `npm run down` with stand-ins for kubectl, tilt and ctlptl: the order of the commands it runs. That the
 * operators do remove their finalizers when their custom resources are deleted this way is proven by review only.
 */
describe('npm run down', () => {
  const CUSTOM_RESOURCES = [
    'flinkdeployments.flink.apache.org',
    'kafkatopics.kafka.strimzi.io',
    'kafkas.kafka.strimzi.io',
    'kafkanodepools.kafka.strimzi.io',
    'clusters.postgresql.cnpg.io',
  ];
  const down = (args: string[], fake: Record<string, string> = {}) => {
    const commands = fakeCommands(fake);
    after(commands.remove);
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'charts/cluster.ts', 'down', ...args], {
      cwd: ROOT,
      env: commands.env,
      encoding: 'utf8',
    });
    const calls = commands.calls().map((c) => c.replace(/ <\d+$/, ''));
    return { status: run.status, stderr: run.stderr, calls };
  };
  const deletes = (calls: string[]) => calls.filter((c) => c.startsWith('kubectl delete'));

  for (const keep of [false, true]) {
    it(`deletes the custom resources and waits for them before tilt down${keep ? ' (--keep-cluster)' : ''}`, () => {
      const { status, stderr, calls } = down(keep ? ['--keep-cluster'] : []);
      assert.equal(status, 0, stderr);
      assert.deepEqual(
        deletes(calls),
        CUSTOM_RESOURCES.map(
          (r) =>
            `kubectl delete ${r} --all --namespace=tradestream --ignore-not-found --wait=true --timeout=300s`,
        ),
      );
      const tiltDown = calls.indexOf('tilt down');
      assert.ok(tiltDown > calls.lastIndexOf(deletes(calls).at(-1) as string), 'tilt down after the deletes');
      const deleteCluster = calls.findIndex((c) => c.startsWith('ctlptl delete cluster'));
      if (keep) assert.equal(deleteCluster, -1);
      else assert.equal(deleteCluster, calls.length - 1);
    });
  }

  it('keeps the operators (no tilt down) when a finalizer does not go away, with --keep-cluster', () => {
    const { status, calls } = down(['--keep-cluster'], {
      kubectl: `case "$*" in 'delete kafkas'*) exit 1;; esac`,
    });
    assert.equal(status, 1);
    assert.ok(!calls.includes('tilt down'));
    assert.equal(deletes(calls).length, 3, 'stops at the kind that timed out');
  });

  it('skips a kind whose CRD is not installed', () => {
    const { status, calls } = down([], { kubectl: `case "$*" in 'get crd kafkatopics'*) exit 1;; esac` });
    assert.equal(status, 0);
    assert.ok(!deletes(calls).some((c) => c.includes('kafkatopics')));
    assert.equal(deletes(calls).length, 4);
  });
});
