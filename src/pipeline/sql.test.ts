import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, tradeTopics } from '../config/index.ts';
import { columnsOf, PROFILE_NAMES } from '../schema/index.ts';
import { ALERT_RULES, vwapTableDdl } from './analytics.ts';
import { interval, pipelineSql, SQL_ENV } from './sql.ts';

const config = (overrides: Parameters<typeof loadConfig>[0] = {}) => loadConfig({ env: {}, ...overrides });

/** The INSERT statements inside the statement set (the generator's own layout: one INSERT per paragraph). */
function statementSet(sql: string): string[] {
  const match = /EXECUTE STATEMENT SET\nBEGIN\n([\s\S]*)\nEND;\n$/.exec(sql);
  assert.ok(match, 'one statement set at the end of the script');
  return (match[1] as string).split(/;\n/).filter((s) => /^INSERT INTO/m.test(s));
}

describe('pipelineSql', () => {
  for (const profile of PROFILE_NAMES) {
    describe(`profile ${profile}`, () => {
      const sql = pipelineSql(config({ overrides: { profile } }));
      const columns = columnsOf(profile);

      it('reads every trade topic raw, with event-time watermarks and an idle timeout', () => {
        const topics = tradeTopics(config());
        assert.match(sql, new RegExp(`'topic' = '${topics.join(';')}'`));
        assert.match(sql, /'format' = 'raw'/);
        assert.match(
          sql,
          /WATERMARK FOR event_time AS event_time - INTERVAL '0 00:00:05.000' DAY TO SECOND\(3\)/,
        );
        assert.match(sql, /SET 'table.exec.source.idle-timeout' = '10000ms';/);
      });

      it('validates and stores every schema column, and only those', () => {
        for (const c of columns) {
          if (!c.nullable) assert.ok(sql.includes(`THEN 'missing field ${c.name}'`), `check of ${c.name}`);
          assert.ok(sql.includes(`\`${c.name}\``), `column ${c.name}`);
        }
        const create = /CREATE TABLE stock_trades \(\n([\s\S]*?)\n\) WITH/.exec(sql)?.[1] ?? '';
        assert.equal(create.split('\n').length, columns.length + 1, 'one line per column and the key');
        assert.match(create, /PRIMARY KEY \(trade_id\) NOT ENFORCED/);
        assert.doesNotMatch(create, /TIMESTAMP_LTZ/, 'the JDBC sink cannot write TIMESTAMP_LTZ');
      });

      it('puts all four INSERTs in one statement set', () => {
        const inserts = statementSet(sql);
        assert.deepEqual(
          inserts.map((s) => /INSERT INTO (\w+)/.exec(s)?.[1]),
          ['stock_trades', 'trade_vwap_1m', 'alerts', 'dead_letters'],
        );
        assert.equal(sql.match(/INSERT INTO/g)?.length, 4, 'no INSERT outside the set');
      });

      it('keeps endpoints and secrets as placeholders', () => {
        for (const name of Object.values(SQL_ENV)) assert.ok(sql.includes(`\${${name}}`), name);
        assert.doesNotMatch(sql, /127\.0\.0\.1|jdbc:postgresql/);
      });
    });
  }

  it('applies the alert rules from the config', () => {
    const sql = pipelineSql(
      config({ overrides: { alerts: { volumeThreshold: 5000, relativeFactor: 3, trailingTrades: 7 } } }),
    );
    assert.match(
      sql,
      new RegExp(`'${ALERT_RULES.absolute}', CAST\\(5000 AS DOUBLE\\)\nFROM trades\nWHERE volume > 5000`),
    );
    assert.match(sql, /ROWS BETWEEN 7 PRECEDING AND CURRENT ROW/);
    assert.match(sql, /WHERE window_count = 8\n {2}AND CAST\(volume AS DOUBLE\) \* 7 >= CAST\(3 AS DOUBLE\)/);
  });

  it('is at-least-once by default and exactly-once with transactions when configured', () => {
    const atLeastOnce = pipelineSql(config());
    assert.equal(atLeastOnce.match(/'sink.delivery-guarantee' = 'at-least-once'/g)?.length, 2);
    assert.doesNotMatch(atLeastOnce, /transactional-id-prefix/);
    const exactlyOnce = pipelineSql(config({ overrides: { flink: { deliveryGuarantee: 'exactly-once' } } }));
    assert.equal(exactlyOnce.match(/'sink.delivery-guarantee' = 'exactly-once'/g)?.length, 2);
    assert.match(exactlyOnce, /'sink.transactional-id-prefix' = 'tradestream-alerts'/);
    assert.match(exactlyOnce, /'sink.transactional-id-prefix' = 'tradestream-dlq'/);
    assert.match(exactlyOnce, /'properties.transaction.timeout.ms' = '600000'/);
  });

  it('takes checkpointing, parallelism and windows from the config', () => {
    const sql = pipelineSql(
      config({
        overrides: { flink: { parallelism: 3, checkpointIntervalMs: 2500 }, windows: { vwapSeconds: 300 } },
      }),
    );
    assert.match(sql, /SET 'parallelism.default' = '3';/);
    assert.match(sql, /SET 'execution.checkpointing.interval' = '2500ms';/);
    assert.match(sql, /DESCRIPTOR\(event_time\), INTERVAL '0 00:05:00.000' DAY TO SECOND\(3\)/);
  });
});

describe('interval', () => {
  it('writes any millisecond count as a DAY TO SECOND literal', () => {
    assert.equal(interval(0), "INTERVAL '0 00:00:00.000' DAY TO SECOND(3)");
    assert.equal(interval(1_500), "INTERVAL '0 00:00:01.500' DAY TO SECOND(3)");
    assert.equal(interval(90 * 60_000), "INTERVAL '0 01:30:00.000' DAY TO SECOND(3)");
    assert.equal(interval(2 * 86_400_000 + 1), "INTERVAL '2 00:00:00.001' DAY TO SECOND(3)");
  });
});

describe('vwapTableDdl', () => {
  it('keys the table on ticker and window start, with the schema types of ticker and price', () => {
    const ddl = vwapTableDdl('narrow');
    assert.match(ddl, /ticker varchar\(12\) NOT NULL/);
    assert.match(ddl, /open_price numeric\(12,4\) NOT NULL/);
    assert.match(ddl, /PRIMARY KEY \(ticker, window_start\)/);
  });
});
