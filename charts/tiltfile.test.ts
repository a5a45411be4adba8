import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { find, parseManifests } from './manifests.ts';

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

const WORKLOAD_KINDS = ['Kafka', 'Cluster', 'FlinkDeployment', 'Deployment'];

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
    for (const gate of ['kafka-ready', 'postgres-ready']) assert.ok(deps.get('flink')?.includes(gate));
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
    const selectors = policy.ingress.flatMap((r) => r.from ?? []).flatMap((p) => p.namespaceSelector ?? []);
    assert.deepEqual(selectors, [{ matchLabels: { [key as string]: namespace } }]);
  });

  it('sets the producer replicas from its --producers argument', { skip }, () => {
    const scaled = tiltfileCalls({ producers: '4' }) ?? [];
    const yaml = scaled.find((c) => c.fn === 'k8s_yaml')?.args[0] as string;
    assert.equal((find(parseManifests(yaml), 'Deployment').spec as { replicas: number }).replicas, 4);
  });
});
