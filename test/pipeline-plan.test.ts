/**
 * "Decoded once" proven on the optimized plan of the generated job, as Flink's planner prints it (the runner's
 * --explain): one source scan, reused by every branch, decoding with the strict format and carrying the
 * watermark; no operator after it parses anything, and only the dead-letter branch touches the original bytes.
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
      assert.match(scans[0] as string, /reuse_id=\[1\]/);
      const sinks = lines.filter((l) => l.startsWith('Sink('));
      assert.equal(sinks.length, ANALYTICS.length, 'one sink per analytic');
      assert.ok(lines.filter((l) => l.includes('Reused(reference_id=[1])')).length >= ANALYTICS.length);
      assert.doesNotMatch(plan, /json|JSON_/, 'no JSON function after the source');
      // The original bytes: in the scan's fields, then only in the dead-letter sink's branch.
      const deadLetters = plan.slice(
        plan.indexOf('Sink(table=[default_catalog.default_database.dead_letters]'),
      );
      const elsewhere = plan
        .replace(deadLetters, '')
        .split('\n')
        .filter((l) => /\bpayload\b/.test(l) && !l.includes('TableSourceScan('));
      assert.deepEqual(elsewhere, []);
      assert.match(deadLetters, /Calc\(select=\[payload, /);
    });
  });
}
