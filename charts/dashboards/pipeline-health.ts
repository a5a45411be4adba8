/**
 * The "Pipeline health" dashboard (Prometheus): what the producers write, what Kafka carries, how far the job
 * lags, what each Flink operator does and how hard, its checkpoints and restarts, late trades and dead letters,
 * what reaches PostgreSQL and how fresh it is, and the pods' CPU and memory.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { allTopics, type PipelineConfig } from '../../src/config/index.ts';
import { LATE_TRADES_TABLE } from '../../src/pipeline/analytics/index.ts';
import { CONSUMER_GROUP } from '../../src/pipeline/source.ts';
import { METRICS } from './metrics.ts';
import { grid, legend, PROMETHEUS, promQuery, tooltip } from './shared.ts';

export const PIPELINE_HEALTH_UID = 'tradestream-pipeline-health';

const m = {
  ...METRICS.producer.names,
  ...METRICS.kafka.names,
  ...METRICS.flink.names,
  ...METRICS.kafkaExporter.names,
  ...METRICS.postgres.names,
  ...METRICS.cadvisor.names,
};

/**
 * Flink names a Sink V2 writer operator `<sink table>[<id>]: Writer` and its Prometheus reporter turns every
 * character a label value may not hold into `_` (operator_name="stock_trades_3_:_Writer" on a real run): the
 * regular expression of one table's writer, and the capture of the table from any writer's name.
 */
const writerOf = (table: string) => `${table}_[0-9]+_:_Writer`;
const WRITER_TABLE = '(.+)_[0-9]+_:_Writer';

/** Grafana's rate window: at least four scrape intervals, whatever the scrape interval is. */
const RATE = '$__rate_interval';

/**
 * The queries `npm run status` reads too (src/status/figures.ts), so that it reports the same figures as the
 * dashboard: trades produced, records pending in the job's source, the group's committed-offset lag, rows
 * stored per table, dead letters.
 */
export function pipelineQueries(config: PipelineConfig) {
  return {
    producedPerPod: `sum by (pod) (rate(${m.records}[${RATE}]))`,
    pendingRecords: `sum(${m.pendingRecords})`,
    groupLag: `sum by (topic) (${m.groupLag}{consumergroup="${CONSUMER_GROUP}"})`,
    rowsStoredPerTable: `sum by (table) (label_replace(rate(${m.rowsWritten}[${RATE}]), "table", "$1", "operator_name", "${WRITER_TABLE}"))`,
    deadLetters: `sum(rate(${m.messagesIn}{topic="${config.kafka.deadLetterTopic}"}[${RATE}]))`,
  };
}

interface Panel {
  title: string;
  unit: string;
  description: string;
  queries: [expr: string, legend: string][];
}

