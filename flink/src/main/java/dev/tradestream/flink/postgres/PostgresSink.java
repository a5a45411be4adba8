package dev.tradestream.flink.postgres;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.table.data.RowData;

/** The Sink V2 of one {@code tradestream-postgres} table: one writer per subtask, dead letters to Kafka. */
final class PostgresSink implements Sink<RowData> {
  private final PostgresSinkSettings settings;

  PostgresSink(PostgresSinkSettings settings) {
    this.settings = settings;
  }

  @Override
  public SinkWriter<RowData> createWriter(WriterInitContext context) {
    DeadLetters deadLetters = new KafkaDeadLetters(settings, context.getTaskInfo().getIndexOfThisSubtask());
    return new PostgresSinkWriter(settings, deadLetters, context.getProcessingTimeService(), context.metricGroup());
  }
}
