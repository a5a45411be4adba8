import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, tradeTopics } from '../config/index.ts';
import { columnsOf, decodeRules, flinkWireType, PROFILE_NAMES } from '../schema/index.ts';
import { ALERT_RULES, ANALYTICS, durationName, postgresDdl, postgresTables } from './analytics/index.ts';
import { vwapWindows } from './analytics/vwap.ts';
import { migrationSql } from './migration.ts';
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

      it('reads every trade topic once, through the strict decoder, with bounded event time', () => {
        const topics = tradeTopics(config());
        assert.match(sql, new RegExp(`'topic' = '${topics.join(';')}'`));
        assert.equal(sql.match(/'connector' = 'kafka',\n {2}'topic' = 'trades-\d/g)?.length, 1, 'one source');
        assert.match(sql, /'format' = 'tradestream-json'/);
        const rules = /'tradestream-json.rules' = '(.*)'\n/.exec(sql)?.[1] ?? '';
        assert.deepEqual(JSON.parse(rules.replaceAll("''", "'")), decodeRules(columns));
        assert.match(sql, /decode_reason STRING METADATA FROM 'value.reason' VIRTUAL/);
        assert.match(sql, /payload BYTES METADATA FROM 'value.raw' VIRTUAL/);
        assert.match(
          sql,
          /WATERMARK FOR event_time AS event_time - INTERVAL '0 00:00:05.000' DAY TO SECOND\(3\)/,
        );
        assert.match(
          sql,
          /source_timestamp \+ INTERVAL '0 00:00:01.000' DAY TO SECOND\(3\) THEN 'trade_timestamp is more than 1000 ms ahead/,
        );
        assert.match(sql, /SET 'table.exec.source.idle-timeout' = '10000ms';/);
      });

      it('declares every schema column once in the source and stores each in stock_trades', () => {
        const source = /CREATE TABLE trades_source \(\n([\s\S]*?)\n {2}decode_reason/.exec(sql)?.[1] ?? '';
        assert.deepEqual(
          source.split('\n').map((l) => l.trim().replace(/,$/, '')),
          columns.map((c) => `\`${c.name}\` ${flinkWireType(c.type)}`),
          'nullable physical columns, so the planner keeps the checks',
        );
        const create = /CREATE TABLE stock_trades \(\n([\s\S]*?)\n\) WITH/.exec(sql)?.[1] ?? '';
        assert.equal(create.split('\n').length, columns.length + 1, 'one line per column and the key');
        assert.match(create, /PRIMARY KEY \(`trade_id`\) NOT ENFORCED/);
        assert.doesNotMatch(create, /TIMESTAMP_LTZ/, 'stored timestamps are UTC wall-clock TIMESTAMP(3)');
        assert.match(sql, /CREATE TABLE stock_trades[\s\S]*?'connector' = 'tradestream-postgres'/);
      });

      it('reads the original bytes only to dead-letter them', () => {
        const uses = sql.split('\n').filter((l) => /\bpayload\b/.test(l));
        assert.deepEqual(uses, [
          "  payload BYTES METADATA FROM 'value.raw' VIRTUAL,",
          'SELECT payload, reason, source_topic, source_partition, source_offset',
          '  payload BYTES,',
          "SELECT payload, MAP['reason', CAST(CAST(reason AS STRING) AS BYTES), 'source_topic', CAST(CAST(source_topic AS STRING) AS BYTES), 'source_partition', CAST(CAST(source_partition AS STRING) AS BYTES), 'source_offset', CAST(CAST(source_offset AS STRING) AS BYTES)]",
        ]);
        assert.doesNotMatch(sql, /json_field|JSON_VALUE/i);
      });

      it('puts every INSERT in one statement set', () => {
        const inserts = statementSet(sql);
        assert.deepEqual(
          inserts.map((s) => /INSERT INTO (\w+)/.exec(s)?.[1]),
          [
            'stock_trades',
            'trade_vwap_1m',
            'late_trades',
            'trade_windows_5m_every_1m',
            'trade_patterns',
            'alerts',
            'alert_history',
            'dead_letters',
          ],
        );
        assert.equal(ANALYTICS.length, inserts.length, 'one INSERT per registered analytic');
        assert.equal(sql.match(/INSERT INTO/g)?.length, inserts.length, 'no INSERT outside the set');
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
      new RegExp(
        `'${ALERT_RULES.absolute}', CAST\\(5000 AS DOUBLE\\), CAST\\(NULL AS DOUBLE\\), CAST\\(NULL AS BIGINT\\), CAST\\(NULL AS BIGINT\\)\nFROM trades\nWHERE volume > 5000`,
      ),
    );
    assert.match(sql, /trailing_sum\(volume, 7\) OVER \(PARTITION BY ticker ORDER BY proc_time/);
    assert.match(
      sql,
      /WHERE trailing_volume IS NOT NULL\n {2}AND CAST\(volume AS DOUBLE\) \* 7 >= CAST\(3 AS DOUBLE\)/,
    );
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

describe('the VWAP table', () => {
  it('keys the table on ticker and window start, with the schema types of ticker and price', () => {
    const ddl = postgresDdl(vwapWindows.table(config()));
    assert.match(ddl, /ticker varchar\(12\) NOT NULL/);
    assert.match(ddl, /open_price numeric\(12,4\) NOT NULL/);
    assert.match(ddl, /PRIMARY KEY \(ticker, window_start\)/);
  });

  it('names each window table for its length, in the job, the migration and the registry alike', () => {
    const windows = { vwapSeconds: 30, slidingSeconds: 7200, slideSeconds: 90 };
    const c = config({ overrides: { windows } });
    const names = postgresTables(c).map((t) => t.name);
    assert.deepEqual(
      names.filter((n) => /^trade_(vwap|windows)_/.test(n)),
      ['trade_vwap_30s', 'trade_windows_2h_every_90s'],
    );
    const sql = pipelineSql(c);
    assert.match(sql, /INSERT INTO trade_vwap_30s\n/);
    assert.match(sql, /'table-name' = 'trade_vwap_30s'/);
    assert.match(sql, /INSERT INTO trade_windows_2h_every_90s\n/);
    const migration = migrationSql(c, 'app');
    for (const name of names)
      assert.match(migration, new RegExp(`CREATE TABLE IF NOT EXISTS ${name} `), name);
    assert.deepEqual([60, 300, 3600, 86_400, 61].map(durationName), ['1m', '5m', '1h', '24h', '61s']);
  });

  it('slides the sliding windows as configured, and leaves them out when switched off', () => {
    const sql = pipelineSql(config({ overrides: { windows: { slidingSeconds: 600, slideSeconds: 120 } } }));
    assert.match(
      sql,
      /HOP\(TABLE trades_by_ticker, DESCRIPTOR\(event_time\), INTERVAL '0 00:02:00.000' DAY TO SECOND\(3\), INTERVAL '0 00:10:00.000' DAY TO SECOND\(3\)\)/,
    );
    const off = pipelineSql(config({ overrides: { analytics: { slidingWindows: false } } }));
    assert.doesNotMatch(off, /INSERT INTO trade_windows_|HOP\(/);
    assert.match(off, /INSERT INTO trade_vwap_1m/);
  });

  it("gathers every analytic's per-ticker aggregate into one OVER of one view, and defines none when none is needed", () => {
    const view = (sql: string) =>
      /CREATE TEMPORARY VIEW trades_by_ticker AS\n[\s\S]*?\nFROM trades;/.exec(sql)?.[0];
    const all = view(pipelineSql(config())) ?? '';
    const calls = all.split('\n').filter((l) => l.includes(' OVER (PARTITION BY ticker ORDER BY proc_time '));
    assert.deepEqual(
      calls.map((c) => c.trim().slice(0, c.trim().indexOf('('))),
      ['sequenced_log_return', 'trailing_sum', 'anomaly_score'],
    );
    assert.equal(new Set(all.match(/OVER \([^)]*\)/g)).size, 1, 'one window: one operator');
    const sql = pipelineSql(config());
    for (const fn of ['sequenced_log_return', 'trailing_sum', 'anomaly_score'])
      assert.equal(sql.match(new RegExp(`CREATE TEMPORARY SYSTEM FUNCTION ${fn} `, 'g'))?.length, 1);
    const off = view(
      pipelineSql(config({ overrides: { analytics: { slidingWindows: false, anomalyScore: false } } })),
    );
    assert.match(off ?? '', /trailing_sum\(volume, 100\)/);
    assert.doesNotMatch(off ?? '', /sequenced_log_return|anomaly_score/);
    const rawOnly = pipelineSql(config(), [ANALYTICS[0] as (typeof ANALYTICS)[number]]);
    assert.doesNotMatch(rawOnly, /trades_by_ticker|CREATE TEMPORARY SYSTEM FUNCTION/);
  });

  it('refuses sliding windows that are not a whole number of slides', () => {
    assert.throws(
      () => config({ overrides: { windows: { slidingSeconds: 300, slideSeconds: 70 } } }),
      /windows\.slidingSeconds: must be a whole multiple of windows\.slideSeconds \(70\)/,
    );
  });

  it('scores anomalies as configured into the alerts, and leaves the rule out when switched off', () => {
    const alerts = {
      anomalyThreshold: 6,
      anomalyWarmupTrades: 30,
      anomalyFastSeconds: 1.5,
      anomalySlowSeconds: 90,
      anomalyRearmSeconds: 0,
    };
    const sql = pipelineSql(config({ overrides: { alerts } }));
    assert.match(sql, /'anomaly_score', CAST\(6 AS DOUBLE\), anomaly, CAST\(NULL AS BIGINT\)/);
    assert.match(
      sql,
      /anomaly_score\(`trade_timestamp`, CAST\(price AS DOUBLE\), CAST\(volume AS DOUBLE\), 10, CAST\(6 AS DOUBLE\), 30, 1500, 90000, 0\) OVER \(PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW\)/,
    );
    assert.match(
      sql,
      /CREATE TEMPORARY SYSTEM FUNCTION anomaly_score AS 'dev\.tradestream\.flink\.functions\.AnomalyScore'/,
    );
    assert.throws(
      () => config({ overrides: { alerts: { anomalyFastSeconds: 120 } } }),
      /invalid config alerts\.anomalyFastSeconds: must be shorter than alerts\.anomalySlowSeconds \(120\)/,
    );
    assert.match(sql, /`score` DOUBLE,\n {2}`match_start` BIGINT,\n {2}`match_end` BIGINT\n\)/);
    const off = pipelineSql(config({ overrides: { analytics: { anomalyScore: false } } }));
    assert.doesNotMatch(off, /anomaly_score/);
    assert.match(off, /'volume_above_threshold'/);
  });

  it('detects the patterns on bars as configured, into trade_patterns and the alerts, and leaves them out when off', () => {
    const sql = pipelineSql(
      config({
        overrides: {
          patterns: { barSeconds: 2, minBarTrades: 9, lookbackBars: 7, momentumBars: 4, recoveryBars: 3 },
        },
      }),
    );
    assert.match(
      sql,
      /TUMBLE\(TABLE trades, DESCRIPTOR\(event_time\), INTERVAL '0 00:00:02.000' DAY TO SECOND\(3\)\)/,
    );
    assert.match(sql, /ROWS BETWEEN 7 PRECEDING AND CURRENT ROW\) AS trailing_high/);
    assert.match(sql, /trade_count >= 9 AND vwap > prev_vwap \* CAST\(1.0005 AS DOUBLE\) AS rising/);
    assert.match(sql, /trailing_bars = 8\n/);
    assert.match(sql, /PATTERN \(S R\{4\}\)/);
    assert.match(sql, /PATTERN \(C\+ M\{0,3\} B\)/);
    assert.match(sql, /PATTERN \(Q V\)/);
    assert.equal(sql.match(/MATCH_RECOGNIZE/g)?.length, 3, 'each pattern matched once, read by both sinks');
    assert.equal(sql.match(/AFTER MATCH SKIP PAST LAST ROW/g)?.length, 3);
    for (const rule of [ALERT_RULES.momentum, ALERT_RULES.vShape, ALERT_RULES.volumeBurst])
      assert.match(sql, new RegExp(`'${rule}'`));
    assert.match(sql, /INSERT INTO trade_patterns\nSELECT/);
    const off = pipelineSql(config({ overrides: { analytics: { patterns: false } } }));
    assert.doesNotMatch(off, /MATCH_RECOGNIZE|trade_patterns|'pattern_/);
    assert.equal(statementSet(off).length, ANALYTICS.length - 1);
  });
});
