/**
 * What both dashboards share: the two datasources (kube-prometheus-stack's Prometheus; the read-only PostgreSQL
 * datasource of charts/grafana-datasource.ts), a PostgreSQL query builder for the SDK (it ships none), the panel
 * grid, and the reading of a built dashboard's queries back out (for the tests).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';

/** kube-prometheus-stack provisions its Prometheus datasource under this uid (its grafana.sidecar.datasources.uid). */
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: 'prometheus' };
/** Grafana's core PostgreSQL plugin (its id since Grafana 10.2), provisioned by charts/grafana-datasource.ts. */
export const POSTGRES: common.DataSourceRef = {
  type: 'grafana-postgresql-datasource',
  uid: 'tradestream-postgres',
};

/** A PromQL target: `legend` is Grafana's legendFormat ({{label}}). */
export function promQuery(expr: string, legend?: string): prometheus.DataqueryBuilder {
  const query = new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).range();
  return legend ? query.legendFormat(legend) : query;
}

/** A PostgreSQL target as Grafana's SQL datasources store it (raw SQL in code mode). */
export interface SqlQuery extends cog.Dataquery {
  refId?: string;
  datasource: common.DataSourceRef;
  rawSql: string;
  format: 'time_series' | 'table';
  rawQuery: true;
  editorMode: 'code';
}

/** The SDK's builder shape for a PostgreSQL query, so panels take it like any other target. */
export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly query: SqlQuery;
  constructor(rawSql: string, format: SqlQuery['format'] = 'table') {
    this.query = {
      datasource: POSTGRES,
      rawSql,
      format,
      rawQuery: true,
      editorMode: 'code',
      _implementsDataqueryVariant() {},
    };
  }
  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }
  build(): SqlQuery {
    return this.query;
  }
}

export const sqlQuery = (rawSql: string, format: SqlQuery['format'] = 'table') =>
  new SqlQueryBuilder(rawSql, format);

/** Panels in rows of `perRow` across Grafana's 24 columns. */
export function grid(index: number, perRow = 2, height = 8) {
  const w = 24 / perRow;
  return { x: (index % perRow) * w, y: Math.floor(index / perRow) * height, w, h: height };
}

/** A built dashboard, as JSON (what the ConfigMap holds and Grafana loads). */
export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating?: { list: { name: string; query?: unknown; datasource?: common.DataSourceRef }[] };
}
export interface PanelJson {
  title: string;
  type: string;
  datasource?: common.DataSourceRef;
  targets?: (Record<string, unknown> & { datasource?: common.DataSourceRef })[];
}

/** Every query of a dashboard's panels, with the panel it belongs to. */
export function panelQueries(dashboard: DashboardJson) {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      datasource: target.datasource ?? panel.datasource,
      expr: target.expr as string | undefined,
      rawSql: target.rawSql as string | undefined,
    })),
  );
}

/** The dashboard variables' SQL queries (a variable is a query too). */
export function variableQueries(dashboard: DashboardJson) {
  return (dashboard.templating?.list ?? [])
    .filter((v) => typeof v.query === 'string' && v.datasource?.type === POSTGRES.type)
    .map((v) => ({ variable: v.name, rawSql: v.query as string }));
}

/**
 * A Grafana SQL query with its macros and variables replaced, as Grafana's PostgreSQL datasource sends it:
 * `$__timeFilter(col)` is `col BETWEEN <from> AND <to>`, `$name` / `${name}` a variable's value. Only the macros
 * the dashboards use; an unknown one is an error, not a silent pass.
 */
export function expandSql(
  sql: string,
  range: { from: Date; to: Date },
  variables: Record<string, string>,
): string {
  const ts = (d: Date) => `'${d.toISOString()}'`;
  const seconds = (interval: string) => {
    const m = /^'?(\d+)([smh])'?$/.exec(interval.trim());
    if (!m) throw new Error(`unsupported interval ${interval} in: ${sql}`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
  };
  const expanded = sql
    // As Grafana's PostgreSQL plugin expands it: the column floored to the interval, as "time".
    .replaceAll(/\$__timeGroupAlias\(([^,]+),([^)]+)\)/g, (_, col: string, interval: string) => {
      const s = seconds(interval);
      return `floor(extract(epoch from ${col.trim()}) / ${s}) * ${s} AS "time"`;
    })
    .replaceAll(
      /\$__timeFilter\(([^)]+)\)/g,
      (_, col: string) => `${col.trim()} BETWEEN ${ts(range.from)} AND ${ts(range.to)}`,
    )
    .replaceAll(/\$\{?(\w+)\}?/g, (whole, name: string) => {
      if (name.startsWith('__')) throw new Error(`unsupported Grafana macro ${whole} in: ${sql}`);
      const value = variables[name];
      if (value === undefined) throw new Error(`no value for variable $${name} in: ${sql}`);
      return value.replaceAll("'", "''");
    });
  return expanded;
}

/** A PromQL query with Grafana's `$__rate_interval` replaced by `window` (as Grafana does); any other `$` is an error. */
export function expandPromql(expr: string, window: string): string {
  const expanded = expr.replaceAll('$__rate_interval', window);
  // `$1` in label_replace's replacement is PromQL's own, not Grafana's.
  const unknown = expanded.replaceAll('"$1"', '').match(/\$\w+/);
  if (unknown) throw new Error(`unsupported Grafana variable ${unknown[0]} in: ${expr}`);
  return expanded;
}

/** Timeseries legend, shown as a list below the graph, and a tooltip of every series. */
export const legend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom);
export const tooltip = () =>
  new common.VizTooltipOptionsBuilder()
    .mode(common.TooltipDisplayMode.Multi)
    .sort(common.SortOrder.Descending);
