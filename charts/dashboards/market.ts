/**
 * The "Market" dashboard, from what the job stored in PostgreSQL (read-only datasource): the VWAP of every
 * window table and the one-minute OHLC candles of a chosen ticker, the tickers with the most volume, the alerts
 * per rule over time and the latest alerts (alert_history, the alerts topic's records kept in PostgreSQL).
 *
 * Tables and columns come from the analytics registry, each column looked up in its table (an unknown one
 * fails the synth), and the VWAP panel draws every window table that has the VWAP columns, so a new window
 * table appears there without a change here.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as candlestick from '@grafana/grafana-foundation-sdk/candlestick';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { PipelineConfig } from '../../src/config/index.ts';
import {
  ALERT_HISTORY_TABLE,
  type PostgresTable,
  postgresTables,
  vwapTableName,
} from '../../src/pipeline/analytics/index.ts';
import { legend, POSTGRES, sqlQuery, tooltip } from './shared.ts';

export const MARKET_UID = 'tradestream-market';
/** The dashboard variable holding the chosen ticker. */
export const TICKER_VARIABLE = 'ticker';

/** A table's column names, each checked against the registry: `col('vwap')` throws if the table has none. */
export function columnsOfTable(table: PostgresTable) {
  const names = new Set(table.columns.map((c) => c.name));
  return (name: string): string => {
    if (!names.has(name)) throw new Error(`table ${table.name} has no column ${name}`);
    return name;
  };
}

const tableNamed = (config: PipelineConfig, name: string): PostgresTable => {
  const table = postgresTables(config).find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name} in the analytics registry`);
  return table;
};

/** What a window table must have for the VWAP panel. */
const WINDOW_COLUMNS = ['ticker', 'window_start', 'window_end', 'vwap'];

/** Every table of windows per ticker with a VWAP (tumbling and sliding today). */
export function vwapTables(config: PipelineConfig): PostgresTable[] {
  return postgresTables(config).filter((t) =>
    WINDOW_COLUMNS.every((name) => t.columns.some((c) => c.name === name)),
  );
}

export function marketDashboard(config: PipelineConfig): DashboardBuilder {
  const vwap = tableNamed(config, vwapTableName(config));
  const v = columnsOfTable(vwap);
  const ticker = `'$${TICKER_VARIABLE}'`;

  // The chosen ticker: those traded in the time range, the most volume first (the default is the first).
  const tickerVariable = new QueryVariableBuilder(TICKER_VARIABLE)
    .label('Ticker')
    .datasource(POSTGRES)
    .query(
      `SELECT ${v('ticker')} FROM ${vwap.name} WHERE $__timeFilter(${v('window_start')}) ` +
        `GROUP BY ${v('ticker')} ORDER BY sum(${v('total_volume')}) DESC`,
    )
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.Disabled);

  const vwapPanel = new timeseries.PanelBuilder()
    .title(`VWAP of $${TICKER_VARIABLE}, per window table`)
    .description('Volume-weighted average price of each window, at its end')
    .datasource(POSTGRES)
    .unit('currencyUSD')
    .legend(legend())
    .tooltip(tooltip())
    .gridPos({ x: 0, y: 0, w: 24, h: 9 });
  vwapTables(config).forEach((table, i) => {
    const c = columnsOfTable(table);
    vwapPanel.withTarget(
      sqlQuery(
        `SELECT ${c('window_end')} AS time, ${c('vwap')} AS "${table.name}" FROM ${table.name} ` +
          `WHERE ${c('ticker')} = ${ticker} AND $__timeFilter(${c('window_end')}) ORDER BY 1`,
        'time_series',
      ).refId(String.fromCharCode(65 + i)),
    );
  });

  // Grafana's candlestick panel maps fields named open, high, low, close and volume by itself.
  const candles = new candlestick.PanelBuilder()
    .title(`OHLC candles of $${TICKER_VARIABLE} (${config.windows.vwapSeconds}-second windows)`)
    .description(`Open, high, low and close of each window in ${vwap.name}, with its volume`)
    .datasource(POSTGRES)
    .mode(candlestick.VizDisplayMode.CandlesVolume)
    .candleStyle(candlestick.CandleStyle.Candles)
    .colorStrategy(candlestick.ColorStrategy.OpenClose)
    .unit('currencyUSD')
    .legend(legend())
    .gridPos({ x: 0, y: 9, w: 24, h: 10 })
    .withTarget(
      sqlQuery(
        `SELECT ${v('window_start')} AS time, ${v('open_price')} AS open, ${v('high_price')} AS high, ` +
          `${v('low_price')} AS low, ${v('close_price')} AS close, ${v('total_volume')} AS volume ` +
          `FROM ${vwap.name} WHERE ${v('ticker')} = ${ticker} AND $__timeFilter(${v('window_start')}) ORDER BY 1`,
      ).refId('A'),
    );

  const topTickers = new bargauge.PanelBuilder()
    .title('Top tickers by volume')
    .description(`Shares traded in the time range (${vwap.name})`)
    .datasource(POSTGRES)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields('/^volume$/'))
    .unit('short')
    .gridPos({ x: 0, y: 19, w: 12, h: 9 })
    .withTarget(
      sqlQuery(
        `SELECT ${v('ticker')}, sum(${v('total_volume')}) AS volume FROM ${vwap.name} ` +
          `WHERE $__timeFilter(${v('window_start')}) GROUP BY ${v('ticker')} ORDER BY volume DESC LIMIT 10`,
      ).refId('A'),
    );

  const history = tableNamed(config, ALERT_HISTORY_TABLE);
  const h = columnsOfTable(history);
  const alertsPerRule = new timeseries.PanelBuilder()
    .title('Alerts per rule')
    .description(
      `Alerts per minute, per rule (${history.name}: every record of the ${config.kafka.alertsTopic} topic)`,
    )
    .datasource(POSTGRES)
    .unit('short')
    .legend(legend())
    .tooltip(tooltip())
    .gridPos({ x: 12, y: 19, w: 12, h: 9 })
    .withTarget(
      sqlQuery(
        `SELECT $__timeGroupAlias(${h('alert_time')}, '1m'), ${h('rule')} AS metric, count(*) AS alerts ` +
          `FROM ${history.name} WHERE $__timeFilter(${h('alert_time')}) GROUP BY 1, 2 ORDER BY 1`,
        'time_series',
      ).refId('A'),
    );

  const latestAlerts = new table.PanelBuilder()
    .title('Latest alerts')
    .description(`The 50 latest alerts of every rule (${history.name})`)
    .datasource(POSTGRES)
    .gridPos({ x: 0, y: 28, w: 24, h: 10 })
    .withTarget(
      sqlQuery(
        `SELECT ${h('alert_time')}, ${h('rule')}, ${h('ticker')}, ${h('price')}, ${h('volume')}, ` +
          `${h('threshold')}, ${h('score')}, ${h('trade_id')}, ${h('match_start')}, ${h('match_end')} ` +
          `FROM ${history.name} WHERE $__timeFilter(${h('alert_time')}) ORDER BY ${h('alert_time')} DESC LIMIT 50`,
      ).refId('A'),
    );

  return new DashboardBuilder('tradestream: market')
    .uid(MARKET_UID)
    .tags(['tradestream'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('utc')
    .withVariable(tickerVariable)
    .withPanel(vwapPanel)
    .withPanel(candles)
    .withPanel(topTickers)
    .withPanel(alertsPerRule)
    .withPanel(latestAlerts);
}
