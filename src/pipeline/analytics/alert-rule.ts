/**
 * An alert rule: a SELECT of alerting trades, each with every trade column, the rule's name, its threshold, its
 * score (NULL for a rule that has none) and the interval it matched (epoch ms; NULL for a rule on one trade).
 */
import type { PipelineConfig } from '../../config/index.ts';
import type { TickerFeature } from '../ticker-features.ts';

export interface AlertRule {
  /** The name an alert carries in its `rule` field. */
  readonly name: string;
  /** SELECT <trade columns>, <rule name>, <threshold>, <score> (DOUBLEs), <match start>, <match end> (BIGINTs) FROM ... */
  select(config: PipelineConfig): string;
  /** Whether the config runs it (default: always). */
  enabled?(config: PipelineConfig): boolean;
  /** The per-ticker aggregates its SELECT reads from TICKER_VIEW (../ticker-features.ts), if any. */
  tickerFeatures?(config: PipelineConfig): TickerFeature[];
}

/** The match interval of an alert on one trade: none. */
export const NO_INTERVAL = 'CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)';
