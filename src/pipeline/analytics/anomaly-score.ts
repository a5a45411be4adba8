/**
 * The streaming anomaly score, per ticker: how far the recent market of a ticker (a decayed mean over the last
 * alerts.anomalyFastSeconds of event time) stands from its usual one (over alerts.anomalySlowSeconds), in log
 * price (either way: a crash, a run-up) and log volume (upward: large prints), each in its own typical deviation,
 * combined as the root of the sum of squares. The model is a handful of decayed sums per ticker, in keyed state,
 * learnt online from every in-sequence trade (out-of-sequence trades carry stale prices: they are neither scored
 * nor learnt from, source.ts), so it follows each ticker's own regime and needs no training. The runner's
 * `anomaly_score` aggregate holds it (flink/.../functions/AnomalyScore.java states the arithmetic; the
 * TypeScript reference, test/pipeline-expected.ts, is the same model written independently). A ticker alerts
 * once per event: when its score passes alerts.anomalyThreshold, then not again until the score has stayed under
 * half of it for alerts.anomalyRearmSeconds. A ticker scores once it has seen alerts.anomalyWarmupTrades trades
 * and alerts.anomalySlowSeconds of event time. Switched off by analytics.anomalyScore=false.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { columnsOf, TRADE_TIME } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { RETURNS_VIEW } from '../source.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

const FUNCTION = 'anomaly_score';

/** The model's parameters, as the runner's function takes them (horizons in whole ms), from the config. */
export const anomalyModel = ({ alerts }: Pick<PipelineConfig, 'alerts'>) => ({
  threshold: alerts.anomalyThreshold,
  warmupTrades: alerts.anomalyWarmupTrades,
  fastMs: Math.round(alerts.anomalyFastSeconds * 1000),
  slowMs: Math.round(alerts.anomalySlowSeconds * 1000),
  rearmMs: Math.round(alerts.anomalyRearmSeconds * 1000),
});

export const anomalyScore = {
  name: 'anomaly_score' as const,
  enabled: (config) => config.analytics.anomalyScore,
  ddl: () =>
    `CREATE TEMPORARY SYSTEM FUNCTION ${FUNCTION} AS 'dev.tradestream.flink.functions.AnomalyScore' LANGUAGE JAVA;`,
  select(config) {
    const m = anomalyModel(config);
    const columns = columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ');
    const threshold = `CAST(${m.threshold} AS DOUBLE)`;
    const model = [
      id(TRADE_TIME),
      'log_return',
      'CAST(volume AS DOUBLE)',
      threshold,
      m.warmupTrades,
      m.fastMs,
      m.slowMs,
      m.rearmMs,
    ].join(', ');
    return `SELECT ${columns}, ${str(this.name)}, ${threshold}, score, ${NO_INTERVAL}
FROM (
  SELECT ${columns},
    ${FUNCTION}(${model}) OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS score
  FROM ${RETURNS_VIEW}
  WHERE log_return IS NOT NULL
)
WHERE score IS NOT NULL`;
  },
} satisfies AlertRule;
