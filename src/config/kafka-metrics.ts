/**
 * The Prometheus JMX exporter's configuration for the Kafka brokers, written once: Strimzi's metrics ConfigMap
 * (charts/kafka.ts, `spec.kafka.metricsConfig`) and the local broker's `-javaagent` (src/local/kafka.ts) both
 * serialize this object, so a Kafka metric has the same name and labels on the cluster and on one machine.
 *
 * The exporter matches each rule's `pattern` against one attribute of one MBean, written
 * `domain<key1=value1, key2=value2, ...><>attribute` (keys in the order Kafka registers them), and the first rule
 * that matches names the series. Only the MBeans the pipeline's dashboards read are queried (`includeObjectNames`)
 * and only these rules produce series: the scrape stays small and cheap. The JVM's own metrics (memory, GC,
 * threads) come with the agent.
 *
 * What each series is for: throughput per topic (bytes and messages in, bytes out, produce/fetch requests and
 * their failures), the request rate and latency per request type, and broker health (under-replicated and
 * offline partitions, the active controller, idle ratios of the request handlers and the network threads, log
 * size per partition).
 */

export interface JmxRule {
  pattern: string;
  name: string;
  type: 'COUNTER' | 'GAUGE';
  help: string;
  labels?: Record<string, string>;
}

export interface JmxExporterConfig {
  lowercaseOutputName: boolean;
  lowercaseOutputLabelNames: boolean;
  includeObjectNames: string[];
  rules: JmxRule[];
}

/** Meters per topic in kafka.server:type=BrokerTopicMetrics (each a counter of its `Count`). */
export const TOPIC_METERS = [
  'BytesIn',
  'BytesOut',
  'MessagesIn',
  'BytesRejected',
  'TotalProduceRequests',
  'TotalFetchRequests',
  'FailedProduceRequests',
  'FailedFetchRequests',
] as const;

/** Gauges of kafka.server:type=ReplicaManager. */
const REPLICA_GAUGES = [
  'UnderReplicatedPartitions',
  'UnderMinIsrPartitionCount',
  'AtMinIsrPartitionCount',
  'OfflineReplicaCount',
  'PartitionCount',
  'LeaderCount',
] as const;

/** Gauges of kafka.controller:type=KafkaController (on the controllers; every node here is one). */
const CONTROLLER_GAUGES = [
  'ActiveControllerCount',
  'OfflinePartitionsCount',
  'GlobalPartitionCount',
  'GlobalTopicCount',
] as const;

/** Request types whose latency is exported (the clients' produce and fetch, and replication's fetch). */
const TIMED_REQUESTS = ['Produce', 'FetchConsumer', 'FetchFollower'] as const;

const oneOf = (names: readonly string[]) => `(${names.join('|')})`;

const TOPIC_METER_NAME = 'kafka_server_brokertopicmetrics_$1_total';
/** The series name the first rule below gives a per-topic meter (`$1` is the meter, lower-cased by the exporter). */
export const kafkaTopicMetric = (meter: (typeof TOPIC_METERS)[number]) =>
  TOPIC_METER_NAME.replace('$1', meter.toLowerCase());

export const KAFKA_JMX_EXPORTER_CONFIG: JmxExporterConfig = {
  lowercaseOutputName: true,
  lowercaseOutputLabelNames: true,
  includeObjectNames: [
    'kafka.server:type=BrokerTopicMetrics,*',
    'kafka.server:type=ReplicaManager,*',
    'kafka.controller:type=KafkaController,*',
    'kafka.network:type=RequestMetrics,name=RequestsPerSec,*',
    'kafka.network:type=RequestMetrics,name=TotalTimeMs,*',
    'kafka.server:type=KafkaRequestHandlerPool,name=RequestHandlerAvgIdlePercent',
    'kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent',
    'kafka.log:type=Log,name=Size,*',
  ],
  rules: [
    {
      pattern: `^kafka\\.server<type=BrokerTopicMetrics, name=${oneOf(TOPIC_METERS)}PerSec, topic=(.+)><>Count`,
      name: TOPIC_METER_NAME,
      type: 'COUNTER',
      help: 'Per topic: bytes in/out, messages in, produce and fetch requests (and failed ones) since start',
      labels: { topic: '$2' },
    },
    {
      // Replication traffic has no topic label; the per-topic meters above leave it out.
      pattern:
        '^kafka\\.server<type=BrokerTopicMetrics, name=(ReplicationBytesIn|ReplicationBytesOut)PerSec><>Count',
      name: 'kafka_server_brokertopicmetrics_$1_total',
      type: 'COUNTER',
      help: 'Bytes this broker replicated in or out, all topics',
    },
    {
      pattern: `^kafka\\.server<type=ReplicaManager, name=${oneOf(REPLICA_GAUGES)}><>Value`,
      name: 'kafka_server_replicamanager_$1',
      type: 'GAUGE',
      help: 'Partitions and replicas of this broker by state (under-replicated, under min ISR, offline, led)',
    },
    {
      pattern: `^kafka\\.controller<type=KafkaController, name=${oneOf(CONTROLLER_GAUGES)}><>Value`,
      name: 'kafka_controller_kafkacontroller_$1',
      type: 'GAUGE',
      help: "The controller's view: active controller (1 on the leader), offline partitions, partitions, topics",
    },
    {
      pattern:
        '^kafka\\.network<type=RequestMetrics, name=RequestsPerSec, request=(\\w+), version=(\\d+)><>Count',
      name: 'kafka_network_requestmetrics_requests_total',
      type: 'COUNTER',
      help: 'Requests received, by request type and API version',
      labels: { request: '$1', version: '$2' },
    },
    ...(['50', '99'] as const).map(
      (p): JmxRule => ({
        pattern: `^kafka\\.network<type=RequestMetrics, name=TotalTimeMs, request=${oneOf(TIMED_REQUESTS)}><>${p}thPercentile`,
        name: 'kafka_network_requestmetrics_totaltimems',
        type: 'GAUGE',
        help: 'Request latency in milliseconds (queue, local, remote, response), a quantile of the recent requests',
        labels: { request: '$1', quantile: `0.${p}` },
      }),
    ),
    {
      pattern:
        '^kafka\\.server<type=KafkaRequestHandlerPool, name=RequestHandlerAvgIdlePercent><>OneMinuteRate',
      name: 'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_ratio',
      type: 'GAUGE',
      help: 'Fraction of time the request handler threads were idle (1-minute average)',
    },
    {
      pattern: '^kafka\\.network<type=SocketServer, name=NetworkProcessorAvgIdlePercent><>Value',
      name: 'kafka_network_socketserver_networkprocessoravgidle_ratio',
      type: 'GAUGE',
      help: 'Fraction of time the network threads were idle',
    },
    {
      pattern: '^kafka\\.log<type=Log, name=Size, topic=(.+), partition=(\\d+)><>Value',
      name: 'kafka_log_log_size_bytes',
      type: 'GAUGE',
      help: 'Bytes on disk of one partition of a topic',
      labels: { topic: '$1', partition: '$2' },
    },
  ],
};

/**
 * The configuration as the exporter reads it (YAML). JSON is YAML, so this needs no YAML library: the producer
 * image's bundle never sees this module, but the local stack and the charts both can without one.
 */
export function kafkaJmxExporterYaml(config: JmxExporterConfig = KAFKA_JMX_EXPORTER_CONFIG): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
