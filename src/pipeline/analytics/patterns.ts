/**
 * Pattern detection with MATCH_RECOGNIZE on short per-ticker bars (patterns.barSeconds of event time):
 * - momentum: a bar that is not rising and near the trailing high, then patterns.momentumBars rising bars
 *   (each VWAP above the one before by at least patterns.momentumStep), so a run is found once, at its
 *   momentumBars-th bar, and a V's recovery (which starts far under the high) is not a run;
 * - v_shape: one or more crash bars (low patterns.crashDrop or more under the trailing high), then at most
 *   patterns.recoveryBars bars between, then a bar back near the trailing high;
 * - volume_burst: a bar whose volume without its largest print (so not one block) is patterns.burstFactor
 *   times the mean volume of the lookbackBars bars before it, and whose prints are patterns.burstSizeFactor
 *   times larger than theirs in geometric mean (most prints large: not two blocks in a quiet bar, nor the 6x
 *   sizes of a crash), after one that is not: found at its first bar.
 * The bars are tumbling event-time aggregates (VWAP in DOUBLE from the exact sums, high, low, volume, count); the previous bar's VWAP and the trailing high come from event-time OVERs, so every condition of the
 * patterns is a flag of one bar, the flags of one pattern exclude each other, and a match is the leftmost one,
 * resuming after its last bar: exact and repeatable (ordered by event time; a ticker has one bar per window).
 * Each match is one row of trade_patterns, keyed by (ticker, pattern, match_start), and one alert with rule
 * pattern_<name>. Switched off by analytics.patterns=false.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { columnsOf, flinkWireType, instant, integer, oneOf, ratio, TRADE_TIME } from '../../schema/index.ts';
import { id, interval, postgresSinkDdl, str } from '../flink-sql.ts';
import { EVENT_TIME, TRADES_VIEW } from '../source.ts';
import type { AlertRule } from './alert-rule.ts';
import type { Analytic, PostgresTable } from './analytic.ts';
import { fromTradeColumn } from './vwap.ts';

export const PATTERNS_TABLE = 'trade_patterns';
export const PATTERNS_KEY = ['ticker', 'pattern', 'match_start'] as const;
/** Per ticker and bar: vwap, high, low, volume, trade_count, and the flags the patterns read. */
const BARS_VIEW = 'pattern_bars';
/** Every match of every pattern, in PATTERNS_TABLE's columns. */
const MATCHES_VIEW = 'pattern_matches';

/** `pattern` is a reserved word in Flink SQL (MATCH_RECOGNIZE). */
const PATTERN = id('pattern');

export type PatternName = 'momentum' | 'v_shape' | 'volume_burst';

/** The flags of a bar (columns of BARS_VIEW) and each pattern's MATCH_RECOGNIZE over them. */
const PATTERNS: Record<
  PatternName,
  {
    pattern: (p: PipelineConfig['patterns']) => string;
    define: string;
    first: string;
    last: string;
    /** The variable whose bars the match's figures sum (all but a leading context bar); '' for all. */
    bars: string;
  }
> = {
  momentum: {
    pattern: (p) => `S R{${p.momentumBars}}`,
    define: 'S AS NOT rising AND near_high, R AS rising',
    first: 'R',
    last: 'R',
    bars: 'R.',
  },
  v_shape: {
    pattern: (p) => `C+ M{0,${p.recoveryBars}} B`,
    define: 'C AS deep, M AS NOT deep AND NOT near_high, B AS NOT deep AND near_high',
    first: 'C',
    last: 'B',
    bars: '',
  },
  volume_burst: {
    pattern: () => 'Q V',
    define: 'Q AS NOT burst, V AS burst',
    first: 'V',
    last: 'V',
    bars: 'V.',
  },
};
export const PATTERN_NAMES = Object.keys(PATTERNS) as PatternName[];
/** The alert rule of a pattern. */
export const patternRule = <N extends PatternName>(name: N) => `pattern_${name}` as const;

const table = ({ profile }: PipelineConfig): PostgresTable => ({
  name: PATTERNS_TABLE,
  columns: [
    fromTradeColumn(profile, 'ticker', 'ticker', 'Instrument symbol'),
    oneOf(...PATTERN_NAMES)('pattern', 'Which pattern matched'),
    instant('match_start', "Start of the match's first bar, UTC"),
    instant('match_end', "End of the match's last bar (exclusive), UTC"),
    ratio('first_vwap', "VWAP of the match's first bar"),
    ratio('last_vwap', "VWAP of the match's last bar"),
    fromTradeColumn(profile, 'price', 'low', 'Lowest price in the match'),
    fromTradeColumn(profile, 'price', 'high', 'Highest price in the match'),
    integer('total_volume', 'Shares traded in the match'),
    integer('trade_count', 'Trades in the match'),
  ],
  key: PATTERNS_KEY,
  comment:
    'Per ticker: each match of a pattern on short bars (momentum run-up, V-shaped crash, volume burst)',
});

const double = (x: number) => `CAST(${x} AS DOUBLE)`;

