/**
 * Every name one component uses to find another, derived from the config in one place: the charts, the status
 * command, the Tiltfile (through `charts/main.ts --settings`) and the tests read them from here.
 */
import type { PipelineConfig } from '../src/config/index.ts';
import { KAFKA_USERS } from '../src/pipeline/kafka-access.ts';

/** Container ports of the operands, as their operators define them. */
/** The mount directory of the PostgreSQL CA certificate, in every pod that connects to PostgreSQL. */
export const POSTGRES_CA_DIR = '/etc/tradestream/postgres-ca';
/** The mount directory of Strimzi's cluster CA certificate, in every pod that connects to Kafka. */
export const KAFKA_CA_DIR = '/etc/tradestream/kafka-ca';

export const PORTS = {
  /** The clients' listener: TLS with SCRAM-SHA-512 (the only one clients may use). */
  kafkaTls: 9093,
  /** Strimzi's broker-internal listeners (KafkaCluster.CONTROLPLANE_PORT, REPLICATION_PORT) and its agent. */
  kafkaControlPlane: 9090,
  kafkaReplication: 9091,
  kafkaAgent: 8443,
  postgres: 5432,
  /** The CloudNativePG instance manager's status endpoint, polled by the operator and the other instances. */
  postgresStatus: 8000,
  flinkRest: 8081,
  /** Flink's Prometheus reporter (metrics.reporter.prom.port), on the JobManager and every TaskManager. */
  flinkMetrics: 9249,
  /** Strimzi's metrics port on the brokers (JMX exporter) and the Kafka Exporter (MetricsModel.METRICS_PORT). */
  strimziMetrics: 9404,
  /** CloudNativePG's exporter in every instance pod. */
  postgresMetrics: 9187,
} as const;

/**
 * Names of the metrics ports, as the pods declare them (a PodMonitor selects a port by name):
 * - producer: charts/producer.ts; flink: the FlinkDeployment's pod template (charts/flink.ts), both ours;
 * - strimzi: `tcp-prometheus` (Strimzi 1.2.0 MetricsModel.METRICS_PORT_NAME, on the brokers' and the Kafka
 *   Exporter's container: KafkaCluster, KafkaExporter.getContainerPortList);
 * - postgres: `metrics` (CloudNativePG 1.30.0, the instance pod's exporter port; its documentation's
 *   "Monitoring" page names it too).
 */
export const METRICS_PORT_NAMES = {
  producer: 'metrics',
  flink: 'metrics',
  strimzi: 'tcp-prometheus',
  postgres: 'metrics',
} as const;

/**
 * kube-prometheus-stack, which the Tiltfile installs into `operatorNamespaces.monitoring` under this release name.
 * Its Prometheus pods carry `app.kubernetes.io/name: prometheus`: the prometheus-operator (v0.93, the chart's)
 * sets it on the pods of every Prometheus it runs (pkg/prometheus statefulset labels, with
 * `app.kubernetes.io/managed-by: prometheus-operator`); the NetworkPolicies admit those pods to the metrics ports.
 */
export const KUBE_PROMETHEUS_STACK = {
  chart: 'kube-prometheus-stack',
  version: '88.5.3',
  repo: 'https://prometheus-community.github.io/helm-charts',
  release: 'kube-prometheus-stack',
  prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
  /**
   * Grafana's pods, as the chart's grafana subchart (12.11.1, _helpers.tpl grafana.selectorLabels) labels them
   * while no nameOverride is set: what the PostgreSQL NetworkPolicy admits for the Market dashboard.
   */
  grafanaPodLabels: { 'app.kubernetes.io/name': 'grafana' },
  /**
   * Grafana's datasource sidecar loads Secrets (and ConfigMaps) with this label from the release's namespace
   * (kube-prometheus-stack values grafana.sidecar.datasources.label/labelValue; the subchart's searchNamespace
   * defaults to its own namespace).
   */
  datasourceLabel: { grafana_datasource: '1' },
  /**
   * Prometheus' Service (`<fullname>-prometheus`, templates/prometheus/service.yaml) and its port's name
   * (prometheus.prometheusSpec.portName), which `npm run status` queries through the API server's proxy.
   */
  prometheusService: 'kube-prometheus-stack-prometheus',
  prometheusPortName: 'http-web',
  /** Grafana's Service (`<release>-grafana` while the release name contains the chart name) and its port. */
  grafanaService: 'kube-prometheus-stack-grafana',
  grafanaPort: 80,
} as const;

