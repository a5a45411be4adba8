/**
 * The dashboards as Grafana gets them: built by the SDK, every panel with a datasource and a query, every SQL
 * query naming real tables and columns of the registry (parsed by PostgreSQL's own parser), every PromQL query
 * (parsed by Prometheus' own grammar) naming metrics a component really exports: the producer's from its
 * registry, Kafka's and Flink's from scrapes recorded on the local stack (src/status/fixtures), the rest from
 * their sources (metrics.ts). test/dashboards-metrics.test.ts runs them all on a real stack.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { loadModule, parseSync } from 'libpg-query';
import { loadConfig } from '../../src/config/index.ts';
import { postgresTables } from '../../src/pipeline/analytics/index.ts';
import { ProducerMetrics } from '../../src/producer/metrics.ts';
import { buildApp } from '../app.ts';
import { DASHBOARD_LABEL, dashboards } from './index.ts';
import { TICKER_VARIABLE, vwapTables } from './market.ts';
import { knownMetrics, METRICS } from './metrics.ts';
import { expandPromql, expandSql, POSTGRES, PROMETHEUS, panelQueries, variableQueries } from './shared.ts';

const config = loadConfig({ env: {} });
const built = dashboards(config);
const queries = built.flatMap((d) => panelQueries(d).map((q) => ({ dashboard: d.uid, ...q })));
const RANGE = { from: new Date('2026-01-05T14:00:00Z'), to: new Date('2026-01-05T15:00:00Z') };

/** The metric names a PromQL expression selects, from Prometheus' grammar; a syntax error fails. */
export function metricNames(expr: string): string[] {
  const tree = promqlParser.parse(expr);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    assert.notEqual(cursor.name, '⚠', `PromQL syntax error at ${cursor.from} in: ${expr}`);
    if (cursor.name === 'VectorSelector' && cursor.firstChild()) {
      const child: string = cursor.name;
      if (child === 'Identifier') names.push(expr.slice(cursor.from, cursor.to));
      cursor.parent();
    }
  } while (cursor.next());
  return names;
}

interface SqlNames {
  tables: string[];
  columns: string[];
  aliases: string[];
}
/** Tables, column references and output aliases anywhere in a PostgreSQL statement's parse tree. */
function sqlNames(node: unknown, into: SqlNames = { tables: [], columns: [], aliases: [] }): SqlNames {
  if (Array.isArray(node)) for (const n of node) sqlNames(n, into);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const rangeVar = o.RangeVar as { relname?: string } | undefined;
    if (rangeVar?.relname) into.tables.push(rangeVar.relname);
    const columnRef = o.ColumnRef as { fields?: { String?: { sval: string } }[] } | undefined;
    const last = columnRef?.fields?.at(-1)?.String?.sval;
    if (last) into.columns.push(last);
    const target = o.ResTarget as { name?: string } | undefined;
    if (target?.name) into.aliases.push(target.name);
    for (const value of Object.values(o)) sqlNames(value, into);
  }
  return into;
}

/** Scrapes of the local stack's Flink job and Kafka broker (recorded with trades flowing). */
const scraped = (file: string) =>
  new Set(
    readFileSync(join(import.meta.dirname, '../../src/status/fixtures', file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]),
  );

describe('Grafana dashboards', () => {
  it('build with the SDK: a uid, a title and panels with a datasource and a query each', () => {
    assert.deepEqual(
      built.map((d) => d.title),
      ['tradestream: pipeline health', 'tradestream: market'],
    );
    for (const dashboard of built) {
      assert.ok(dashboard.uid && dashboard.panels.length > 0, dashboard.title);
      for (const panel of dashboard.panels) {
        assert.ok(panel.datasource?.uid && panel.datasource.type, `${panel.title}: datasource`);
        assert.ok((panel.targets ?? []).length > 0, `${panel.title}: no query`);
        for (const target of panel.targets ?? []) {
          assert.ok(target.refId, `${panel.title}: refId`);
          const ds: { type?: string } | undefined = target.datasource ?? panel.datasource;
          if (ds?.type === PROMETHEUS.type) assert.ok(target.expr, `${panel.title}: PromQL`);
          else if (ds.type === POSTGRES.type) assert.ok(target.rawSql, `${panel.title}: SQL`);
          else assert.fail(`${panel.title}: unknown datasource ${ds.type}`);
        }
      }
    }
  });

  it('are ConfigMaps labelled for Grafana sidecar in the synthesized app', () => {
    const objects = buildApp(config)
      .charts.flatMap((c) => c.toJson())
      .filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard);
    assert.deepEqual(
      objects.map((o) => o.metadata.name),
      built.map((d) => d.uid),
    );
    for (const o of objects) {
      assert.deepEqual({ ...o.metadata.labels, ...DASHBOARD_LABEL }, o.metadata.labels);
      const [json] = Object.values(o.data as Record<string, string>);
      assert.equal(JSON.parse(json as string).uid, o.metadata.name);
    }
  });

  it('name only real tables and columns of the analytics registry in SQL', async () => {
    await loadModule();
    const tables = new Map(postgresTables(config).map((t) => [t.name, t]));
    const sql = [
      ...queries.filter((q) => q.rawSql).map((q) => ({ where: q.panel, rawSql: q.rawSql as string })),
      ...built.flatMap((d) => variableQueries(d).map((v) => ({ where: `$${v.variable}`, rawSql: v.rawSql }))),
    ];
    assert.ok(sql.length >= 5);
    for (const { where, rawSql } of sql) {
      const expanded = expandSql(rawSql, RANGE, { [TICKER_VARIABLE]: 'AAPL' });
      const names = sqlNames(parseSync(expanded));
      assert.ok(names.tables.length > 0, `${where}: no table`);
      const columns = new Set<string>(names.aliases);
      for (const table of names.tables) {
        const known = tables.get(table);
        assert.ok(known, `${where}: ${table} is no table of the registry`);
        for (const c of known.columns) columns.add(c.name);
      }
      for (const column of names.columns) assert.ok(columns.has(column), `${where}: no column ${column}`);
    }
  });

  it('draw the VWAP of every window table of the registry', () => {
    const vwap = queries.filter((q) => q.panel.startsWith('VWAP'));
    assert.deepEqual(
      vwap.map((q) => /FROM (\w+)/.exec(q.rawSql ?? '')?.[1]),
      vwapTables(config).map((t) => t.name),
    );
    assert.ok(vwap.length >= 2);
  });

  it('query only metrics the components export', () => {
    const known = knownMetrics();
    const producer = new Set(new ProducerMetrics().registry.getMetricsAsArray().map((metric) => metric.name));
    const local = {
      producer,
      kafka: scraped('kafka-broker-metrics.txt'),
      flink: scraped('flink-metrics.txt'),
    } as Record<string, Set<string>>;
    const used = new Set<string>();
    for (const q of queries.filter((q) => q.expr)) {
      const names = metricNames(expandPromql(q.expr as string, '1m'));
      assert.ok(names.length > 0, `${q.panel}: no metric in ${q.expr}`);
      for (const name of names) {
        assert.ok(known.has(name), `${q.panel}: ${name} is exported by no component`);
        used.add(name);
      }
    }
    // Those the local stack exports are in its real scrapes (or the producer's own registry).
    for (const [key, source] of Object.entries(METRICS)) {
      const seen = local[key];
      for (const name of Object.values(source.names)) {
        assert.ok(used.has(name), `${name} is declared but no panel uses it`);
        if (source.local === true) assert.ok(seen?.has(name), `${name} not in the ${key} scrape`);
        else assert.ok(source.local.length > 0 && !seen);
      }
    }
  });
});
