/**
 * The CloudNativePG operator (v1.30.0, built by charts/apiserver/build.ts) run out-of-cluster against a real
 * control plane, given the PostgreSQL part of the default config's synthesized manifests: the Namespace, the
 * Cluster and the ConfigMap it references. It must accept the Cluster (its admission webhooks, registered with the
 * API server, and its own reconcile-time validation) and create what the other charts rely on: the `<cluster>-app`
 * Secret (the keys the Flink job and the migration Job read), the `<cluster>-ca` Secret (ca.crt, mounted by them),
 * the `<cluster>-rw` Service on 5432, a server certificate for the hosts they connect to; and its pods must be
 * admitted under the namespace's Pod Security "restricted": the initdb Job's (created by the controller-manager)
 * and, once that pod's success is faked through its status, the instance pod the operator creates itself. No
 * kubelet: pods stay Pending and the Cluster never becomes ready, which is not asserted.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cnpgBuild } from '../charts/apiserver/build.ts';
import { KubeClient } from '../charts/apiserver/client.ts';
import { type CnpgOperator, startCnpgOperator } from '../charts/apiserver/cnpg-operator.ts';
import { type ControlPlane, startControlPlane } from '../charts/apiserver/control-plane.ts';
import { manifests } from '../charts/app.ts';
import { crdDirectory } from '../charts/crds.ts';
import { find, type KubeObject, parseManifests } from '../charts/manifests.ts';
import { names, PORTS } from '../charts/names.ts';
import { loadConfig } from '../src/config/index.ts';
import { poll } from './poll.ts';

type Condition = { type: string; status: string; reason?: string; message?: string };
type Secret = KubeObject & { data?: Record<string, string> };
type Service = KubeObject & {
  spec: { ports: { name?: string; port: number }[]; selector?: Record<string, string> };
};
type Event = KubeObject & { reason: string; message: string; involvedObject: { kind: string; name: string } };
type Container = { name: string; image: string };
type Pod = KubeObject & {
  spec: { containers: Container[]; initContainers?: Container[] };
  status?: { phase?: string };
};
type LiveCluster = KubeObject & {
  status?: { phase?: string; phaseReason?: string; conditions?: Condition[] };
};

/** The phase CloudNativePG gives a Cluster its validation refuses (api/v1 PhaseDefinitionInvalid). */
const INVALID_PHASE = 'Invalid cluster definition';

const crds = crdDirectory();
const skip = crds ? false : 'CRD directory absent: set TRADESTREAM_CRDS to ../shared/crds (CI has it)';