/** The container the Flink operator puts Flink in; pod-template mounts must target this name. */
export const FLINK_MAIN_CONTAINER = 'flink-main-container';
/** Where the generated SQL script is mounted in the Flink pods. */
export const SQL_MOUNT_DIR = '/opt/flink/sql';
export const SQL_FILE = 'pipeline.sql';
/** The runner jar the flink/Dockerfile puts in usrlib (flink/pom.xml's finalName). */
export const RUNNER_JAR = 'local:///opt/flink/usrlib/sql-runner.jar';
/** Checkpoints, savepoints and HA metadata: one volume, mounted at the same path on every Flink pod. */
export const FLINK_STATE_DIR = '/flink-data';
/** The uid the official Flink image runs as. */
export const FLINK_UID = 9999;
/** The Strimzi operator chart the Tiltfile installs, and the uid its images run as (their USER). */
export const STRIMZI_VERSION = '1.2.0';
export const STRIMZI_UID = 1001;
/** The uid of the `node` user in the official Node image (the producer image's USER). */
export const PRODUCER_UID = 1000;

export function names(config: PipelineConfig) {
  const k = config.kubernetes;
  const bootstrapService = `${k.kafka.cluster}-kafka-bootstrap`;
  const rwService = `${k.postgres.cluster}-rw`;
  return {
    namespace: k.namespace,
    kafka: {
      cluster: k.kafka.cluster,
      nodePool: 'dual-role',
      bootstrap: `${bootstrapService}.${k.namespace}.svc:${PORTS.kafkaTls}`,
      /** Strimzi's cluster CA certificate (`ca.crt`), which signs the brokers' certificates. */
      /** The clients' only way in (src/config/kafka-connection.ts): SCRAM-SHA-512 over verified TLS. */
      securityProtocol: 'sasl_ssl' as const,
      caSecret: `${k.kafka.cluster}-cluster-ca-cert`,
      caFile: `${KAFKA_CA_DIR}/ca.crt`,
      /** One KafkaUser per client; Strimzi's user operator writes its Secret (`password`, `sasl.jaas.config`) under the same name. */
      users: KAFKA_USERS,
      /** Tilt's alerts tool: Kafka's console consumer in a pod of its own. */
      viewer: 'tradestream-alerts-viewer',
      /** The JMX exporter's rules for the brokers (src/config/kafka-metrics.ts), for Strimzi's metricsConfig. */
      metricsConfigMap: `${k.kafka.cluster}-kafka-metrics`,
      metricsConfigKey: 'kafka-metrics-config.yaml',
      /** The Deployment Strimzi makes for `spec.kafkaExporter` (KafkaExporterResources.deploymentName). */
      exporter: `${k.kafka.cluster}-kafka-exporter`,
    },
    postgres: {
      cluster: k.postgres.cluster,
      /** The primary's host name, which its server certificate names (see jdbcUrl). */
      rwHost: `${rwService}.${k.namespace}.svc`,
      appSecret: `${k.postgres.cluster}-app`,
      /** The ConfigMap with the bootstrap DDL. */
      schemaConfigMap: `${k.postgres.cluster}-schema`,
      schemaKey: 'schema.sql',
      /**
       * The dashboards' read-only role's credentials (basic-auth: username, password), made at deploy time by
       * charts/grafana-datasource.ts, never in a manifest; CloudNativePG sets the role's password from it.
       */
      readerSecret: `${k.postgres.cluster}-grafana-reader`,
      /** The exporter's custom queries (sink freshness), `spec.monitoring.customQueriesConfigMap`. */
      monitoringConfigMap: `${k.postgres.cluster}-monitoring`,
      monitoringKey: 'queries.yaml',
      /** CloudNativePG's CA Secret (`ca.crt` is the certificate; it also holds the CA's key: mount the one item). */
      caSecret: `${k.postgres.cluster}-ca`,
      /** Where a pod that talks to PostgreSQL finds that certificate, to verify the server (verify-full). */
      caFile: `${POSTGRES_CA_DIR}/ca.crt`,
      // TLS, verified: the server certificate names `<cluster>-rw.<namespace>.svc` (CloudNativePG's
      // GetClusterAltDNSNames), signed by the cluster's CA.
      jdbcUrl: `jdbc:postgresql://${rwService}.${k.namespace}.svc:${PORTS.postgres}/${k.postgres.database}?sslmode=verify-full&sslrootcert=${POSTGRES_CA_DIR}/ca.crt`,
    },
    flink: {
      deployment: k.flink.name,
      restService: `${k.flink.name}-rest`,
      serviceAccount: `${k.flink.name}`,
      sqlConfigMap: `${k.flink.name}-sql`,
      stateClaim: `${k.flink.name}-state`,
    },
    producer: {
      deployment: k.producer.name,
      serviceAccount: k.producer.name,
      metricsService: `${k.producer.name}-metrics`,
    },
    images: {
      producer: `${k.producer.image}:${k.imageTag}`,
      flink: `${k.flink.image}:${k.imageTag}`,
      /** Strimzi's Kafka image for the cluster's Kafka version (the alerts viewer's console consumer). */
      kafka: `quay.io/strimzi/kafka:${STRIMZI_VERSION}-kafka-${k.kafka.version}`,
    },
  };
}
export type Names = ReturnType<typeof names>;

