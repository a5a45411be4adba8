/** The seed's rule: one trade above the configured volume threshold. */
import { columnsOf } from '../../schema/index.ts';
import { id, str } from '../flink-sql.ts';
import { TRADES_VIEW } from '../source.ts';
import { type AlertRule, NO_INTERVAL } from './alert-rule.ts';

export const volumeAboveThreshold = {
  name: 'volume_above_threshold' as const,
  select(config) {
    const threshold = config.alerts.volumeThreshold;
    return `SELECT ${columnsOf(config.profile)
      .map((c) => id(c.name))
      .join(', ')}, ${str(this.name)}, CAST(${threshold} AS DOUBLE), CAST(NULL AS DOUBLE), ${NO_INTERVAL}
FROM ${TRADES_VIEW}
WHERE volume > ${threshold}`;
  },
} satisfies AlertRule;
