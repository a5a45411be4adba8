/**
 * Every metric the dashboards query, by the component that exports it, each name taken from the code that defines
 * it where that code is ours (the producer, the Kafka exporter rules, the PostgreSQL sink, the CloudNativePG
 * custom query) and from the upstream source where it is not. `local` says whether the local stack exports it
 * (test/dashboards-metrics.test.ts then evaluates every query on it through a real Prometheus); where not, why.
 */
import { kafkaTopicMetric } from '../../src/config/kafka-metrics.ts';
import { PRODUCER_METRICS } from '../../src/producer/metrics.ts';
import { SINK_FRESHNESS_METRIC } from '../postgres.ts';

export interface MetricSource {
  /** Who exports these series. */
  readonly component: string;
  /** Where the names come from. */
  readonly source: string;
  /** true, or why the local stack cannot export them. */
  readonly local: true | string;
  readonly names: Readonly<Record<string, string>>;
}

/**
 * Flink's Prometheus reporter names a metric `flink_<scope>_<name>`: the scope of an operator metric is
 * taskmanager_job_task_operator, of a task metric taskmanager_job_task, of a job metric jobmanager_job (Flink 2.2
 * docs "Metrics", PrometheusReporter's scope formats). The metric names are Flink 2.2.1's MetricNames
 * (flink-runtime org.apache.flink.runtime.metrics.MetricNames; pendingRecords: flink-connector-base's
 * SourceReaderMetricGroup; numLateRecordsDropped: the window operators) and, for the sink, ours.
 */
const FLINK_OPERATOR = 'flink_taskmanager_job_task_operator_';
const FLINK_TASK = 'flink_taskmanager_job_task_';
const FLINK_JOB = 'flink_jobmanager_job_';

export const METRICS = {
  producer: {
    component: 'producer (prom-client)',
    source: 'src/producer/metrics.ts',
    local: true,
    names: { records: PRODUCER_METRICS.records },
  },
  kafka: {
    component: 'Kafka brokers (JMX exporter)',
    source: 'src/config/kafka-metrics.ts (the rules both Strimzi and the local broker run)',
    local: true,
    names: {
      bytesIn: kafkaTopicMetric('BytesIn'),
      bytesOut: kafkaTopicMetric('BytesOut'),
      messagesIn: kafkaTopicMetric('MessagesIn'),
    },
  },
  flink: {
    component: 'Flink (Prometheus reporter)',
    source: 'Flink 2.2.1 MetricNames; rowsWritten/rowsRefused: flink/.../postgres/PostgresSinkWriter.java',
    local: true,
    names: {
      pendingRecords: `${FLINK_OPERATOR}pendingRecords`,
      recordsInPerSecond: `${FLINK_OPERATOR}numRecordsInPerSecond`,
      recordsOutPerSecond: `${FLINK_OPERATOR}numRecordsOutPerSecond`,
      lateRecordsDropped: `${FLINK_OPERATOR}numLateRecordsDropped`,
      rowsWritten: `${FLINK_OPERATOR}rowsWritten`,
      rowsRefused: `${FLINK_OPERATOR}rowsRefused`,
      busyTime: `${FLINK_TASK}busyTimeMsPerSecond`,
      backPressuredTime: `${FLINK_TASK}backPressuredTimeMsPerSecond`,
      checkpointDuration: `${FLINK_JOB}lastCheckpointDuration`,
      checkpointSize: `${FLINK_JOB}lastCheckpointSize`,
      failedCheckpoints: `${FLINK_JOB}numberOfFailedCheckpoints`,
      restarts: `${FLINK_JOB}numRestarts`,
    },
  },
  kafkaExporter: {
    component: "Strimzi's Kafka Exporter",
    // Strimzi 1.2.0's Kafka image bundles danielqsj/kafka_exporter 1.9.0 (docker-images/kafka-based/kafka/
    // Dockerfile, KAFKA_EXPORTER_VERSION); its kafka_exporter.go builds consumergroupLag as
    // BuildFQName("kafka", "consumergroup", "lag") with labels consumergroup, topic, partition.
    source: 'danielqsj/kafka_exporter v1.9.0 kafka_exporter.go (consumergroupLag)',
    local: 'no Kafka Exporter in the local stack (Strimzi deploys it on Kubernetes only)',
    names: { groupLag: 'kafka_consumergroup_lag' },
  },
  postgres: {
    component: "CloudNativePG's exporter (custom query)",
    source: 'charts/postgres.ts customQueries (cnpg_<query>_<column>)',
    local: 'CloudNativePG runs its exporter inside the instance pods only; its SQL is run locally instead',
    names: { freshness: SINK_FRESHNESS_METRIC },
  },
  cadvisor: {
    component: "kubelet's cAdvisor",
    // container_cpu_usage_seconds_total (counter) and container_memory_working_set_bytes (gauge); the kubelet's
    // /metrics/cadvisor labels them with namespace, pod and container.
    source: 'google/cadvisor v0.60.5 lib/metrics/prometheus.go',
    local: 'no kubelet on one machine',
    names: {
      cpu: 'container_cpu_usage_seconds_total',
      memory: 'container_memory_working_set_bytes',
    },
  },
} as const satisfies Record<string, MetricSource>;

/** Every metric name any dashboard may use, with the source that exports it. */
export function knownMetrics(): Map<string, MetricSource> {
  const known = new Map<string, MetricSource>();
  for (const source of Object.values(METRICS) as MetricSource[]) {
    for (const name of Object.values(source.names)) known.set(name, source);
  }
  return known;
}
