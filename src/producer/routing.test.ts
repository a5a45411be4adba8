import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import { loadConfig, topicForTicker, tradeTopics } from '../config/index.ts';
import { tickerUniverse } from '../market/index.ts';
import { Router } from './routing.ts';

describe('routing', () => {
  const config = loadConfig({
    env: {},
    overrides: { kafka: { tradeTopicCount: 25, partitionsPerTopic: 6 } },
  });
  const topics = tradeTopics(config);
  const symbols = tickerUniverse(config).map((t) => t.symbol);
  const router = new Router(symbols, new Map(topics.map((t) => [t, 6])));

  it('sends each ticker to its one trade topic and one partition, as the Java client would', () => {
    assert.equal(router.slots.length, 25 * 6);
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    symbols.forEach((symbol, i) => {
      const slot = router.route(i);
      assert.equal(slot.topic, topicForTicker(symbol, topics));
      const expected = partitioner({
        topic: slot.topic,
        partitionMetadata,
        message: { key: symbol, value: null },
      });
      assert.equal(slot.partition, expected, symbol);
    });
  });

  it('spreads 500 tickers over every topic', () => {
    const used = new Set(symbols.map((_, i) => router.route(i).topic));
    assert.equal(used.size, 25);
  });
});
