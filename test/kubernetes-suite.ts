/**
 * The synthesized manifests of one config against a real control plane (charts/apiserver/): the operators' CRDs
 * installed, every object server-side applied with strict field validation, and every workload's pods admitted
 * under Pod Security "restricted". No kubelet and no operator runs: pods stay Pending, custom resources get no
 * status. Used by test/kubernetes-*.test.ts, one config per file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../charts/apiserver/client.ts';
import { type ControlPlane, startControlPlane } from '../charts/apiserver/control-plane.ts';
import { flinkPods } from '../charts/apiserver/flink-pods.ts';
import { manifests } from '../charts/app.ts';
import { crdDirectory } from '../charts/crds.ts';
import { find, type KubeObject, parseManifests } from '../charts/manifests.ts';
import {
  FLINK_MAIN_CONTAINER,
  KUBE_PROMETHEUS_STACK,
  names,
  OPERATOR_POD_LABELS,
  PORTS,
} from '../charts/names.ts';
import type { PipelineConfig } from '../src/config/index.ts';
import { poll } from './poll.ts';

type Condition = { type: string; status: string; message?: string };
type Pod = KubeObject & {
  spec: { containers: { name: string; volumeMounts?: { name: string }[] }[]; nodeName?: string };
  status?: { phase?: string };
};
type Event = KubeObject & { reason: string; message: string; involvedObject: { kind: string; name: string } };

/** Polls `probe` every 500 ms until it returns a value. */
const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) =>
  poll(what, probe, { timeoutMs });

