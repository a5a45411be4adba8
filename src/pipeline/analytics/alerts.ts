/**
 * The alerts topic: every alert rule's trades in one INSERT, so the topic has one sink (one transactional id
 * prefix in exactly-once). An alert is the whole trade (wire types, as the producer wrote it) plus `rule`,
 * `threshold`, `score` (null but for the anomaly score and the patterns) and `match_start`/`match_end` (epoch
 * ms, null but for the patterns, whose trade fields are the match's: patterns.ts), keyed by ticker. The fields
 * after `threshold` were added later: readers of older alerts find them absent.
 */
import { columnsOf, flinkWireType } from '../../schema/index.ts';
import { id, kafkaSinkOptions } from '../flink-sql.ts';
import type { AlertRule } from './alert-rule.ts';
import type { Analytic } from './analytic.ts';
import { anomalyScore } from './anomaly-score.ts';
import { PATTERN_NAMES, patternAlertRule } from './patterns.ts';
import { volumeAboveThreshold } from './volume-above-threshold.ts';
import { volumeVsTrailingAverage } from './volume-vs-trailing-average.ts';

export const ALERTS_SINK = 'alerts';

/** Every rule, in the order their SELECTs are unioned. */
export const alertRules: readonly AlertRule[] = [
  volumeAboveThreshold,
  volumeVsTrailingAverage,
  anomalyScore,
  ...PATTERN_NAMES.map(patternAlertRule),
];

export const alerts = {
  name: 'alerts',
  sinkDdl(config) {
    return `CREATE TABLE ${ALERTS_SINK} (
${columnsOf(config.profile)
  .map((c) => `  ${id(c.name)} ${flinkWireType(c.type)}`)
  .join(',\n')},
  \`rule\` STRING NOT NULL,
  \`threshold\` DOUBLE NOT NULL,
  \`score\` DOUBLE,
  \`match_start\` BIGINT,
  \`match_end\` BIGINT
) ${kafkaSinkOptions(config, config.kafka.alertsTopic, 'alerts', {
      format: 'json',
      'key.format': 'raw',
      'key.fields': 'ticker',
    })};`;
  },
  insert(config) {
    const rules = alertRules.filter((rule) => rule.enabled?.(config) ?? true);
    return `INSERT INTO ${ALERTS_SINK}\n${rules.map((rule) => rule.select(config)).join('\nUNION ALL\n')}`;
  },
} satisfies Analytic;
