package dev.tradestream.flink.postgres;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refused rows to the dead-letter topic: the row as a JSON object ({@link RowJson}), headers {@code reason} and
 * {@code sink_table}. Idempotent with acks=all, so a broker restart neither loses nor doubles one; the producer is
 * created on the first refusal (most writers never refuse a row).
 */
final class KafkaDeadLetters implements DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaDeadLetters.class);

  private final String topic;
  private final Map<String, String> properties;
  private final String clientId;
  private final List<Future<RecordMetadata>> pending = new ArrayList<>();
  private KafkaProducer<byte[], byte[]> producer;

  KafkaDeadLetters(PostgresSinkSettings settings, int subtask) {
    this.topic = settings.deadLetterTopic();
    this.properties = settings.deadLetterProperties();
    this.clientId = "tradestream-postgres-" + settings.table() + "-" + subtask;
  }

  @Override
  public void send(RefusedRow row) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("reason", row.reason().getBytes(StandardCharsets.UTF_8));
    headers.add("sink_table", row.table().getBytes(StandardCharsets.UTF_8));
    byte[] value = RowJson.encode(row.columns(), row.values());
    pending.add(producer().send(new ProducerRecord<>(topic, null, null, null, value, headers)));
  }

  @Override
  public void flush() throws DeadLetterException {
    if (producer == null) {
      return;
    }
    producer.flush();
    try {
      for (Future<RecordMetadata> sent : pending) {
        sent.get();
      }
    } catch (ExecutionException e) {
      throw new DeadLetterException("dead letter not stored in " + topic + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DeadLetterException("interrupted while storing dead letters in " + topic, e);
    } finally {
      pending.clear();
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      Properties p = new Properties();
      p.putAll(properties);
      p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, clientId);
      p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
      p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      // Serializer instances, not class names: no class loading through the thread's context loader.
      producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  @Override
  public void close() {
    if (producer == null) {
      return;
    }
    try {
      producer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      LOG.warn("closing the dead-letter producer of {} failed: {}", clientId, e.toString());
    }
    producer = null;
  }
}
