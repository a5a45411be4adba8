/**
 * What Prometheus scrapes: one PodMonitor per component, each selecting the component's pods by the labels they
 * carry and their metrics port by name (a PodMonitor needs a declared, named container port):
 * - the producers' prom-client metrics (config.producer.metricsPort);
 * - Flink's Prometheus reporter on the JobManager and every TaskManager (charts/flink.ts declares the port);
 * - the Kafka brokers' JMX exporter (Strimzi's metricsConfig, rules in src/config/kafka-metrics.ts) and
 *   Strimzi's Kafka Exporter (consumer-group lag), both on Strimzi's `tcp-prometheus` port;
 * - CloudNativePG's exporter in the PostgreSQL instances, with the sink-freshness query (charts/postgres.ts).
 * kube-prometheus-stack's Prometheus picks up every PodMonitor (the Tiltfile sets its
 * `*SelectorNilUsesHelmValues: false`); the `release` label also matches the chart's default selector.
 * The NetworkPolicies (namespace.ts) admit its pods to exactly these ports.
 * The Grafana dashboards (charts/dashboards/) are ConfigMaps here too, one per dashboard, labelled for Grafana's
 * sidecar.
 */
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { DASHBOARD_LABEL, dashboards } from './dashboards/index.ts';
import { PodMonitor } from './imports/prometheus-monitoring.coreos.com.ts';
import { KUBE_PROMETHEUS_STACK, METRICS_PORT_NAMES, names, PORTS, podLabels } from './names.ts';

/** Every PodMonitor: its name, the pods it selects and the port it scrapes, by name and number. */
export function podMonitors(config: PipelineConfig) {
  const n = names(config);
  const labels = podLabels(config);
  return [
    {
      name: n.producer.deployment,
      selector: labels.producer,
      port: METRICS_PORT_NAMES.producer,
      portNumber: config.producer.metricsPort,
    },
    {
      name: n.flink.deployment,
      selector: labels.flink,
      port: METRICS_PORT_NAMES.flink,
      portNumber: PORTS.flinkMetrics,
    },
    {
      name: `${n.kafka.cluster}-kafka`,
      selector: labels.kafkaBrokers,
      port: METRICS_PORT_NAMES.strimzi,
      portNumber: PORTS.strimziMetrics,
    },
    {
      name: n.kafka.exporter,
      selector: labels.kafkaExporter,
      port: METRICS_PORT_NAMES.strimzi,
      portNumber: PORTS.strimziMetrics,
    },
    {
      name: n.postgres.cluster,
      selector: labels.postgres,
      port: METRICS_PORT_NAMES.postgres,
      portNumber: PORTS.postgresMetrics,
    },
  ];
}

export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    for (const monitor of podMonitors(config)) {
      new PodMonitor(this, monitor.name, {
        metadata: { name: monitor.name, labels: { release: KUBE_PROMETHEUS_STACK.release } },
        spec: {
          selector: { matchLabels: monitor.selector },
          podMetricsEndpoints: [{ port: monitor.port, path: '/metrics' }],
        },
      });
    }
    // Compact JSON: the ConfigMap stays far below kubectl's 256 KiB last-applied annotation.
    for (const dashboard of dashboards(config)) {
      new kplus.ConfigMap(this, `dashboard-${dashboard.uid}`, {
        metadata: { name: dashboard.uid, labels: DASHBOARD_LABEL },
        data: { [`${dashboard.uid}.json`]: JSON.stringify(dashboard) },
      });
    }
  }
}
