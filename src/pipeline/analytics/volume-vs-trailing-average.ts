/**
 * Volume at least k times the ticker's average over its previous n trades (state per ticker; only once n
 * previous trades exist; their sum is the `trailing_volume` feature, ../ticker-features.ts). Arrival order is the
 * producer's order per ticker (one partition per ticker), so processing time keeps alerts immediate instead of
 * waiting for the watermark.
 */
import { columnsOf } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { TICKER_VIEW } from '../ticker-features.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

export const volumeVsTrailingAverage = {
  name: 'volume_vs_trailing_average' as const,
  tickerFeatures: (config) => [
    {
      column: 'trailing_volume',
      fn: { name: 'trailing_sum', className: 'dev.tradestream.flink.functions.TrailingSum' },
      args: ['volume', config.alerts.trailingTrades],
    },
  ],
  select(config) {
    const { relativeFactor, trailingTrades: n } = config.alerts;
    const factor = `CAST(${relativeFactor} AS DOUBLE)`;
    const columns = columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ');
    return `SELECT ${columns}, ${str(this.name)}, ${factor} * CAST(trailing_volume AS DOUBLE) / ${n}, CAST(NULL AS DOUBLE), ${NO_INTERVAL}
FROM ${TICKER_VIEW}
WHERE trailing_volume IS NOT NULL
  AND CAST(volume AS DOUBLE) * ${n} >= ${factor} * CAST(trailing_volume AS DOUBLE)`;
  },
} satisfies AlertRule;
