/** An alert rule: a SELECT of alerting trades, each with every trade column, the rule's name and its threshold. */
import type { PipelineConfig } from '../../config/index.ts';

export interface AlertRule {
  /** The name an alert carries in its `rule` field. */
  readonly name: string;
  /** SELECT <trade columns>, <rule name>, <threshold as DOUBLE> FROM ... */
  select(config: PipelineConfig): string;
}
