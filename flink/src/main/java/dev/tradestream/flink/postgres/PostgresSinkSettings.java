package dev.tradestream.flink.postgres;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * One sink table as planned: where it writes, its columns and key, and when it flushes. Shipped with the job to
 * every writer. It holds passwords (the database's, and Kafka's in the dead-letter properties), so
 * {@link #toString()} leaves the credentials, the URL and those properties out.
 *
 * @param columns the physical columns, in row order (the PostgreSQL column names)
 * @param types their Flink types, each one {@link CopyEncoder#supports} accepts
 * @param key the positions of the primary-key columns in {@code columns}
 * @param maxRetryMs how long one flush retries a lost connection before the writer throws
 * @param deadLetterProperties the dead-letter producer's Kafka properties, bootstrap.servers among them
 */
record PostgresSinkSettings(
    String url,
    String username,
    String password,
    String table,
    List<String> columns,
    List<LogicalType> types,
    List<Integer> key,
    int maxRows,
    long flushIntervalMs,
    long maxRetryMs,
    String deadLetterTopic,
    Map<String, String> deadLetterProperties)
    implements Serializable {

  PostgresSinkSettings {
    columns = List.copyOf(columns);
    types = List.copyOf(types);
    key = List.copyOf(key);
    deadLetterProperties = Map.copyOf(deadLetterProperties);
  }

  List<String> keyColumns() {
    return key.stream().map(columns::get).toList();
  }

  @Override
  public String toString() {
    return "PostgresSinkSettings[table=" + table + ", columns=" + columns + ", key=" + keyColumns()
        + ", maxRows=" + maxRows + ", flushIntervalMs=" + flushIntervalMs + ", maxRetryMs=" + maxRetryMs
        + ", deadLetterTopic=" + deadLetterTopic + "]";
  }
}
