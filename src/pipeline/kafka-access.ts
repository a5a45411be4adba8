/**
 * Who may do what on Kafka: one SCRAM user per client with the least ACLs it needs, derived from the config's
 * topics, the job's consumer group and its transactional ids. The charts make a Strimzi KafkaUser of each
 * (charts/kafka.ts); the local stack creates the same users and ACLs on its broker when it runs with sasl_ssl
 * (src/local/kafka.ts), so a missing grant fails a local run as it would fail a cluster.
 */
import { type PipelineConfig, tradeTopics } from '../config/index.ts';
import { TRANSACTIONAL_ID_PREFIX } from './flink-sql.ts';
import { CONSUMER_GROUP } from './source.ts';

export type KafkaResourceType = 'topic' | 'group' | 'transactionalId';
/** Read and Write each imply Describe (Kafka's ACL rules), which metadata and offset lookups need. */
export type KafkaOperation = 'Read' | 'Write';

export interface KafkaAcl {
  type: KafkaResourceType;
  name: string;
  patternType: 'literal' | 'prefix';
  operations: KafkaOperation[];
}

/** The clients, each a SCRAM user of this name. */
export const KAFKA_USERS = {
  producer: 'tradestream-producer',
  pipeline: 'tradestream-pipeline',
  /** The alert and dead-letter readers (Tilt's alerts tool, npm run alerts on a sasl_ssl local stack). */
  viewer: 'tradestream-viewer',
} as const;
export type KafkaClient = keyof typeof KAFKA_USERS;

/** Consumer groups of the viewers start so (each run takes a fresh one and reads from the beginning). */
export const VIEWER_GROUP_PREFIX = 'tradestream-viewer-';

const topics = (names: readonly string[], operations: KafkaOperation[]): KafkaAcl[] =>
  names.map((name) => ({ type: 'topic', name, patternType: 'literal', operations }));

/** Each client's ACLs. Trade topics are named one by one: the dead-letter topic may share their prefix. */
export function kafkaAccess(config: Pick<PipelineConfig, 'kafka'>): Record<KafkaClient, KafkaAcl[]> {
  const { alertsTopic, deadLetterTopic } = config.kafka;
  return {
    producer: topics(tradeTopics(config), ['Write']),
    pipeline: [
      ...topics(tradeTopics(config), ['Read']),
      { type: 'group', name: CONSUMER_GROUP, patternType: 'literal', operations: ['Read'] },
      ...topics([alertsTopic, deadLetterTopic], ['Write']),
      // Exactly-once sinks: their transactional ids (at-least-once uses none; the grant then stays unused).
      {
        type: 'transactionalId',
        name: TRANSACTIONAL_ID_PREFIX,
        patternType: 'prefix',
        operations: ['Write'],
      },
    ],
    viewer: [
      ...topics([alertsTopic, deadLetterTopic], ['Read']),
      { type: 'group', name: VIEWER_GROUP_PREFIX, patternType: 'prefix', operations: ['Read'] },
    ],
  };
}
