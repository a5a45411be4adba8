/**
 * The pipeline's own outputs beside the raw trades: the 1-minute VWAP table and the alert rules. They are
 * analytics, not trade columns, so they live here rather than in the schema; the ticker and price types still
 * come from the schema.
 */
import { columnsOf, type ProfileName, postgresType } from '../schema/index.ts';

export const VWAP_TABLE = 'trade_vwap_1m';

/** The rule names an alert carries. */
export const ALERT_RULES = {
  /** The seed's rule: volume above the configured threshold. */
  absolute: 'volume_above_threshold',
  /** Volume at least k times the ticker's trailing average. */
  relative: 'volume_vs_trailing_average',
} as const;
export type AlertRule = (typeof ALERT_RULES)[keyof typeof ALERT_RULES];

function columnType(profile: ProfileName, name: string): string {
  const column = columnsOf(profile).find((c) => c.name === name);
  if (!column) throw new Error(`the ${profile} schema has no column ${name}`);
  return postgresType(column.type);
}

/** PostgreSQL DDL of the VWAP table, idempotent; the upsert key matches the Flink sink's primary key. */
export function vwapTableDdl(profile: ProfileName): string {
  const price = columnType(profile, 'price');
  return `CREATE TABLE IF NOT EXISTS ${VWAP_TABLE} (
  ticker ${columnType(profile, 'ticker')} NOT NULL,
  window_start timestamp(3) NOT NULL,
  window_end timestamp(3) NOT NULL,
  vwap numeric(20,8) NOT NULL,
  notional numeric(38,4) NOT NULL,
  total_volume bigint NOT NULL,
  trade_count bigint NOT NULL,
  open_price ${price} NOT NULL,
  high_price ${price} NOT NULL,
  low_price ${price} NOT NULL,
  close_price ${price} NOT NULL,
  PRIMARY KEY (ticker, window_start)
);
COMMENT ON TABLE ${VWAP_TABLE} IS 'Per ticker and tumbling event-time window: volume-weighted average price, volume, count, OHLC';`;
}
