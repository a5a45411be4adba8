/**
 * The job's per-ticker state in arrival order, in one operator: every analytic that needs an aggregate over a
 * ticker's trades as they arrive (the producer's order: one partition per ticker) declares it as a TickerFeature,
 * and the generator puts them all into one unbounded OVER (PARTITION BY ticker ORDER BY proc_time), the view
 * TICKER_VIEW: valid trades as in `trades`, plus one column per feature. One keyed exchange of the trades and one
 * small accumulator per ticker and feature, where an OVER per analytic would ship every trade once per analytic
 * and a bounded OVER would keep every row of its window in state. The runner's functions (flink/, functions/)
 * hold the accumulators.
 *
 * The sequence rule, shared by the features that read price moves (InSequence.java): a trade stamped before one
 * of the ticker's SEQUENCE_LOOKBACK previous trades (out of order, or late) carries a stale price; it has no log
 * return and is no one's previous trade, so a late print is not read as a jump and back.
 */

import type { PipelineConfig } from '../config/index.ts';
import { columnsOf, TRADE_TIME } from '../schema/index.ts';
import { id } from './flink-sql.ts';
import { EVENT_TIME, TRADES_VIEW } from './source.ts';

export const TICKER_VIEW = 'trades_by_ticker';
export const SEQUENCE_LOOKBACK = 10;

/** One per-ticker aggregate: a column of TICKER_VIEW, computed by a function of the runner. */
export interface TickerFeature {
  /** Its column in TICKER_VIEW. */
  readonly column: string;
  /** The runner's aggregate function (SQL name and Java class) it calls. */
  readonly fn: { readonly name: string; readonly className: string };
  /** The function's arguments, over the columns of `trades`. */
  readonly args: readonly (string | number)[];
}

const over = 'OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)';

/** The `trade_timestamp, price` arguments of a feature that follows the sequence rule. */
export const SEQUENCED_PRICE = [id(TRADE_TIME), 'CAST(price AS DOUBLE)'] as const;

/** The functions the features call, then TICKER_VIEW; empty when no analytic declares a feature. */
export function tickerFeaturesSql(config: PipelineConfig, features: readonly TickerFeature[]): string {
  if (features.length === 0) return '';
  const functions = [...new Map(features.map((f) => [f.fn.name, f.fn])).values()];
  const names = columnsOf(config.profile)
    .map((c) => id(c.name))
    .join(', ');
  return `-- The runner's aggregates (flink/, functions/): one accumulator per ticker each.
${functions.map((f) => `CREATE TEMPORARY SYSTEM FUNCTION ${f.name} AS '${f.className}' LANGUAGE JAVA;`).join('\n')}

-- Every per-ticker aggregate of every analytic, in arrival order, in one OVER: one keyed exchange.
CREATE TEMPORARY VIEW ${TICKER_VIEW} AS
SELECT ${names}, ${EVENT_TIME}, proc_time,
${features.map((f) => `  ${f.fn.name}(${f.args.join(', ')}) ${over} AS ${f.column}`).join(',\n')}
FROM ${TRADES_VIEW};`;
}
