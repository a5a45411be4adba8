/**
 * The alerts topic: every alert rule's trades in one INSERT, so the topic has one sink (one transactional id
 * prefix in exactly-once). An alert is the whole trade (wire types, as the producer wrote it) plus `rule`,
 * `threshold`, `score` (null but for the anomaly score and the patterns) and `match_start`/`match_end` (epoch
 * ms, null but for the patterns, whose trade fields are the match's: patterns.ts), keyed by ticker. The fields
 * after `threshold` were added later: readers of older alerts find them absent.
 */
import type { PipelineConfig } from '../../config/index.ts';
import {
  columnsOf,
  flinkWireType,
  instant,
  oneOf,
  orNull,
  ratio,
  TRADE_KEY,
  TRADE_TIME,
  text,
} from '../../schema/index.ts';
import { id, kafkaSinkOptions, postgresSinkDdl } from '../flink-sql.ts';
import type { AlertRule } from './alert-rule.ts';
import type { Analytic, PostgresTable } from './analytic.ts';
import { anomalyScore } from './anomaly-score.ts';
import { PATTERN_NAMES, patternAlertRule } from './patterns.ts';
import { volumeAboveThreshold } from './volume-above-threshold.ts';
import { volumeVsTrailingAverage } from './volume-vs-trailing-average.ts';
import { fromTradeColumn } from './vwap.ts';

export const ALERTS_SINK = 'alerts';

/** Every rule, in the order their SELECTs are unioned. */
export const alertRules: readonly AlertRule[] = [
  volumeAboveThreshold,
  volumeVsTrailingAverage,
  anomalyScore,
  ...PATTERN_NAMES.map(patternAlertRule),
];

/** Every alert of every rule the config runs: the one stream both the topic and alert_history take. */
const ALERTS_VIEW = 'all_alerts';
/** What an alert adds to its trade's fields, in the order of an AlertRule's SELECT. */
const ALERT_FIELDS = ['rule', 'threshold', 'score', 'match_start', 'match_end'];

const enabledRules = (config: PipelineConfig) => alertRules.filter((rule) => rule.enabled?.(config) ?? true);

export const alerts = {
  name: 'alerts',
  tickerFeatures: (config) => enabledRules(config).flatMap((rule) => rule.tickerFeatures?.(config) ?? []),
  sinkDdl(config) {
    const rules = enabledRules(config);
    const names = [...columnsOf(config.profile).map((c) => c.name), ...ALERT_FIELDS].map(id).join(', ');
    return `CREATE TEMPORARY VIEW ${ALERTS_VIEW} (${names}) AS
${rules.map((rule) => rule.select(config)).join('\nUNION ALL\n')};

CREATE TABLE ${ALERTS_SINK} (
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
  insert: () => `INSERT INTO ${ALERTS_SINK}\nSELECT * FROM ${ALERTS_VIEW}`,
} satisfies Analytic;

export const ALERT_HISTORY_TABLE = 'alert_history';

const historyTable = ({ profile }: PipelineConfig): PostgresTable => ({
  name: ALERT_HISTORY_TABLE,
  columns: [
    oneOf(...alertRules.map((r) => r.name))('rule', 'The rule that raised the alert'),
    text(64)('alert_key', 'The alerting trade_id, or ticker@match_start (epoch ms) for a pattern'),
    fromTradeColumn(profile, 'ticker', 'ticker', 'Instrument symbol'),
    {
      ...fromTradeColumn(profile, TRADE_KEY, TRADE_KEY, 'The alerting trade (null for a pattern)'),
      nullable: true,
    },
    instant('alert_time', "The trade's execution time, or the end of a pattern's match, UTC"),
    fromTradeColumn(profile, 'price', 'price', "The trade's price, or the last bar's VWAP of a pattern"),
    fromTradeColumn(profile, 'volume', 'volume', "The trade's shares, or the match's"),
    ratio('threshold', "The rule's threshold"),
    orNull(ratio('score', 'The anomaly score, or the move of a pattern (last over first VWAP, minus 1)')),
    orNull(instant('match_start', "Start of a pattern's match, UTC")),
    orNull(instant('match_end', "End of a pattern's match, UTC")),
  ],
  key: ['rule', 'alert_key'],
  comment: 'Every alert, as written to the alerts topic, for SQL (dashboards, history)',
});

/** The alerts topic's records, kept in PostgreSQL too: what dashboards chart per rule and list. */
export const alertHistory = {
  name: 'alert history',
  table: historyTable,
  sinkDdl: (config) => postgresSinkDdl(config, historyTable(config)),
  insert: () => {
    const time = (ms: string) => `CAST(TO_TIMESTAMP_LTZ(${ms}, 3) AS TIMESTAMP(3))`;
    return `INSERT INTO ${ALERT_HISTORY_TABLE}
SELECT ${id('rule')}, COALESCE(${id(TRADE_KEY)}, CONCAT(ticker, '@', CAST(match_start AS STRING))), ticker, ${id(TRADE_KEY)},
  ${time(id(TRADE_TIME))}, price, volume, ${id('threshold')}, score, ${time('match_start')}, ${time('match_end')}
FROM ${ALERTS_VIEW}`;
  },
} satisfies Analytic;
