import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLINK_METRICS, parsePrometheusText } from './data.ts';

describe('parsePrometheusText', () => {
  it('reads names, labels (escapes included) and values, and skips comments', () => {
    const text = [
      `# HELP ${FLINK_METRICS.busy} busy time`,
      `# TYPE ${FLINK_METRICS.busy} gauge`,
      `${FLINK_METRICS.busy}{task_name="Source:_trades",subtask_index="0",} 23.0`,
      `${FLINK_METRICS.busy}{task_name="a \\"quoted\\" task\\\\",subtask_index="1"} 7`,
      `${FLINK_METRICS.restarts} 0.0`,
      '',
      'weird_value{a="b"} NaN',
    ].join('\n');
    assert.deepEqual(parsePrometheusText(text), [
      { name: FLINK_METRICS.busy, labels: { task_name: 'Source:_trades', subtask_index: '0' }, value: 23 },
      { name: FLINK_METRICS.busy, labels: { task_name: 'a "quoted" task\\', subtask_index: '1' }, value: 7 },
      { name: FLINK_METRICS.restarts, labels: {}, value: 0 },
      { name: 'weird_value', labels: { a: 'b' }, value: Number.NaN },
    ]);
  });
});
