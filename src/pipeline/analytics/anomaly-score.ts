/**
 * The streaming anomaly score, per ticker: how many standard deviations a trade's log return (either way) or
 * its log volume (upward: a large print) lies from the mean of the ticker's previous n trades
 * (alerts.anomalyTrades), the larger of the two. The model is the rolling first and second moments of both
 * features, kept per ticker in keyed state and updated with every in-sequence trade (an OVER of the last n + 1
 * rows, in arrival order: the producer's, one partition per ticker; out-of-sequence trades carry stale prices
 * and are neither scored nor learnt from, source.ts), so it follows each ticker's own regime and needs no
 * training. A trade scoring above alerts.anomalyThreshold alerts, with its score; a ticker alerts only once it
 * has n previous trades. Switched off by analytics.anomalyScore=false.
 */
import { columnsOf } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { RETURNS_VIEW } from '../source.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

/** Below this variance a feature is flat (e.g. an unchanged price): it scores 0 instead of dividing by ~0. */
const MIN_VARIANCE = 1e-18;

export const anomalyScore = {
  name: 'anomaly_score' as const,
  enabled: (config) => config.analytics.anomalyScore,
  select(config) {
    const { anomalyThreshold, anomalyTrades: n } = config.alerts;
    const columns = columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ');
    const over = `OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN ${n} PRECEDING AND CURRENT ROW)`;
    // Mean and variance of the n previous values: the window's sums without the current row.
    const z = (x: string, sum: string, squares: string, signed: boolean) => {
      const mean = `((${sum} - ${x}) / ${n})`;
      const variance = `((${squares} - ${x} * ${x}) / ${n} - ${mean} * ${mean})`;
      const distance = signed ? `(${x} - ${mean})` : `ABS(${x} - ${mean})`;
      return `CASE WHEN ${variance} > ${MIN_VARIANCE} THEN ${distance} / SQRT(${variance}) ELSE 0 END`;
    };
    const score = `GREATEST(${z('log_return', 'return_sum', 'return_squares', false)}, ${z('log_volume', 'volume_sum', 'volume_squares', true)})`;
    return `SELECT ${columns}, ${str(this.name)}, CAST(${anomalyThreshold} AS DOUBLE), score, ${NO_INTERVAL}
FROM (
  SELECT ${columns}, ${score} AS score, window_count
  FROM (
    SELECT ${columns}, log_return, log_volume,
      COUNT(*) ${over} AS window_count,
      SUM(log_return) ${over} AS return_sum,
      SUM(log_return * log_return) ${over} AS return_squares,
      SUM(log_volume) ${over} AS volume_sum,
      SUM(log_volume * log_volume) ${over} AS volume_squares
    FROM (SELECT *, LN(CAST(volume AS DOUBLE)) AS log_volume FROM ${RETURNS_VIEW} WHERE log_return IS NOT NULL)
  )
)
WHERE window_count = ${n + 1} AND score > ${anomalyThreshold}`;
  },
} satisfies AlertRule;