describe('the CloudNativePG operator on a real API server (defaults)', { skip }, () => {
  const config = loadConfig({ env: {} });
  const n = names(config);
  const objects = parseManifests(manifests(config));
  const cluster = find(objects, 'Cluster', n.postgres.cluster);
  // What the Cluster refers to, read from the Cluster itself (today: the bootstrap SQL's ConfigMap).
  const initdb = (cluster.spec as { bootstrap: { initdb: Record<string, unknown> } }).bootstrap.initdb;
  const refs = (initdb.postInitApplicationSQLRefs as { configMapRefs?: { name: string }[] } | undefined)
    ?.configMapRefs;
  const referenced = (refs ?? []).map((r) => find(objects, 'ConfigMap', r.name));
  let plane: ControlPlane;
  let kube: KubeClient;
  let operator: CnpgOperator | undefined;
  const get = <T>(apiVersion: string, kind: string, name: string) =>
    kube.get<T>({ apiVersion, kind, metadata: { name, namespace: n.namespace } });
  const getOrUndefined = <T>(apiVersion: string, kind: string, name: string) =>
    get<T>(apiVersion, kind, name).catch((e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    });

  before(async () => {
    plane = await startControlPlane();
    kube = new KubeClient(plane.kubeconfig);
  });
  after(async () => {
    await operator?.stop();
    await plane?.stop();
  });

  it("installs the vendored CRDs, and CloudNativePG's others from the module it is built from", async () => {
    const vendored = readdirSync(crds as string)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => parseManifests(readFileSync(join(crds as string, f), 'utf8')));
    const dir = (await cnpgBuild()).crds;
    const upstream = readdirSync(dir).flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')));
    const have = new Set(vendored.map((d) => d?.metadata?.name));
    const definitions = [...vendored, ...upstream.filter((d) => d?.kind && !have.has(d.metadata.name))];
    for (const crd of definitions.filter((d) => d?.kind)) {
      const { warnings } = await kube.apply(crd);
      assert.deepEqual(warnings, [], `CRD ${crd.metadata.name}`);
    }
    for (const crd of definitions.filter((d) => d?.kind)) {
      await poll(
        `CRD ${crd.metadata.name} Established`,
        async () => {
          const live = await kube.get<{ status?: { conditions?: Condition[] } }>(crd);
          return (
            live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
          );
        },
        { timeoutMs: 30_000 },
      );
    }
  });

  it('starts the operator out-of-cluster, with its webhooks registered with the API server', async () => {
    operator = await startCnpgOperator(plane, kube);
    assert.deepEqual(operator.webhookConfigurations.map((w) => w.kind).sort(), [
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ]);
  });

  it("applies the namespace, the Cluster's ConfigMap and the Cluster through CloudNativePG's webhooks", async () => {
    const applyWarnings: Record<string, string[]> = {};
    for (const o of [find(objects, 'Namespace'), ...referenced, cluster]) {
      const { warnings } = await kube.apply(o);
      if (warnings.length > 0) applyWarnings[`${o.kind} ${o.metadata.name}`] = warnings;
    }
    assert.deepEqual(applyWarnings, {});
    // The mutating webhook runs: what a dry run returns has the operator's defaults, absent from our manifest.
    const copy = { ...cluster, metadata: { ...cluster.metadata, name: 'defaulted' } };
    const { body } = await kube.apply<{ spec: Record<string, unknown> }>(copy, { dryRun: true });
    assert.ok(body.spec.postgresql, `no defaults at admission: ${JSON.stringify(body.spec)}`);
    assert.equal(body.spec.imageName, config.kubernetes.postgres.image);
    // The validating webhook really runs: a Cluster it refuses (the port is the operator's to set) is refused.
    const invalid = structuredClone(cluster) as KubeObject & { spec: Record<string, unknown> };
    invalid.metadata = { ...invalid.metadata, name: 'refused' };
    invalid.spec.postgresql = { parameters: { port: '5433' } };
    await assert.rejects(
      kube.apply(invalid, { dryRun: true }),
      /admission webhook "vcluster\.cnpg\.io" denied .*Can't set fixed configuration parameter/,
    );
  });

  it('accepts the Cluster: a phase other than "Invalid cluster definition"', async () => {
    const live = await poll(
      'a phase on the Cluster',
      async () => {
        const c = await get<LiveCluster>(cluster.apiVersion, 'Cluster', n.postgres.cluster);
        return c.status?.phase ? c : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.notEqual(live.status?.phase, INVALID_PHASE, live.status?.phaseReason);
    // Validation failures are logged by the reconcile-time guard.
    assert.doesNotMatch(readFileSync(operator?.log as string, 'utf8'), /Detected invalid resource/);
    console.log(`Cluster phase: ${live.status?.phase} (${live.status?.phaseReason ?? ''})`);
  });

  it('creates the <cluster>-app Secret with every key the Flink job and the migration Job read', async () => {
    // The keys the charts read (flink.ts, postgres.ts), from the synthesized manifests themselves.
    const keys = new Set<string>();
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const ref = (x as { secretKeyRef?: { name: string; key: string } }).secretKeyRef;
        if (ref?.name === n.postgres.appSecret) keys.add(ref.key);
        Object.values(x).forEach(walk);
      }
    };
    walk(objects);
    assert.ok(
      ['username', 'password'].every((k) => keys.has(k)),
      [...keys].join(', '),
    );
    const secret = await poll(
      `Secret ${n.postgres.appSecret}`,
      () => getOrUndefined<Secret>('v1', 'Secret', n.postgres.appSecret),
      { timeoutMs: 60_000 },
    );
    const value = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
    for (const k of keys) assert.ok(value(k), `key ${k} in ${Object.keys(secret.data ?? {}).join(', ')}`);
    const pg = config.kubernetes.postgres;
    assert.equal(value('username'), pg.owner);
    assert.ok(value('password').length >= 16);
    if (keys.has('dbname')) assert.equal(value('dbname'), pg.database);
    if (keys.has('port')) assert.equal(value('port'), String(PORTS.postgres));
    if (keys.has('host')) assert.equal(value('host'), `${n.postgres.cluster}-rw`);
  });

  it('creates the <cluster>-ca Secret with ca.crt, and a server certificate for the hosts the clients use', async () => {
    const ca = await poll(
      `Secret ${n.postgres.caSecret}`,
      () => getOrUndefined<Secret>('v1', 'Secret', n.postgres.caSecret),
      { timeoutMs: 60_000 },
    );
    const caPem = ca.data?.['ca.crt'];
    assert.ok(caPem, Object.keys(ca.data ?? {}).join(', '));
    const caCert = new X509Certificate(Buffer.from(caPem, 'base64'));
    assert.ok(caCert.ca);
    // verify-full: the migration Job connects to the app Secret's `host`, the Flink job to the FQDN in its URL.
    const server = await poll(
      `Secret ${n.postgres.cluster}-server`,
      () => getOrUndefined<Secret>('v1', 'Secret', `${n.postgres.cluster}-server`),
      { timeoutMs: 60_000 },
    );
    const cert = new X509Certificate(Buffer.from(server.data?.['tls.crt'] ?? '', 'base64'));
    assert.ok(cert.verify(caCert.publicKey), 'the server certificate is signed by <cluster>-ca');
    const sans = (cert.subjectAltName ?? '').split(', ');
    const jdbcHost = /^jdbc:postgresql:\/\/([^:/]+)/.exec(n.postgres.jdbcUrl)?.[1];
    for (const host of [`${n.postgres.cluster}-rw`, jdbcHost])
      assert.ok(sans.includes(`DNS:${host}`), `${host} in ${sans}`);
  });

  it('creates the <cluster>-rw Service on 5432, selecting the primary', async () => {
    const rw = await poll(
      `Service ${n.postgres.cluster}-rw`,
      () => getOrUndefined<Service>('v1', 'Service', `${n.postgres.cluster}-rw`),
      { timeoutMs: 60_000 },
    );
    assert.ok(
      rw.spec.ports.some((p) => p.port === PORTS.postgres),
      JSON.stringify(rw.spec.ports),
    );
    assert.equal(rw.spec.selector?.['cnpg.io/cluster'], n.postgres.cluster);
  });

  it('has its initdb Job\'s pod admitted under Pod Security "restricted" (no FailedCreate)', async () => {
    // Enforced here (kubernetes-suite.ts shows a plain pod refused on this control plane).
    const ns = await kube.get(find(objects, 'Namespace'));
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    const selector = `cnpg.io/cluster=${n.postgres.cluster}`;
    const pods = await poll(
      'the pod of the initdb Job (or a FailedCreate)',
      async () => {
        const events = await kube.list<Event>('v1', 'Event', n.namespace);
        const failed = events.find((e) => e.reason === 'FailedCreate');
        if (failed)
          assert.fail(`${failed.involvedObject.kind} ${failed.involvedObject.name}: ${failed.message}`);
        const list = await kube.list<Pod>('v1', 'Pod', n.namespace, selector);
        return list.length > 0 ? list : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const jobs = await kube.list('batch/v1', 'Job', n.namespace, selector);
    console.log(`jobs: ${jobs.map((j) => j.metadata.name)}; pods: ${pods.map((p) => p.metadata.name)}`);
    assert.ok(
      jobs.some((j) => j.metadata.name.endsWith('-initdb')),
      jobs.map((j) => j.metadata.name).join(', '),
    );
    for (const pod of pods) assert.equal(pod.status?.phase, 'Pending');
  });

  it("has its instance pod admitted too, once the initdb Job completes (its pod's success faked: no kubelet)", async () => {
    const selector = `job-name=${n.postgres.cluster}-1-initdb`;
    const [initdbPod] = await kube.list<Pod>('v1', 'Pod', n.namespace, selector);
    assert.ok(initdbPod, selector);
    // (Items of a list carry no apiVersion and kind.) What a kubelet would report of a pod whose containers all exited 0.
    const now = new Date().toISOString();
    const terminated = (c: { name: string; image: string }) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
    });
    const status = {
      phase: 'Succeeded',
      containerStatuses: initdbPod.spec.containers.map(terminated),
      initContainerStatuses: (initdbPod.spec.initContainers ?? []).map(terminated),
    };
    const patched = await kube.request(
      'PATCH',
      `${await kube.path({ apiVersion: 'v1', kind: 'Pod', metadata: { ...initdbPod.metadata, namespace: n.namespace } })}/status`,
      { status },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    // The operator creates the instance pod itself (no controller between): a refusal would be its error.
    const instance = `${n.postgres.cluster}-1`;
    const pod = await poll(`Pod ${instance}`, () => getOrUndefined<Pod>('v1', 'Pod', instance), {
      timeoutMs: 60_000,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\noperator log:\n${operator?.logTail(30)}`);
    });
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.metadata.labels?.['cnpg.io/cluster'], n.postgres.cluster);
    assert.doesNotMatch(readFileSync(operator?.log as string, 'utf8'), /violates PodSecurity/);
  });
});
