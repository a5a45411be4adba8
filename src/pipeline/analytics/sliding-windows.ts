/**
 * Per ticker, sliding (HOP) event-time windows of windows.slidingSeconds starting every windows.slideSeconds:
 * VWAP, notional, volume, count and realized volatility. Realized volatility is the square root of the sum of
 * the squared log returns of the window's trades, each return against the ticker's previous in-sequence trade,
 * computed upstream in keyed state (the `log_return` feature of ../ticker-features.ts, the runner's
 * `sequenced_log_return`), so a window's first trade has its return against the trade before the window; an
 * out-of-sequence trade (stale price) adds no return, but counts in the VWAP and volume. Switched off by
 * analytics.slidingWindows=false.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { instant, ratio } from '../../schema/index.ts';
import { interval, postgresSinkDdl } from '../flink-sql.ts';
import { EVENT_TIME } from '../source.ts';
import { SEQUENCE_LOOKBACK, SEQUENCED_PRICE, TICKER_VIEW } from '../ticker-features.ts';
import { type Analytic, durationName, type PostgresTable } from './analytic.ts';
import { fromTradeColumn, VOLUME_AGGREGATES, VOLUME_COLUMNS } from './vwap.ts';

/** The sliding windows' table, named for their length and slide: trade_windows_5m_every_1m by default. */
export const slidingTableName = ({ windows }: PipelineConfig) =>
  `trade_windows_${durationName(windows.slidingSeconds)}_every_${durationName(windows.slideSeconds)}`;
export const SLIDING_KEY = ['ticker', 'window_start', 'window_end'] as const;

const table = (config: PipelineConfig): PostgresTable => ({
  name: slidingTableName(config),
  columns: [
    fromTradeColumn(config.profile, 'ticker', 'ticker', 'Instrument symbol'),
    instant('window_start', 'Start of the sliding event-time window, UTC'),
    instant('window_end', 'End of the window (exclusive), UTC: window_start plus windows.slidingSeconds'),
    ...VOLUME_COLUMNS,
    ratio(
      'realized_volatility',
      "Square root of the sum of the squared log returns of the window's trades, each against the ticker's previous trade",
    ),
  ],
  key: SLIDING_KEY,
  comment: 'Per ticker and sliding event-time window: VWAP, volume, count and realized volatility',
});

export const slidingWindows = {
  name: 'sliding windows',
  table,
  enabled: (config: PipelineConfig) => config.analytics.slidingWindows,
  tickerFeatures: () => [
    {
      column: 'log_return',
      fn: { name: 'sequenced_log_return', className: 'dev.tradestream.flink.functions.SequencedLogReturn' },
      args: [...SEQUENCED_PRICE, SEQUENCE_LOOKBACK],
    },
  ],
  sinkDdl: (config) => postgresSinkDdl(config, table(config)),
  insert(config) {
    const { slidingSeconds, slideSeconds } = config.windows;
    return `INSERT INTO ${slidingTableName(config)}
SELECT ticker, window_start, window_end,
  ${VOLUME_AGGREGATES},
  SQRT(COALESCE(SUM(log_return * log_return), 0))
FROM TABLE(HOP(TABLE ${TICKER_VIEW}, DESCRIPTOR(${EVENT_TIME}), ${interval(slideSeconds * 1000)}, ${interval(slidingSeconds * 1000)}))
GROUP BY ticker, window_start, window_end`;
  },
} satisfies Analytic;