function barsSql(config: PipelineConfig): string {
  const p = config.patterns;
  const barMs = p.barSeconds * 1000;
  const enough = `trade_count >= ${p.minBarTrades}`;
  const over = (rows: number) =>
    `OVER (PARTITION BY ticker ORDER BY window_time ROWS BETWEEN ${rows} PRECEDING AND CURRENT ROW)`;
  return `CREATE TEMPORARY VIEW ${BARS_VIEW} AS
SELECT ticker, window_start, window_end, window_time, start_ms, vwap, high, low, volume, trade_count,
  ${enough} AND vwap > prev_vwap * ${double(1 + p.momentumStep)} AS rising,
  vwap >= CAST(trailing_high AS DOUBLE) * ${double(1 - p.nearHigh)} AS near_high,
  ${enough} AND CAST(low AS DOUBLE) <= CAST(trailing_high AS DOUBLE) * ${double(1 - p.crashDrop)} AS deep,
  -- Against the mean volume of the lookbackBars bars before (the window's sum without this bar), this bar's
  -- volume without its largest print: many large prints, not one block.
  ${enough} AND trailing_bars = ${p.lookbackBars + 1}
    AND CAST(volume - largest_print AS DOUBLE) * ${p.lookbackBars} >= ${double(p.burstFactor)} * CAST(trailing_volume - volume AS DOUBLE)
    AND log_size / trade_count - (trailing_log_size - log_size) / CAST(trailing_trades - trade_count AS DOUBLE) >= ${double(Math.log(p.burstSizeFactor))} AS burst
FROM (
  SELECT *,
    MAX(high) ${over(p.lookbackBars)} AS trailing_high,
    SUM(volume) ${over(p.lookbackBars)} AS trailing_volume,
    SUM(log_size) ${over(p.lookbackBars)} AS trailing_log_size,
    SUM(trade_count) ${over(p.lookbackBars)} AS trailing_trades,
    COUNT(*) ${over(p.lookbackBars)} AS trailing_bars
  FROM (
    SELECT *, FIRST_VALUE(vwap) ${over(1)} AS prev_vwap
    FROM (
      SELECT ticker, window_start, window_end, window_time,
        -- The bar's start in epoch ms, exactly, for the alerts' match interval.
        MIN(${id(TRADE_TIME)}) - MOD(MIN(${id(TRADE_TIME)}), ${barMs}) AS start_ms,
        CAST(SUM(price * volume) AS DOUBLE) / CAST(SUM(volume) AS DOUBLE) AS vwap,
        MAX(price) AS high, MIN(price) AS low, SUM(volume) AS volume, MAX(volume) AS largest_print,
        SUM(LN(CAST(volume AS DOUBLE))) AS log_size, COUNT(*) AS trade_count
      FROM TABLE(TUMBLE(TABLE ${TRADES_VIEW}, DESCRIPTOR(${EVENT_TIME}), ${interval(barMs)}))
      GROUP BY ticker, window_start, window_end, window_time
    )
  )
)`;
}

function matchesSql(config: PipelineConfig): string {
  const selects = PATTERN_NAMES.map((name) => {
    const { pattern, define, first, last, bars } = PATTERNS[name];
    return `SELECT ticker, ${str(name)} AS ${PATTERN}, match_start, match_end, first_vwap, last_vwap, low, high, total_volume, trade_count, start_ms, end_ms
FROM ${BARS_VIEW}
MATCH_RECOGNIZE (
  PARTITION BY ticker
  ORDER BY window_time
  MEASURES
    FIRST(${first}.window_start) AS match_start,
    LAST(${last}.window_end) AS match_end,
    FIRST(${first}.vwap) AS first_vwap,
    LAST(${last}.vwap) AS last_vwap,
    MIN(${bars}low) AS low,
    MAX(${bars}high) AS high,
    SUM(${bars}volume) AS total_volume,
    SUM(${bars}trade_count) AS trade_count,
    FIRST(${first}.start_ms) AS start_ms,
    LAST(${last}.start_ms) + ${config.patterns.barSeconds * 1000} AS end_ms
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (${pattern(config.patterns)})
  DEFINE ${define}
)`;
  });
  return `CREATE TEMPORARY VIEW ${MATCHES_VIEW} AS\n${selects.join('\nUNION ALL\n')}`;
}

export const patterns = {
  name: 'patterns',
  table,
  enabled: (config: PipelineConfig) => config.analytics.patterns,
  sinkDdl: (config) =>
    [`${barsSql(config)};`, `${matchesSql(config)};`, postgresSinkDdl(config, table(config))].join('\n\n'),
  insert: () => `INSERT INTO ${PATTERNS_TABLE}
SELECT ticker, ${PATTERN}, match_start, match_end, first_vwap, last_vwap, low, high, total_volume, trade_count
FROM ${MATCHES_VIEW}`,
} satisfies Analytic;

/**
 * A pattern's alerts: one per match. An alert's trade fields are the match's: ticker, price (the last bar's
 * VWAP), volume (the match's shares) and trade_timestamp (the match's end); the others are null. Its threshold
 * is the pattern's (momentumStep, crashDrop, burstFactor), its score the match's move (last over first VWAP, minus 1), and
 * match_start and match_end its interval.
 */
export function patternAlertRule(name: PatternName): AlertRule {
  return {
    name: patternRule(name),
    enabled: (config) => config.analytics.patterns,
    select(config) {
      const fields: Record<string, string> = {
        ticker: 'ticker',
        price: 'last_vwap',
        volume: 'total_volume',
        [TRADE_TIME]: 'end_ms',
      };
      const columns = columnsOf(config.profile).map(
        (c) => `CAST(${fields[c.name] ?? 'NULL'} AS ${flinkWireType(c.type)}) AS ${id(c.name)}`,
      );
      const { momentumStep, crashDrop, burstFactor } = config.patterns;
      const threshold = { momentum: momentumStep, v_shape: crashDrop, volume_burst: burstFactor }[name];
      return `SELECT ${columns.join(', ')}, ${str(this.name)}, ${double(threshold)}, last_vwap / first_vwap - 1, start_ms, end_ms
FROM ${MATCHES_VIEW}
WHERE ${PATTERN} = ${str(name)}`;
    },
  };
}
