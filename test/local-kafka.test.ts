import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { LocalKafka } from '../src/local/kafka.ts';

describe('local Kafka broker', { timeout: 180_000 }, () => {
  let kafka: LocalKafka;
  before(async () => {
    kafka = await LocalKafka.start({ heap: '512m' });
  });
  after(async () => kafka?.stop());

  it('serves produce and fetch, and keeps data across a restart', async () => {
    await kafka.createTopics([{ name: 'smoke', partitions: 2 }]);
    const client = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'smoke', messages: [{ key: 'k', value: 'v1' }] });
    await producer.disconnect();

    // The JMX exporter agent, with the rules Strimzi's metrics ConfigMap gets (src/config/kafka-metrics.ts).
    const metrics = await (await fetch(kafka.metricsUrl)).text();
    const value = (series: string) => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    assert.ok((value('kafka_server_brokertopicmetrics_bytesin_total{topic="smoke"}') ?? 0) > 0, metrics);
    assert.equal(value('kafka_server_brokertopicmetrics_messagesin_total{topic="smoke"}'), 1);
    assert.equal(value('kafka_server_replicamanager_underreplicatedpartitions'), 0);
    assert.equal(value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
    assert.match(
      metrics,
      /^kafka_network_requestmetrics_requests_total\{request="Produce",version="\d+"\} [1-9]/m,
    );
    assert.match(metrics, /^kafka_log_log_size_bytes\{partition="\d",topic="smoke"\} \d/m);
    // Only what the rules name, besides the agent's JVM metrics.
    for (const name of metrics.matchAll(/^(\w+)/gm))
      assert.match(name[1] as string, /^(kafka_|jvm_|process_|jmx_)/);

    await kafka.restart();
    assert.ok(kafka.running);
    const admin = client.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('smoke');
    await admin.disconnect();
    assert.equal(
      offsets.reduce((sum, p) => sum + Number(p.high), 0),
      1,
    );
  });
});
