/**
 * Per ticker, tumbling event-time windows: VWAP, notional, volume, count and OHLC. Open and close are the
 * prices of the earliest and latest trade by event time (ties by trade_id), so arrival order never changes
 * them. The ticker and price types come from the schema.
 */
import type { PipelineConfig } from '../../config/index.ts';
import {
  type Column,
  columnsOf,
  decimal,
  instant,
  integer,
  type ProfileName,
  TRADE_KEY,
  TRADE_TIME,
} from '../../schema/index.ts';
import { id, interval, postgresSinkDdl } from '../flink-sql.ts';
import { EVENT_TIME, TRADES_VIEW, tradeKeyLength } from '../source.ts';
import { type Analytic, durationName, type PostgresTable } from './analytic.ts';

/** The tumbling windows' table, named for their length: trade_vwap_1m for windows.vwapSeconds = 60. */
export const vwapTableName = (config: PipelineConfig) =>
  `trade_vwap_${durationName(config.windows.vwapSeconds)}`;
/** The VWAP table's upsert key, in PostgreSQL and in the Flink sink alike. */
export const VWAP_KEY = ['ticker', 'window_start'] as const;

/**
 * True for a trade whose window has already fired when the trade arrives: by Flink's rule for window
 * aggregates (TimeWindowUtil.isWindowFired), once the watermark reaches the window's last millisecond. The
 * windows skip such trades here, before the aggregate, so Flink does not drop them itself and ./late-trades.ts
 * records exactly the ones skipped: late trades are counted, not guessed. (The aggregate's watermark follows
 * this one, but for the two cases stated in late-trades.ts.)
 */
export function windowClosed(config: PipelineConfig): string {
  const ms = config.windows.vwapSeconds * 1000;
  const t = id(TRADE_TIME);
  return `CAST(TO_TIMESTAMP_LTZ(${t} - MOD(${t}, ${ms}) + ${ms - 1}, 3) AS TIMESTAMP(3)) <= CURRENT_WATERMARK(${EVENT_TIME})`;
}

/** The trade column `name` of the profile, renamed and described for the VWAP table (same type). */
export function fromTradeColumn(profile: ProfileName, name: string, as: string, description: string): Column {
  const column = columnsOf(profile).find((c) => c.name === name);
  if (!column) throw new Error(`the ${profile} schema has no column ${name}`);
  return { ...column, name: as, description };
}

/** What every window table holds of its trades' prices and volumes (tumbling and sliding alike). */
export const VOLUME_COLUMNS: readonly Column[] = [
  decimal(20, 8)('vwap', 'Volume-weighted average price: notional / total volume'),
  decimal(38, 4)('notional', 'Sum of price times volume in the window, USD'),
  integer('total_volume', 'Shares traded in the window'),
  integer('trade_count', 'Trades in the window'),
];

/** The window aggregates of VOLUME_COLUMNS, in their order, over rows with `price` and `volume`. */
export const VOLUME_AGGREGATES = `CAST(SUM(price * volume) / SUM(volume) AS DECIMAL(20, 8)),
  CAST(SUM(price * volume) AS DECIMAL(38, 4)),
  SUM(volume),
  COUNT(*)`;

/** The VWAP table's columns: the one list both its PostgreSQL and its Flink definitions derive from. */
export function vwapColumns(profile: ProfileName): readonly Column[] {
  const price = (name: string, description: string) => fromTradeColumn(profile, 'price', name, description);
  return [
    fromTradeColumn(profile, 'ticker', 'ticker', 'Instrument symbol'),
    instant('window_start', 'Start of the tumbling event-time window, UTC'),
    instant('window_end', 'End of the window (exclusive), UTC'),
    ...VOLUME_COLUMNS,
    price('open_price', 'Price of the first trade in event time'),
    price('high_price', 'Highest trade price'),
    price('low_price', 'Lowest trade price'),
    price('close_price', 'Price of the last trade in event time'),
  ];
}

const table = (config: PipelineConfig): PostgresTable => ({
  name: vwapTableName(config),
  columns: vwapColumns(config.profile),
  key: VWAP_KEY,
  comment: 'Per ticker and tumbling event-time window: volume-weighted average price, volume, count, OHLC',
});

export const vwapWindows = {
  name: 'VWAP windows',
  table,
  sinkDdl(config) {
    const keyLength = tradeKeyLength(config);
    return `${postgresSinkDdl(config, table(config))}

-- A sortable (event time, ${TRADE_KEY}, price) key per trade: MIN and MAX of it give a window's open and close.
CREATE TEMPORARY VIEW trades_ordered AS
SELECT ticker, price, volume, ${EVENT_TIME},
  LPAD(CAST(${TRADE_TIME} AS STRING), 15, '0') || RPAD(${id(TRADE_KEY)}, ${keyLength}, ' ') || CAST(price AS STRING) AS order_key
FROM ${TRADES_VIEW}
WHERE CURRENT_WATERMARK(${EVENT_TIME}) IS NULL OR NOT (${windowClosed(config)});`;
  },
  insert(config) {
    const priceAt = 16 + tradeKeyLength(config);
    return `INSERT INTO ${vwapTableName(config)}
SELECT ticker, window_start, window_end,
  ${VOLUME_AGGREGATES},
  CAST(SUBSTR(MIN(order_key), ${priceAt}) AS DECIMAL(12, 4)),
  MAX(price),
  MIN(price),
  CAST(SUBSTR(MAX(order_key), ${priceAt}) AS DECIMAL(12, 4))
FROM TABLE(TUMBLE(TABLE trades_ordered, DESCRIPTOR(${EVENT_TIME}), ${interval(config.windows.vwapSeconds * 1000)}))
GROUP BY ticker, window_start, window_end`;
  },
} satisfies Analytic;
