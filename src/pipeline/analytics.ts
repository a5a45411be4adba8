/**
 * The pipeline's own outputs beside the raw trades: the 1-minute VWAP table and the alert rules. They are
 * analytics, not trade columns, so they live here rather than in the schema; the ticker and price types still
 * come from the schema.
 */
import {
  type Column,
  columnsOf,
  decimal,
  instant,
  integer,
  type ProfileName,
  postgresTableDdl,
} from '../schema/index.ts';

export const VWAP_TABLE = 'trade_vwap_1m';

/** The rule names an alert carries. */
export const ALERT_RULES = {
  /** The seed's rule: volume above the configured threshold. */
  absolute: 'volume_above_threshold',
  /** Volume at least k times the ticker's trailing average. */
  relative: 'volume_vs_trailing_average',
} as const;
export type AlertRule = (typeof ALERT_RULES)[keyof typeof ALERT_RULES];

/** The trade column `name` of the profile, renamed and described for the VWAP table (same type). */
function fromTradeColumn(profile: ProfileName, name: string, as: string, description: string): Column {
  const column = columnsOf(profile).find((c) => c.name === name);
  if (!column) throw new Error(`the ${profile} schema has no column ${name}`);
  return { ...column, name: as, description };
}

/** The VWAP table's columns: the one list both its PostgreSQL and its Flink definitions derive from. */
export function vwapColumns(profile: ProfileName): readonly Column[] {
  const price = (name: string, description: string) => fromTradeColumn(profile, 'price', name, description);
  return [
    fromTradeColumn(profile, 'ticker', 'ticker', 'Instrument symbol'),
    instant('window_start', 'Start of the tumbling event-time window, UTC'),
    instant('window_end', 'End of the window (exclusive), UTC'),
    decimal(20, 8)('vwap', 'Volume-weighted average price: notional / total volume'),
    decimal(38, 4)('notional', 'Sum of price times volume in the window, USD'),
    integer('total_volume', 'Shares traded in the window'),
    integer('trade_count', 'Trades in the window'),
    price('open_price', 'Price of the first trade in event time'),
    price('high_price', 'Highest trade price'),
    price('low_price', 'Lowest trade price'),
    price('close_price', 'Price of the last trade in event time'),
  ];
}

/** The VWAP table's upsert key, in PostgreSQL and in the Flink sink alike. */
export const VWAP_KEY = ['ticker', 'window_start'] as const;

/** PostgreSQL DDL of the VWAP table, idempotent. */
export function vwapTableDdl(profile: ProfileName): string {
  return [
    postgresTableDdl(vwapColumns(profile), VWAP_TABLE, VWAP_KEY),
    `COMMENT ON TABLE ${VWAP_TABLE} IS 'Per ticker and tumbling event-time window: volume-weighted average price, volume, count, OHLC';`,
  ].join('\n');
}