export function apiServerSuite(label: string, config: PipelineConfig): void {
  const crds = crdDirectory();
  const skip = crds ? false : 'CRD directory absent: set TRADESTREAM_CRDS to ../shared/crds (CI has it)';

  describe(`on a real API server (${label})`, { skip }, () => {
    const n = names(config);
    const objects = parseManifests(manifests(config));
    let plane: ControlPlane;
    let kube: KubeClient;

    before(async () => {
      plane = await startControlPlane();
      kube = new KubeClient(plane.kubeconfig);
    });
    after(async () => plane?.stop());

    it('installs the operator CRDs by server-side apply, with no warning', async () => {
      const files = readdirSync(crds as string).filter((f) => /\.ya?ml$/.test(f));
      const definitions = files.flatMap((f) => parseManifests(readFileSync(join(crds as string, f), 'utf8')));
      assert.ok(definitions.length >= 5);
      for (const crd of definitions.filter((d) => d?.kind)) {
        const { warnings } = await kube.apply(crd);
        assert.deepEqual(warnings, [], `CRD ${crd.metadata.name}`);
      }
      for (const crd of definitions) {
        await until(`CRD ${crd.metadata.name} Established`, 30_000, async () => {
          const live = await kube.get<{ status?: { conditions?: Condition[] } }>(crd);
          return (
            live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
          );
        });
      }
    });

    it('applies every synthesized object by server-side apply, with strict field validation and no warning', async () => {
      const warned: Record<string, string[]> = {};
      for (const o of objects) {
        const { warnings } = await kube.apply(o);
        if (warnings.length > 0) warned[`${o.kind} ${o.metadata.name}`] = warnings;
      }
      assert.deepEqual(warned, {});
      // Strictness is real: an unknown field is refused, in a built-in kind and in a custom resource (for built-in
      // kinds server-side apply refuses it before validation, as "field not declared in schema").
      for (const kind of ['Deployment', 'FlinkDeployment']) {
        const o = structuredClone(find(objects, kind));
        (o.spec as Record<string, unknown>).replicaCount = 1;
        await assert.rejects(
          kube.apply(o, { dryRun: true }),
          /unknown field "spec\.replicaCount"|\.spec\.replicaCount: field not declared in schema/,
          kind,
        );
      }
    });

    // What the server stored, not what we sent. No CNI runs here: that the policies are enforced is not tested.
    it("stores the NetworkPolicies with each operator peer narrowed to the operator's pods", async () => {
      type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown };
      const live = await kube.list<KubeObject & { spec: { ingress?: { from?: Peer[] }[] } }>(
        'networking.k8s.io/v1',
        'NetworkPolicy',
        n.namespace,
      );
      assert.deepEqual(
        live.map((p) => p.metadata.name).sort(),
        objects
          .filter((o) => o.kind === 'NetworkPolicy')
          .map((o) => o.metadata.name)
          .sort(),
      );
      const crossNamespace = live.flatMap((p) =>
        (p.spec.ingress ?? []).flatMap((r) => r.from ?? []).filter((peer) => peer.namespaceSelector),
      );
      // Every peer from another namespace also selects pods: exactly the three operators' pods, Prometheus's and
      // Grafana's (the Market dashboard reads PostgreSQL).
      const keys = (list: unknown[]) => [...new Set(list.map((x) => JSON.stringify(x ?? null)))].sort();
      assert.deepEqual(
        keys(crossNamespace.map((peer) => peer.podSelector?.matchLabels)),
        keys([
          ...Object.values(OPERATOR_POD_LABELS),
          KUBE_PROMETHEUS_STACK.prometheusPodLabels,
          KUBE_PROMETHEUS_STACK.grafanaPodLabels,
        ]),
      );
    });

    it('keeps the Flink Web UI without submission and cancellation, and the pinned PostgreSQL image', async () => {
      const flink = await kube.get<{ spec: { flinkConfiguration: Record<string, string> } }>(
        find(objects, 'FlinkDeployment', n.flink.deployment),
      );
      assert.equal(flink.spec.flinkConfiguration['web.submit.enable'], 'false');
      assert.equal(flink.spec.flinkConfiguration['web.cancel.enable'], 'false');
      const cluster = await kube.get<{ spec: { imageName?: string } }>(
        find(objects, 'Cluster', n.postgres.cluster),
      );
      assert.equal(cluster.spec.imageName, config.kubernetes.postgres.image);
    });

    it('enforces Pod Security "restricted" in the app namespace', async () => {
      const ns = await kube.get(find(objects, 'Namespace'));
      assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      // A plain pod (no seccomp profile, capabilities kept, may run as root) is refused.
      const plain = await kube.dryRunCreate({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'plain', namespace: n.namespace },
        spec: { containers: [{ name: 'plain', image: 'busybox' }] },
      });
      assert.equal(plain.status, 403);
      assert.match(JSON.stringify(plain.body), /violates PodSecurity \\"restricted:latest\\"/);
    });

    it("lets the producer Deployment's ReplicaSet create its pods (controller-manager), with no FailedCreate", async () => {
      const deployment = find(objects, 'Deployment', n.producer.deployment);
      const replicas = config.kubernetes.producer.replicas;
      const selector = Object.entries(
        (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await until(`${replicas} producer pods`, 90_000, async () => {
        const events = await kube.list<Event>('v1', 'Event', n.namespace);
        const failed = events.find(
          (e) => e.reason === 'FailedCreate' && e.involvedObject.kind === 'ReplicaSet',
        );
        if (failed) assert.fail(`ReplicaSet ${failed.involvedObject.name}: ${failed.message}`);
        const list = await kube.list<Pod>('v1', 'Pod', n.namespace, selector);
        return list.length >= replicas ? list : undefined;
      });
      assert.equal(pods.length, replicas);
      // No kubelet: the pods exist, admitted, and never start.
      for (const pod of pods) assert.equal(pod.status?.phase, 'Pending');
    });

    it("admits the Flink JobManager and TaskManager pods as Flink's own factories build them", async () => {
      const live = await kube.get(find(objects, 'FlinkDeployment', n.flink.deployment));
      const pods = flinkPods(live);
      for (const [role, pod] of Object.entries(pods) as [string, Pod][]) {
        // Built from the FlinkDeployment's pod template: our volumes are on Flink's main container.
        const main = pod.spec.containers.find((c) => c.name === FLINK_MAIN_CONTAINER);
        assert.ok(
          main?.volumeMounts?.some((m) => m.name === 'sql'),
          `${role}: the pod template's SQL mount`,
        );
        assert.equal(pod.metadata.labels?.component, role);
        // What the PodMonitor scrapes: these pods by its selector, the reporter's port declared by its name.
        const monitor = find(objects, 'PodMonitor', n.flink.deployment).spec as {
          selector: { matchLabels: Record<string, string> };
          podMetricsEndpoints: { port: string }[];
        };
        for (const [k, v] of Object.entries(monitor.selector.matchLabels))
          assert.equal(pod.metadata.labels?.[k], v, `${role}: label ${k}`);
        const ports = (main as { ports?: { name?: string; containerPort: number }[] }).ports ?? [];
        assert.equal(
          ports.find((p) => p.name === monitor.podMetricsEndpoints[0]?.port)?.containerPort,
          PORTS.flinkMetrics,
          `${role}: ${JSON.stringify(ports)}`,
        );
        const created = await kube.dryRunCreate(pod);
        assert.equal(created.status, 201, `${role}: ${JSON.stringify(created.body)}`);
        assert.deepEqual(created.warnings, [], role);
      }
    });
  });
}
