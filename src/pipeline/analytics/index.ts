/**
 * The registry of analytics: the job's outputs, in the order of its statement set. Every list of the job's
 * tables (local stack, charts, tests) derives from this one; its topics are the config's (config/topics.ts).
 */
import type { PipelineConfig } from '../../config/index.ts';
import { alertHistory, alerts } from './alerts.ts';
import type { Analytic, PostgresTable } from './analytic.ts';
import { anomalyScore } from './anomaly-score.ts';
import { deadLetters } from './dead-letters.ts';
import { lateTrades } from './late-trades.ts';
import { patternRule, patterns } from './patterns.ts';
import { rawTrades } from './raw-trades.ts';
import { slidingWindows } from './sliding-windows.ts';
import { volumeAboveThreshold } from './volume-above-threshold.ts';
import { volumeVsTrailingAverage } from './volume-vs-trailing-average.ts';
import { vwapWindows } from './vwap.ts';

export { ALERT_HISTORY_TABLE, alertRules } from './alerts.ts';
export type { Analytic, PostgresTable } from './analytic.ts';
export { durationName, postgresDdl } from './analytic.ts';
export { anomalyModel } from './anomaly-score.ts';
export { LATE_TRADES_TABLE } from './late-trades.ts';
export { PATTERN_NAMES, PATTERNS_KEY, PATTERNS_TABLE, type PatternName, patternRule } from './patterns.ts';
export { SLIDING_KEY, slidingTableName } from './sliding-windows.ts';
export { VWAP_KEY, vwapColumns, vwapTableName } from './vwap.ts';

export const ANALYTICS: readonly Analytic[] = [
  rawTrades,
  vwapWindows,
  lateTrades,
  slidingWindows,
  patterns,
  alerts,
  alertHistory,
  deadLetters,
];

/** The analytics the config runs. */
export function enabledAnalytics(config: PipelineConfig, analytics = ANALYTICS): Analytic[] {
  return analytics.filter((a) => a.enabled?.(config) ?? true);
}

/** Every PostgreSQL table the job writes, for the config's profile and windows. */
export function postgresTables(config: PipelineConfig): PostgresTable[] {
  return ANALYTICS.flatMap((a) => (a.table ? [a.table(config)] : []));
}

/** The rule names an alert can carry. */
export const ALERT_RULES = {
  absolute: volumeAboveThreshold.name,
  relative: volumeVsTrailingAverage.name,
  anomaly: anomalyScore.name,
  momentum: patternRule('momentum'),
  vShape: patternRule('v_shape'),
  volumeBurst: patternRule('volume_burst'),
} as const;
export type AlertRuleName = (typeof ALERT_RULES)[keyof typeof ALERT_RULES];
