/**
 * The app namespace, its ServiceAccounts with least-privilege RBAC, and the NetworkPolicies.
 *
 * Network rules (ingress only; egress stays open for DNS and the API server):
 * - everything in the namespace is denied by default;
 * - Kafka's client listener (9092) admits only the producer and Flink pods; its internal ports (9090/9091)
 *   admit the cluster's own pods (brokers, entity operator) and the Strimzi operator's namespace. The listener's
 *   `networkPolicyPeers` (kafka.ts) make Strimzi's own generated policy equally strict: policies add up, so an
 *   open generated policy would undo this one;
 * - PostgreSQL (5432) admits only Flink and its own instances (replication); the CloudNativePG operator
 *   reaches the instance manager's status port (8000);
 * - Flink pods talk among themselves (RPC, blobs, shuffle on dynamic ports); the Flink operator reaches the
 *   JobManager's REST port (8081) to submit, observe and savepoint the job;
 * - the producer's metrics port is open: metrics are not secret, and `npm run status` scrapes them through the
 *   API server's pod proxy.
 * kubectl port-forward enters the pod through the kubelet and is not subject to these policies.
 */
import { ApiObject, Chart, type ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { names, PORTS, podLabels } from './names.ts';

type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown };
const pods = (matchLabels: Record<string, string>): Peer => ({ podSelector: { matchLabels } });
const namespace = (name: string): Peer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
});
const tcp = (...ports: number[]) =>
  ports.map((port) => ({ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(port) }));

export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    const n = names(config);
    const labels = podLabels(config);
    const operators = config.kubernetes.operatorNamespaces;

    // Pod Security "restricted" for every pod in the namespace (enforce), and a warning when a workload's pod
    // template would break it (warn: kubectl apply prints it, before a ReplicaSet fails to create pods).
    const ns = new kplus.Namespace(this, 'namespace', {
      metadata: {
        name: n.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
    // The chart's namespace applies to every object in it; a Namespace is cluster-scoped.
    ApiObject.of(ns).addJsonPatch(JsonPatch.remove('/metadata/namespace'));

    // The producer needs no API access at all.
    new kplus.ServiceAccount(this, 'producer-sa', {
      metadata: { name: n.producer.serviceAccount },
      automountToken: false,
    });

    // Flink's JobManager creates and deletes its TaskManager pods, keeps HA metadata in ConfigMaps and sets its
    // Deployment as the owner of the pods it creates: nothing else.
    const flinkSa = new kplus.ServiceAccount(this, 'flink-sa', {
      metadata: { name: n.flink.serviceAccount },
      automountToken: true,
    });
    const flinkRole = new kplus.Role(this, 'flink-role', { metadata: { name: n.flink.serviceAccount } });
    const rw = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
    flinkRole.allow(rw, kplus.ApiResource.PODS, kplus.ApiResource.CONFIG_MAPS);
    flinkRole.allow(['get', 'list', 'watch'], kplus.ApiResource.DEPLOYMENTS);
    flinkRole.allow(
      ['update'],
      kplus.ApiResource.custom({ apiGroup: 'apps', resourceType: 'deployments/finalizers' }),
    );
    new kplus.RoleBinding(this, 'flink-binding', {
      metadata: { name: n.flink.serviceAccount },
      role: flinkRole,
    }).addSubjects(flinkSa);

    const policy = (name: string, podSelector: Record<string, string>, ingress: unknown[]) =>
      new kplus.k8s.KubeNetworkPolicy(this, name, {
        metadata: { name },
        spec: {
          podSelector: { matchLabels: podSelector },
          policyTypes: ['Ingress'],
          ingress: ingress as never,
        },
      });

    new kplus.k8s.KubeNetworkPolicy(this, 'default-deny-ingress', {
      metadata: { name: 'default-deny-ingress' },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
    policy('kafka-ingress', labels.kafka, [
      { from: [pods(labels.producer), pods(labels.flink)], ports: tcp(PORTS.kafkaPlain) },
      {
        from: [pods({ 'strimzi.io/cluster': n.kafka.cluster }), namespace(operators.strimzi)],
        ports: tcp(9090, 9091),
      },
    ]);
    policy('postgres-ingress', labels.postgres, [
      { from: [pods(labels.flink), pods(labels.postgres)], ports: tcp(PORTS.postgres) },
      { from: [namespace(operators.cnpg)], ports: tcp(PORTS.postgresStatus) },
    ]);
    policy('flink-ingress', { app: n.flink.deployment }, [
      { from: [pods({ app: n.flink.deployment })] },
      { from: [namespace(operators.flink)], ports: tcp(PORTS.flinkRest) },
    ]);
    policy('producer-metrics-ingress', labels.producer, [{ ports: tcp(config.producer.metricsPort) }]);
  }
}
