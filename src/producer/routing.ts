/**
 * Routing: each ticker goes to one trade topic (`topicForTicker`, shared with the SQL and charts) and, keyed by
 * its symbol, to one partition of it, the partition Kafka's Java client would pick (murmur2), so a ticker's
 * trades stay in order. Routes are computed once per ticker; a "slot" is one topic-partition.
 */
import { Partitioners } from 'kafkajs';
import { topicForTicker } from '../config/index.ts';

export interface Slot {
  readonly topic: string;
  readonly partition: number;
}

export class Router {
  readonly slots: Slot[] = [];
  /** Slot index of each ticker (by ticker index). */
  readonly slotOfTicker: Int32Array;

  constructor(symbols: readonly string[], partitionsPerTopic: ReadonlyMap<string, number>) {
    const topics = [...partitionsPerTopic.keys()];
    const firstSlot = new Map<string, number>();
    for (const topic of topics) {
      firstSlot.set(topic, this.slots.length);
      for (let partition = 0; partition < (partitionsPerTopic.get(topic) as number); partition++) {
        this.slots.push({ topic, partition });
      }
    }
    const partitioner = Partitioners.DefaultPartitioner();
    this.slotOfTicker = Int32Array.from(symbols, (symbol) => {
      const topic = topicForTicker(symbol, topics);
      const count = partitionsPerTopic.get(topic) as number;
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      const partition = partitioner({ topic, partitionMetadata, message: { key: symbol, value: null } });
      return (firstSlot.get(topic) as number) + partition;
    });
  }

  route(tickerIndex: number): Slot {
    return this.slots[this.slotOfTicker[tickerIndex] as number] as Slot;
  }
}
