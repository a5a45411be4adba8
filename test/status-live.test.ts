/**
 * `npm run status` against live API objects on a real control plane (charts/apiserver/): the operators' CRDs
 * installed and the synthesized manifests applied, then each custom resource's status subresource written the way
 * its operator writes it (whole, from the status blocks of src/status/fixtures/, which are checked against the
 * CRDs' status schemas) and the producer pods' status the way a kubelet writes it, from which the real
 * controller-manager derives the producer Deployment's status. No operator and no kubelet run here: this test
 * plays them, and the real command (a child process on the control plane's kubeconfig) reads the result.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, KubeError } from '../charts/apiserver/client.ts';
import { type ControlPlane, startControlPlane } from '../charts/apiserver/control-plane.ts';
import { manifests } from '../charts/app.ts';
import { crdDirectory } from '../charts/crds.ts';
import { find, type KubeObject, parseManifests } from '../charts/manifests.ts';
import { KUBE_PROMETHEUS_STACK, names, podLabels } from '../charts/names.ts';
import { loadConfig } from '../src/config/index.ts';
import { poll } from './poll.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'src', 'status', 'fixtures');
type Status = Record<string, unknown> & { observedGeneration?: number };
type Live = KubeObject & { metadata: { generation?: number }; status?: Status };
const fixture = (file: string): Live & { items?: Live[] } =>
  JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));

// The API server reads a pod's /metrics by connecting to the pod's IP, and refuses loopback addresses: the
// producer pods "run" on this machine's first non-loopback IPv4 address, where this test serves their metrics.
const podIP = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
const crds = crdDirectory();
const skip = !crds
  ? 'CRD directory absent: set TRADESTREAM_CRDS to ../shared/crds (CI has it)'
  : !podIP && 'no non-loopback IPv4 address for the pod proxy to reach the producer metrics';

/** Polls `probe` every 250 ms until it returns a value. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) =>
  poll(what, probe, { timeoutMs, intervalMs: 250 });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('npm run status on a real API server', { skip }, () => {
  let plane: ControlPlane;
  let kube: KubeClient;
  let metrics: Server;
  let env: Record<string, string>;
  let objects: KubeObject[];
  let n: ReturnType<typeof names>;
  let producerSelector: string;
  const running = new Set<ChildProcess>();

  /** The real command, as a person runs it; `output` shows its stdout so far. */
  function status(args: string[] = [], kubeconfig = plane.kubeconfig) {
    const child = spawn('npm', ['run', '--silent', 'status', '--', ...args], {
      cwd: ROOT,
      env: { ...env, KUBECONFIG: kubeconfig },
      // Its own process group, so that a test failing mid-run can stop npm and the command under it.
      detached: true,
    });
    running.add(child);
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      run.stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      run.stderr += text;
    });
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code) => {
        running.delete(child);
        resolve({ ...run, code });
      }),
    );
    return { done, output: () => run.stdout };
  }

  /** Replaces the object's status, as the operators do, reporting the live generation as the one reconciled. */
  async function writeStatus(o: KubeObject, status: Status | undefined) {
    assert.ok(status, `${o.kind} ${o.metadata.name}: no status to write`);
    const live = await kube.get<Live>(o);
    const written =
      status.observedGeneration === undefined
        ? status
        : { ...status, observedGeneration: live.metadata.generation };
    // Strict: a status field the CRD does not declare is refused, not silently pruned.
    const path = `${await kube.path(o)}/status?fieldValidation=Strict`;
    const patch = [{ op: 'add', path: '/status', value: written }];
    const r = await kube.request('PATCH', path, patch, 'application/json-patch+json');
    if (r.status !== 200) throw new KubeError(r.status, r.body, `status of ${o.kind} ${o.metadata.name}`);
  }

  const kafka = (file: string) => writeStatus(find(objects, 'Kafka'), fixture(file).status);
  /** Each topic of the fixture list that has a status; the others keep theirs (none, on a new topic). */
  const topics = async (file: string) => {
    for (const t of fixture(file).items ?? [])
      if (t.status) await writeStatus(find(objects, 'KafkaTopic', t.metadata.name), t.status);
  };
  const postgres = (file: string) => writeStatus(find(objects, 'Cluster'), fixture(file).status);
  const flink = (file: string) => writeStatus(find(objects, 'FlinkDeployment'), fixture(file).status);

  // A list's items carry no apiVersion and kind.
  const producerPods = async () =>
    (await kube.list<Live>('v1', 'Pod', n.namespace, producerSelector)).map(
      (pod) => ({ ...pod, apiVersion: 'v1', kind: 'Pod' }) as Live,
    );
  /** Every producer pod gets the status a kubelet wrote for the fixture's first pod, on this machine's IP. */
  async function kubelet(file: string) {
    const status = fixture(file).items?.[0]?.status;
    for (const pod of await producerPods()) {
      await writeStatus(pod, { ...pod.status, ...status, podIP, podIPs: [{ ip: podIP }] });
    }
  }
  /** The controller-manager has counted the producer pods' readiness into the Deployment's status. */
  const deploymentCounts = (ready: number) =>
    until(`${ready} ready producer replicas`, async () => {
      const d = await kube.get<Live>(find(objects, 'Deployment', n.producer.deployment));
      return (d.status?.readyReplicas ?? 0) === ready || undefined;
    });

  before(async () => {
    plane = await startControlPlane();
    kube = new KubeClient(plane.kubeconfig);
    metrics = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(readFileSync(join(FIXTURES, 'producer-metrics.txt')));
    });
    await new Promise<void>((done) => metrics.listen(0, podIP, done));
    // The command reads the same config from its environment: nothing else from this shell reaches it.
    const configEnv = {
      PRODUCER_METRICS_PORT: String((metrics.address() as { port: number }).port),
      KUBERNETES_PRODUCER_REPLICAS: '2',
    };
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_update_notifier: 'false' };
    Object.assign(env, configEnv);
    const config = loadConfig({ env: configEnv });
    n = names(config);
    producerSelector = Object.entries(podLabels(config).producer)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    objects = parseManifests(manifests(config));

    const files = readdirSync(crds as string).filter((f) => /\.ya?ml$/.test(f));
    const definitions = files
      .flatMap((f) => parseManifests(readFileSync(join(crds as string, f), 'utf8')))
      .filter((d) => d?.kind);
    for (const crd of definitions) await kube.apply(crd);
    for (const crd of definitions) {
      await until(`CRD ${crd.metadata.name} Established`, async () => {
        const live = await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(crd);
        return (
          live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
        );
      });
    }
    for (const o of objects) await kube.apply(o);
    await until('2 producer pods', async () => ((await producerPods()).length === 2 ? true : undefined));
  });

  after(async () => {
    for (const child of running) if (child.pid) process.kill(-child.pid, 'SIGKILL');
    metrics?.close();
    await plane?.stop();
  });

  // This control plane runs no Prometheus: the figures line (lag and rates) says so, with the API server's answer.
  const NO_PROMETHEUS = `   pipeline  no figures: HTTP 404: services "${KUBE_PROMETHEUS_STACK.prometheusService}" not found`;

  it('reports every component progressing before any operator has written a status, exit 1', async () => {
    const r = await status().done;
    assert.equal(
      r.stdout,
      [
        '.. kafka     progressing  cluster: waiting for the operator to reconcile',
        '.. postgres  progressing  waiting for the operator, 0/1 instances ready',
        '.. flink     progressing  JobManager unknown, job UNKNOWN, lifecycle unknown',
        '.. producer  progressing  0/2 replicas ready',
        NO_PROMETHEUS,
        '',
      ].join('\n'),
    );
    assert.match(
      r.stderr,
      /^not ready \(context test\): kafka progressing: cluster: waiting .*; producer progressing: 0\/2 replicas ready\n$/,
    );
    assert.equal(r.code, 1);
  });

  it('reports progressing while the operators deploy, then topics not ready yet, exit 1', async () => {
    await kafka('kafka-progressing.json');
    await postgres('postgres-progressing.json');
    await flink('flink-progressing.json');
    const r = await status().done;
    assert.equal(
      r.stdout,
      [
        '.. kafka     progressing  cluster: Creating: Kafka cluster is being deployed',
        '.. postgres  progressing  Setting up primary, 0/1 instances ready',
        '.. flink     progressing  JobManager DEPLOYING, job RECONCILING, lifecycle DEPLOYED',
        '.. producer  progressing  0/2 replicas ready',
        NO_PROMETHEUS,
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 1);

    await kafka('kafka-ready.json');
    await topics('kafkatopics-progressing.json');
    const partial = await status(['--only', 'kafka']).done;
    assert.equal(
      partial.stdout,
      '.. kafka     progressing  cluster Ready; topics not ready yet: trades-07, alerts, trades-dlq\n',
    );
    assert.equal(partial.code, 1);
  });

  it('reports failed with the reason each operator and the kubelet give, exit 1', async () => {
    await topics('kafkatopics-failed.json');
    await postgres('postgres-failed.json');
    await flink('flink-failed.json');
    await kubelet('producer-pods-failed.json');
    const [first] = await producerPods();
    const r = await status().done;
    assert.equal(
      r.stdout,
      [
        '!! kafka     failed       topic alerts: KafkaError: org.apache.kafka.common.errors.PolicyViolationException: Topic replication factor must be 1 or less',
        '!! postgres  failed       Cluster is in an unrecoverable state, needs manual intervention: Missing primary PVC tradestream-db-1',
        '!! flink     failed       JobManager ERROR, job RECONCILING, lifecycle FAILED: back-off 5m0s restarting failed container=flink-main-container pod=tradestream-pipeline-5d8f7c9b6-x2x9k_tradestream(0c9e1d2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f)',
        `!! producer  failed       ${first?.metadata.name}: ImagePullBackOff: Back-off pulling image "tradestream-producer:dev": ErrImagePull: failed to pull and unpack image "docker.io/library/tradestream-producer:dev": pull access denied, repository does not exist or may require authorization`,
        NO_PROMETHEUS,
        '',
      ].join('\n'),
    );
    assert.equal(r.code, 1);

    // A failed cluster is reported before its topics.
    await kafka('kafka-failed.json');
    const cluster = await status(['--only', 'kafka']).done;
    assert.equal(
      cluster.stdout,
      '!! kafka     failed       cluster: UnsupportedKafkaVersionException: Unsupported Kafka.spec.kafka.version: 3.9.0. Supported versions are: [4.2.0, 4.3.0, 4.3.1]\n',
    );
    assert.equal(cluster.code, 1);
  });

  const READY = [
    'ok kafka     ready        cluster Ready, 10 topics Ready',
    'ok postgres  ready        Cluster in healthy state, 1/1 instances ready',
    'ok flink     ready        JobManager READY, job RUNNING, lifecycle STABLE',
    // Each pod's rate gauge, read through the API server's pod proxy from this test's metrics server.
    'ok producer  ready        2/2 replicas ready, 1997 trades/s (998 + 998)',
  ];

  it('with --wait, follows the components until the operators report them ready, exit 0', async () => {
    const run = status(['--wait', '--interval', '1', '--timeout', '120']);
    await until('the first report', async () => (run.output().split('\n').length > 4 ? true : undefined));
    assert.match(run.output(), /^!! kafka {5}failed {7}cluster: UnsupportedKafkaVersionException/);
    await kafka('kafka-ready.json');
    await topics('kafkatopics-ready.json');
    await postgres('postgres-ready.json');
    await flink('flink-ready.json');
    await kubelet('producer-pods-ready.json');
    const r = await run.done;
    const lines = r.stdout.trimEnd().split('\n');
    // Each line is printed when it changes; the producer may go ready a poll after its pods do.
    for (const line of READY) assert.ok(lines.slice(4).includes(line), `${line}\nin\n${r.stdout}`);
    assert.equal(lines.at(-1), 'ready: kafka, postgres, flink, producer (context test)');
    assert.deepEqual([r.code, r.stderr], [0, '']);
  });

  it('reports every component ready, with the producers rate, exit 0', async () => {
    await deploymentCounts(2);
    const r = await status().done;
    assert.equal(
      r.stdout,
      [...READY, NO_PROMETHEUS, 'ready: kafka, postgres, flink, producer (context test)', ''].join('\n'),
    );
    assert.deepEqual([r.code, r.stderr], [0, '']);
  });

  it('reports progressing again while a spec change is not reconciled yet', async () => {
    // A spec change raises the generation; the operator's status still reports the one before.
    const changed = structuredClone(find(objects, 'Kafka'));
    const spec = changed.spec as { kafka: { config: Record<string, unknown> } };
    spec.kafka.config['group.initial.rebalance.delay.ms'] = 3000;
    await kube.apply(changed);
    const stale = await status(['--only', 'kafka']).done;
    assert.deepEqual(
      [stale.code, stale.stdout],
      [1, '.. kafka     progressing  cluster: waiting for the operator to reconcile\n'],
    );
    await kafka('kafka-ready.json');
    const reconciled = await status(['--only', 'kafka']).done;
    assert.deepEqual([reconciled.code, reconciled.stdout.split('\n')[0]], [0, READY[0]]);
  });

  it('names the API server and its answer when it refuses the request, exit 1', async () => {
    // The same cluster without the client certificate: an anonymous user, whom RBAC refuses.
    const anonymous = JSON.parse(readFileSync(plane.kubeconfig, 'utf8'));
    anonymous.users = [{ name: 'admin', user: {} }];
    const kubeconfig = join(plane.dir, 'anonymous.kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify(anonymous));
    const r = await status(['--only', 'kafka'], kubeconfig).done;
    assert.deepEqual(
      [r.code, r.stdout, r.stderr],
      [
        1,
        '',
        `the API server ${plane.server} (context test) answered HTTP 403: kafkas.kafka.strimzi.io "tradestream" is forbidden: User "system:anonymous" cannot get resource "kafkas" in API group "kafka.strimzi.io" in the namespace "tradestream"\n`,
      ],
    );
  });
});
