/** Topic names and ticker routing, derived from the config so producer, SQL and charts agree. */
import type { PipelineConfig } from './schema.ts';

/** The trade topics: `trades-00` .. `trades-NN` (zero-padded so they sort). */
export function tradeTopics(config: Pick<PipelineConfig, 'kafka'>): string[] {
  const { tradeTopicCount, tradeTopicPrefix } = config.kafka;
  const width = String(tradeTopicCount - 1).length;
  return Array.from(
    { length: tradeTopicCount },
    (_, i) => `${tradeTopicPrefix}-${String(i).padStart(Math.max(2, width), '0')}`,
  );
}

/** How long Kubernetes keeps trades (charts/kafka.ts): enough to replay a job restart, small for a laptop disk. */
export const TRADE_RETENTION_MS = 3_600_000;

/**
 * Trade topics stamp each record with the broker's append time: the job bounds a trade's own timestamp by it
 * (docs/strict-decoding.md), and a producer's clock cannot move that reference.
 * Retention deletes whole closed segments only, and a segment closes at segment.bytes or segment.ms (default
 * 7 days): at 1000 trades/s a 64 MiB segment can stay open for hours, so without segment.ms the retention
 * above would not act. A tenth of it keeps trades at most 1.1 x retention.
 */
export const TRADE_TOPIC_CONFIG = {
  'message.timestamp.type': 'LogAppendTime',
  'segment.ms': String(TRADE_RETENTION_MS / 10),
} as const;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Topic configs the pipeline relies on (the charts add retention and segment sizes). */
  config?: Readonly<Record<string, string>>;
}

/** Every topic the pipeline needs, with its partition count. */
export function allTopics(config: Pick<PipelineConfig, 'kafka'>): TopicSpec[] {
  const { partitionsPerTopic, alertsTopic, deadLetterTopic } = config.kafka;
  return [
    ...tradeTopics(config).map((name) => ({
      name,
      partitions: partitionsPerTopic,
      config: TRADE_TOPIC_CONFIG,
    })),
    { name: alertsTopic, partitions: partitionsPerTopic },
    { name: deadLetterTopic, partitions: 1 },
  ];
}

/** FNV-1a: a stable, cheap string hash, so every process routes a ticker to the same topic. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The one topic a ticker's trades go to, so a ticker's trades stay ordered. */
export function topicForTicker(ticker: string, topics: readonly string[]): string {
  return topics[stableHash(ticker) % topics.length] as string;
}
