/**
 * "Decoded once" proven on the optimized plan of the generated job, as Flink's planner prints it (the runner's
 * --explain): one source scan, reused by every branch, decoding with the strict format and carrying the
 * watermark; no operator after it parses anything, and only the dead-letter branch touches the original bytes.
 * And the per-ticker state in arrival order is one operator: one OVER holds every analytic's per-ticker aggregate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { explainPlan } from '../src/local/flink.ts';
import { ANALYTICS } from '../src/pipeline/analytics/index.ts';
import { pipelineSql, SQL_ENV } from '../src/pipeline/sql.ts';
import { PROFILE_NAMES } from '../src/schema/index.ts';

// Planning contacts no server: the placeholders only need to be well-formed.
const env = {
  ...Object.fromEntries(Object.values(SQL_ENV).map((name) => [name, 'none'])),
  [SQL_ENV.kafkaBootstrap]: '127.0.0.1:9',
  [SQL_ENV.kafkaSecurityProtocol]: 'plaintext',
  [SQL_ENV.jdbcUrl]: 'jdbc:postgresql://127.0.0.1:9/none',
};

for (const profile of PROFILE_NAMES) {
  describe(`the optimized plan (${profile})`, () => {
    it('decodes each record once, at the source, and reads the raw bytes only to dead-letter them', async () => {
      const explained = await explainPlan(pipelineSql(loadConfig({ env: {}, overrides: { profile } })), env);
      const plan = explained.split('== Optimized Execution Plan ==')[1] ?? '';
      const lines = plan.split('\n').filter((l) => l.trim() !== '');
      const scans = lines.filter((l) => l.includes('TableSourceScan('));
      assert.equal(scans.length, 1, 'one scan of the topics');
      assert.match(scans[0] as string, /trades_source, metadata=\[value\.reason, value\.raw, /);
      assert.match(
        scans[0] as string,
        /watermark=\[/,
        'the watermark is generated in the source, per partition',
      );
      // Every branch reads the one scan, through the source's computed columns planned once on top of it
      // (the block the scan and that Calc form, reused by the views and the dead letters).
      const scanAt = lines.indexOf(scans[0] as string);
      const scanId = `${lines[scanAt - 1]}${scans[0]}`.match(/reuse_id=\[(\d+)\]/)?.[1];
      assert.ok(scanId, 'the scan is reused');
      const sinks = lines.filter((l) => l.startsWith('Sink('));
      assert.equal(sinks.length, ANALYTICS.length, 'one sink per analytic');
      assert.ok(lines.some((l) => l.includes(`Reused(reference_id=[${scanId}])`)));
      assert.doesNotMatch(plan, /json|JSON_/, 'no JSON function after the source');
      // The original bytes: in the scan's fields and passed through its block, then only in the dead-letter
      // sink's branch.
      const deadLetters = plan.slice(
        plan.indexOf('Sink(table=[default_catalog.default_database.dead_letters]'),
      );
      const sourceBlock = [lines[scanAt - 1], scans[0]];
      const elsewhere = plan
        .replace(deadLetters, '')
        .split('\n')
        .filter((l) => /\bpayload\b/.test(l) && !sourceBlock.includes(l));
      assert.deepEqual(elsewhere, []);
      assert.match(deadLetters, /Calc\(select=\[payload, /);
    });

    it("computes every analytic's per-ticker aggregate in one OVER, after one keyed exchange", async () => {
      const config = loadConfig({ env: {}, overrides: { profile } });
      const plan =
        (await explainPlan(pipelineSql(config), env)).split('== Optimized Execution Plan ==')[1] ?? '';
      const overs = plan
        .split('\n')
        .filter((l) => /OverAggregate\(partitionBy=\[ticker\], orderBy=\[proc_time/.test(l));
      assert.equal(overs.length, 1, `one per-ticker OVER in arrival order:\n${overs.join('\n')}`);
      const features = ANALYTICS.flatMap((a) => a.tickerFeatures?.(config) ?? []);
      assert.ok(features.length >= 3, 'the returns, the trailing volume and the anomaly score');
      for (const f of features) assert.match(overs[0] as string, new RegExp(`\\b${f.fn.name}\\(`));
    });
  });
}
