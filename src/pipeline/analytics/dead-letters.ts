/**
 * The dead-letter topic: every refused record with its original bytes exactly as the value (raw format, so
 * nothing is re-encoded) and, in Kafka headers, the reason and where it was read: `reason`, `source_topic`,
 * `source_partition`, `source_offset` (UTF-8 text).
 */
import { kafkaSinkOptions } from '../flink-sql.ts';
import { REJECTED_VIEW } from '../source.ts';
import type { Analytic } from './analytic.ts';

export const DEAD_LETTERS_SINK = 'dead_letters';
/** The headers of a dead letter, in order. */
export const DEAD_LETTER_HEADERS = ['reason', 'source_topic', 'source_partition', 'source_offset'] as const;

export const deadLetters = {
  name: 'dead letters',
  sinkDdl(config) {
    return `CREATE TABLE ${DEAD_LETTERS_SINK} (
  payload BYTES,
  headers MAP<STRING, BYTES> METADATA
) ${kafkaSinkOptions(config, config.kafka.deadLetterTopic, 'dlq', { format: 'raw' })};`;
  },
  insert() {
    const headers = DEAD_LETTER_HEADERS.map((h) => `'${h}', CAST(CAST(${h} AS STRING) AS BYTES)`);
    return `INSERT INTO ${DEAD_LETTERS_SINK}
SELECT payload, MAP[${headers.join(', ')}]
FROM ${REJECTED_VIEW}`;
  },
} satisfies Analytic;
