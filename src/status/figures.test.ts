import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pipelineQueries } from '../../charts/dashboards/pipeline-health.ts';
import { loadConfig } from '../config/index.ts';
import { describeFigures, type Figure, figureQueries, readFigures, vectorOf } from './figures.ts';

/**
 * Prometheus' answers to the figures' queries, recorded on the local stack with trades flowing
 * (TRADESTREAM_RECORD_FIGURES=... test/dashboards-metrics.test.ts): no Kafka Exporter there, so no group lag.
 */
const recorded = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'prometheus-figures.json'), 'utf8'),
) as Record<Figure, unknown>;
const config = loadConfig({ env: {} });

describe('status figures', () => {
  it("are the dashboard's own queries, the rate window filled in", () => {
    const dashboard = pipelineQueries(config);
    const figures = figureQueries(config);
    assert.equal(figures.stored, dashboard.rowsStoredPerTable.replaceAll('$__rate_interval', '2m'));
    assert.equal(figures.groupLag, dashboard.groupLag);
    for (const expr of Object.values(figures)) assert.doesNotMatch(expr, /\$__/);
  });

  it('read the series of recorded answers', () => {
    const stored = vectorOf(recorded.stored);
    assert.ok(stored.some((s) => s.labels.table === 'stock_trades' && s.value > 0));
    assert.deepEqual(vectorOf(recorded.groupLag), []);
    assert.throws(() => vectorOf({ status: 'error', error: 'parse error at char 3' }), /parse error/);
    assert.throws(
      () => vectorOf({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      /matrix/,
    );
  });

  it('say lag and rates in one line', async () => {
    const figures = await readFigures(config, async (expr) => {
      const figure = (Object.entries(figureQueries(config)).find(([, e]) => e === expr) ?? [])[0] as Figure;
      return recorded[figure];
    });
    const line = describeFigures(figures);
    assert.match(line, /^lag \d+(\.\d)? records pending, group lag n\/a; produced \d+(\.\d)?\/s; /);
    assert.match(line, /stored \d+(\.\d)? rows\/s \(stock_trades \d+/);
    assert.match(line, /dead letters \d+(\.\d)?\/s$/);
  });

  it('say which figure failed, or that none could be read', () => {
    const refused = new Error('HTTP 503 from the service proxy');
    assert.equal(
      describeFigures({
        produced: refused,
        pending: refused,
        groupLag: refused,
        stored: refused,
        deadLetters: refused,
      }),
      'no figures: HTTP 503 from the service proxy',
    );
    const line = describeFigures({
      produced: [
        { labels: { pod: 'p-1' }, value: 480.4 },
        { labels: { pod: 'p-2' }, value: 519.6 },
      ],
      pending: [{ labels: {}, value: 12 }],
      groupLag: [
        { labels: { topic: 'trades-00' }, value: 300 },
        { labels: { topic: 'trades-01' }, value: 200 },
      ],
      stored: [
        { labels: { table: 'trade_vwap_1m' }, value: 0.5 },
        { labels: { table: 'stock_trades' }, value: 990 },
      ],
      deadLetters: refused,
    });
    assert.equal(
      line,
      'lag 12 records pending, group lag 500; produced 1000/s; stored 991 rows/s (stock_trades 990, ' +
        'trade_vwap_1m 0.5); dead letters ? (HTTP 503 from the service proxy)',
    );
  });
});