export function pipelineHealthPanels(config: PipelineConfig): Panel[] {
  const topics = allTopics(config)
    .map((t) => t.name)
    .join('|');
  const ns = config.kubernetes.namespace;
  const containers = `namespace="${ns}", container!=""`;
  const q = pipelineQueries(config);
  return [
    {
      title: 'Trades produced per second, per producer pod',
      unit: 'ops',
      description: 'Trades acknowledged by Kafka (prom-client counter of each producer)',
      queries: [[q.producedPerPod, '{{pod}}']],
    },
    {
      title: 'Kafka bytes in and out, per topic',
      unit: 'Bps',
      description: "The brokers' BrokerTopicMetrics (JMX exporter)",
      queries: [
        [`sum by (topic) (rate(${m.bytesIn}{topic=~"${topics}"}[${RATE}]))`, 'in {{topic}}'],
        [`sum by (topic) (rate(${m.bytesOut}{topic=~"${topics}"}[${RATE}]))`, 'out {{topic}}'],
      ],
    },
    {
      title: 'Consumer lag',
      unit: 'short',
      description:
        "Records the job's Kafka source has not read yet (Flink pendingRecords), and the lag of its committed " +
        'offsets (Kafka Exporter; the source commits on checkpoints, so this moves in checkpoint steps)',
      queries: [
        [q.pendingRecords, 'pending records (Flink)'],
        [q.groupLag, 'group lag {{topic}}'],
      ],
    },
    {
      title: 'Dead letters per second',
      unit: 'ops',
      description: `Records the job refused, written to ${config.kafka.deadLetterTopic} with a reason`,
      queries: [
        [q.deadLetters, 'dead letters'],
        [`sum(rate(${m.rowsRefused}[${RATE}]))`, 'of which refused by PostgreSQL'],
      ],
    },
    {
      title: 'Flink records in per second, per operator',
      unit: 'ops',
      description: 'numRecordsInPerSecond (a 60-second average)',
      queries: [[`sum by (operator_name) (${m.recordsInPerSecond})`, '{{operator_name}}']],
    },
    {
      title: 'Flink records out per second, per operator',
      unit: 'ops',
      description: 'numRecordsOutPerSecond (a 60-second average)',
      queries: [[`sum by (operator_name) (${m.recordsOutPerSecond})`, '{{operator_name}}']],
    },
    {
      title: 'Busy and backpressured time, per task',
      unit: 'ms',
      description:
        'Milliseconds per second each task spent busy, or waiting on the next one (1000: saturated)',
      queries: [
        [`max by (task_name) (${m.busyTime})`, 'busy {{task_name}}'],
        [`max by (task_name) (${m.backPressuredTime})`, 'backpressured {{task_name}}'],
      ],
    },
    {
      title: 'Checkpoint duration',
      unit: 'ms',
      description: 'The last completed checkpoint',
      queries: [[`max(${m.checkpointDuration})`, 'last checkpoint']],
    },
    {
      title: 'Checkpoint size',
      unit: 'bytes',
      description: 'The last completed checkpoint',
      queries: [[`max(${m.checkpointSize})`, 'last checkpoint']],
    },
    {
      title: 'Checkpoint failures and job restarts',
      unit: 'short',
      description: 'Since the job (re)started from its last savepoint or checkpoint',
      queries: [
        [`max(${m.failedCheckpoints})`, 'failed checkpoints'],
        [`max(${m.restarts})`, 'restarts'],
      ],
    },
    {
      title: 'Late trades per second',
      unit: 'ops',
      description: `Trades after their window closed: recorded in ${LATE_TRADES_TABLE} (the windows skip them), and any Flink dropped itself`,
      queries: [
        [
          `sum(rate(${m.rowsWritten}{operator_name=~"${writerOf(LATE_TRADES_TABLE)}"}[${RATE}]))`,
          `recorded in ${LATE_TRADES_TABLE}`,
        ],
        [`sum(rate(${m.lateRecordsDropped}[${RATE}]))`, 'dropped by Flink'],
      ],
    },
    {
      title: 'Rows stored per second, per table',
      unit: 'ops',
      description: "Rows the job's PostgreSQL sinks wrote (upserts included)",
      queries: [[q.rowsStoredPerTable, '{{table}}']],
    },
    {
      title: 'Sink freshness',
      unit: 's',
      description: "Seconds from the newest stored trade's event time to now (CloudNativePG custom query)",
      queries: [[`max(${m.freshness})`, 'newest stored trade']],
    },
    {
      title: 'Container CPU (cores), per pod',
      unit: 'short',
      description: `CPU cores used by the pods of ${ns} (cAdvisor)`,
      queries: [[`sum by (pod) (rate(${m.cpu}{${containers}}[${RATE}]))`, '{{pod}}']],
    },
    {
      title: 'Container memory, per pod',
      unit: 'bytes',
      description: `Working-set memory of the pods of ${ns} (cAdvisor)`,
      queries: [[`sum by (pod) (${m.memory}{${containers}})`, '{{pod}}']],
    },
  ];
}

export function pipelineHealthDashboard(config: PipelineConfig): DashboardBuilder {
  const dashboard = new DashboardBuilder('tradestream: pipeline health')
    .uid(PIPELINE_HEALTH_UID)
    .tags(['tradestream'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('utc');
  pipelineHealthPanels(config).forEach((panel, i) => {
    const builder = new timeseries.PanelBuilder()
      .title(panel.title)
      .description(panel.description)
      .datasource(PROMETHEUS)
      .unit(panel.unit)
      .legend(legend())
      .tooltip(tooltip())
      .gridPos(grid(i));
    panel.queries.forEach(([expr, legend], q) => {
      builder.withTarget(promQuery(expr, legend).refId(String.fromCharCode(65 + q)));
    });
    dashboard.withPanel(builder);
  });
  return dashboard;
}