/** Pod labels the NetworkPolicies select on. Strimzi, CloudNativePG and the Flink operator set the operands'. */
export function podLabels(config: PipelineConfig) {
  const n = names(config);
  return {
    producer: { 'app.kubernetes.io/name': n.producer.deployment },
    viewer: { 'app.kubernetes.io/name': n.kafka.viewer },
    /** Set by the Flink operator on the JobManager and TaskManager pods. */
    flink: { app: n.flink.deployment, type: 'flink-native-kubernetes' },
    /** Set by Strimzi on the pods of the Kafka resource: brokers, entity operator, Kafka Exporter. */
    kafka: { 'strimzi.io/cluster': n.kafka.cluster, 'strimzi.io/kind': 'Kafka' },
    /**
     * Set by Strimzi 1.2.0 on the broker pods only (`strimzi.io/name` is KafkaResources.kafkaComponentName, on
     * every node pool's pods; the bootstrap Service selects by it) and on the Kafka Exporter's pod
     * (KafkaExporterResources.componentName): what the PodMonitors select.
     */
    kafkaBrokers: {
      'strimzi.io/cluster': n.kafka.cluster,
      'strimzi.io/kind': 'Kafka',
      'strimzi.io/name': `${n.kafka.cluster}-kafka`,
    },
    kafkaExporter: {
      'strimzi.io/cluster': n.kafka.cluster,
      'strimzi.io/kind': 'Kafka',
      'strimzi.io/name': n.kafka.exporter,
    },
    /** Set by CloudNativePG on the instance pods. */
    postgres: { 'cnpg.io/cluster': n.postgres.cluster },
  };
}

/**
 * Labels of the operators' own pods, as their pinned Helm charts set them (what the NetworkPolicies admit):
 * - Strimzi 1.2.0, templates/060-Deployment-strimzi-cluster-operator.yaml: `strimzi.io/kind: cluster-operator`
 *   (also the peer of the NetworkPolicy Strimzi generates for the brokers, KafkaCluster.generateNetworkPolicy);
 * - CloudNativePG chart 0.29.0, templates/deployment.yaml: `app.kubernetes.io/name` is the chart's name;
 * - Flink operator chart 1.15.0, templates/controller/deployment.yaml: `app.kubernetes.io/name` likewise.
 * Each holds while the chart's nameOverride is unset (the Tiltfile sets none).
 */
export const OPERATOR_POD_LABELS = {
  strimzi: { 'strimzi.io/kind': 'cluster-operator' },
  cnpg: { 'app.kubernetes.io/name': 'cloudnative-pg' },
  flink: { 'app.kubernetes.io/name': 'flink-kubernetes-operator' },
} as const;
