/**
 * Volume at least k times the ticker's average over its previous n trades (state per ticker; only once n
 * previous trades exist). Arrival order is the producer's order per ticker (one partition per ticker), so
 * processing time keeps alerts immediate instead of waiting for the watermark.
 */
import { columnsOf } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { TRADES_VIEW } from '../source.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

export const volumeVsTrailingAverage = {
  name: 'volume_vs_trailing_average' as const,
  select(config) {
    const { relativeFactor, trailingTrades: n } = config.alerts;
    const factor = `CAST(${relativeFactor} AS DOUBLE)`;
    const columns = columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ');
    const over = `OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN ${n} PRECEDING AND CURRENT ROW)`;
    return `SELECT ${columns}, ${str(this.name)}, ${factor} * CAST(window_sum - volume AS DOUBLE) / ${n}, CAST(NULL AS DOUBLE), ${NO_INTERVAL}
FROM (
  SELECT ${columns},
    SUM(volume) ${over} AS window_sum,
    COUNT(*) ${over} AS window_count
  FROM ${TRADES_VIEW}
)
WHERE window_count = ${n + 1}
  AND CAST(volume AS DOUBLE) * ${n} >= ${factor} * CAST(window_sum - volume AS DOUBLE)`;
  },
} satisfies AlertRule;
