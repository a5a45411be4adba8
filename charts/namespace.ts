/**
 * The app namespace, its ServiceAccounts with least-privilege RBAC, and the NetworkPolicies.
 *
 * Network rules (ingress only; egress stays open for DNS and the API server):
 * - everything in the namespace is denied by default;
 * - Kafka's client listener (9092) admits only the producer and Flink pods; its internal ports (9090/9091)
 *   admit the cluster's own pods (brokers, entity operator); the Strimzi cluster operator's pods reach those and
 *   the broker agent's port (8443). The listener's `networkPolicyPeers` (kafka.ts) and the operator's
 *   STRIMZI_OPERATOR_NAMESPACE_LABELS (Tiltfile) make Strimzi's own generated policy equally strict: policies
 *   add up, so an open generated policy would undo this one;
 * - PostgreSQL (5432) admits only Flink, its own instances (replication), the migration Job and Grafana's pods
 *   (the Market dashboard, as a read-only role); the instance manager's status port
 *   (8000) admits the CloudNativePG operator's pods and the other instances (their failsafe pings);
 * - Flink pods talk among themselves (RPC, blobs, shuffle on dynamic ports); the Flink operator's pods reach the
 *   JobManager's REST port (8081) to observe, savepoint and stop the job (it deploys the application cluster
 *   through the Kubernetes API, not through REST);
 * - operators are admitted by their pods' labels (OPERATOR_POD_LABELS) in their own namespaces, never a whole
 *   namespace;
 * - the producer's metrics port is open: metrics are not secret, and `npm run status` scrapes them through the
 *   API server's pod proxy;
 * - Prometheus (kube-prometheus-stack's pods in the monitoring namespace) reaches each component's metrics port,
 *   the ports the PodMonitors of monitoring.ts scrape, and nothing else: Strimzi's 9404 on the brokers and the
 *   Kafka Exporter, CloudNativePG's 9187, Flink's reporter 9249 (the producer's port is open anyway). Strimzi's
 *   own generated policies also open 9404 to every pod: they add up with ours.
 * kubectl port-forward enters the pod through the kubelet and is not subject to these policies.
 */
import { ApiObject, Chart, type ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { KUBE_PROMETHEUS_STACK, names, OPERATOR_POD_LABELS, PORTS, podLabels } from './names.ts';
import { migrationJob } from './postgres.ts';

type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown };
const pods = (matchLabels: Record<string, string>): Peer => ({ podSelector: { matchLabels } });
/** Pods with these labels in that namespace only: both selectors in one peer must match. */
const podsIn = (namespace: string, matchLabels: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels },
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
    const strimzi = podsIn(operators.strimzi, OPERATOR_POD_LABELS.strimzi);
    const prometheus = podsIn(operators.monitoring, KUBE_PROMETHEUS_STACK.prometheusPodLabels);
    policy('kafka-ingress', labels.kafka, [
      { from: [pods(labels.producer), pods(labels.flink), pods(labels.viewer)], ports: tcp(PORTS.kafkaTls) },
      {
        from: [pods({ 'strimzi.io/cluster': n.kafka.cluster })],
        ports: tcp(PORTS.kafkaControlPlane, PORTS.kafkaReplication),
      },
      { from: [strimzi], ports: tcp(PORTS.kafkaControlPlane, PORTS.kafkaReplication, PORTS.kafkaAgent) },
      // The brokers' JMX exporter and the Kafka Exporter (both carry these labels) on Strimzi's metrics port.
      { from: [prometheus], ports: tcp(PORTS.strimziMetrics) },
    ]);
    policy('postgres-ingress', labels.postgres, [
      // The job's sinks, the instances themselves (replication), and the schema migration Job.
      {
        from: [pods(labels.flink), pods(labels.postgres), pods(migrationJob(config).podLabels)],
        ports: tcp(PORTS.postgres),
      },
      // With several instances they also ping each other's instance manager (the liveness isolation check,
      // CloudNativePG 1.30 pkg/management/postgres/webserver/probes/pinger.go).
      {
        from: [podsIn(operators.cnpg, OPERATOR_POD_LABELS.cnpg), pods(labels.postgres)],
        ports: tcp(PORTS.postgresStatus),
      },
      { from: [prometheus], ports: tcp(PORTS.postgresMetrics) },
      // Grafana's Market dashboard, as the read-only role (charts/grafana-datasource.ts).
      {
        from: [podsIn(operators.monitoring, KUBE_PROMETHEUS_STACK.grafanaPodLabels)],
        ports: tcp(PORTS.postgres),
      },
    ]);
    policy('flink-ingress', { app: n.flink.deployment }, [
      { from: [pods({ app: n.flink.deployment })] },
      { from: [podsIn(operators.flink, OPERATOR_POD_LABELS.flink)], ports: tcp(PORTS.flinkRest) },
      { from: [prometheus], ports: tcp(PORTS.flinkMetrics) },
    ]);
    policy('producer-metrics-ingress', labels.producer, [{ ports: tcp(config.producer.metricsPort) }]);
  }
}
