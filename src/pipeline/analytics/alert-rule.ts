/**
 * An alert rule: a SELECT of alerting trades, each with every trade column, the rule's name, its threshold and
 * its score (NULL for a rule that has none).
 */
import type { PipelineConfig } from '../../config/index.ts';

export interface AlertRule {
  /** The name an alert carries in its `rule` field. */
  readonly name: string;
  /** SELECT <trade columns>, <rule name>, <threshold as DOUBLE>, <score as DOUBLE> FROM ... */
  select(config: PipelineConfig): string;
  /** Whether the config runs it (default: always). */
  enabled?(config: PipelineConfig): boolean;
}
