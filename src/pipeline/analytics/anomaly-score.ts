/**
 * The streaming anomaly score, per ticker: how far the recent market of a ticker (a decayed mean over the last
 * alerts.anomalyFastSeconds of event time) stands from its usual one (over alerts.anomalySlowSeconds), in log
 * price (either way: a crash, a run-up) and log volume (upward: large prints), each in its own typical deviation,
 * combined as the root of the sum of squares. The model is a handful of decayed sums per ticker, in keyed state,
 * learnt online from every in-sequence trade (out-of-sequence trades carry stale prices: they are neither scored
 * nor learnt from, ../ticker-features.ts), so it follows each ticker's own regime and needs no training. The
 * runner's `anomaly_score` aggregate holds it, as the `anomaly` feature of ../ticker-features.ts
 * (flink/.../functions/AnomalyScore.java states the arithmetic; the TypeScript reference,
 * test/pipeline-expected.ts, is the same model written independently). A ticker alerts
 * once per event: when its score passes alerts.anomalyThreshold, then not again until the score has stayed under
 * half of it for alerts.anomalyRearmSeconds. A ticker scores once it has seen alerts.anomalyWarmupTrades trades
 * and alerts.anomalySlowSeconds of event time. Switched off by analytics.anomalyScore=false.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { columnsOf } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { SEQUENCE_LOOKBACK, SEQUENCED_PRICE, TICKER_VIEW } from '../ticker-features.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

/** The model's parameters, as the runner's function takes them (horizons in whole ms), from the config. */
export const anomalyModel = ({ alerts }: Pick<PipelineConfig, 'alerts'>) => ({
  threshold: alerts.anomalyThreshold,
  warmupTrades: alerts.anomalyWarmupTrades,
  fastMs: Math.round(alerts.anomalyFastSeconds * 1000),
  slowMs: Math.round(alerts.anomalySlowSeconds * 1000),
  rearmMs: Math.round(alerts.anomalyRearmSeconds * 1000),
});

const threshold = (config: PipelineConfig) => `CAST(${anomalyModel(config).threshold} AS DOUBLE)`;

export const anomalyScore = {
  name: 'anomaly_score' as const,
  enabled: (config) => config.analytics.anomalyScore,
  tickerFeatures(config) {
    const m = anomalyModel(config);
    return [
      {
        column: 'anomaly',
        fn: { name: 'anomaly_score', className: 'dev.tradestream.flink.functions.AnomalyScore' },
        args: [
          ...SEQUENCED_PRICE,
          'CAST(volume AS DOUBLE)',
          SEQUENCE_LOOKBACK,
          threshold(config),
          m.warmupTrades,
          m.fastMs,
          m.slowMs,
          m.rearmMs,
        ],
      },
    ];
  },
  select(config) {
    const columns = columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ');
    return `SELECT ${columns}, ${str(this.name)}, ${threshold(config)}, anomaly, ${NO_INTERVAL}
FROM ${TICKER_VIEW}
WHERE anomaly IS NOT NULL`;
  },
} satisfies AlertRule;
