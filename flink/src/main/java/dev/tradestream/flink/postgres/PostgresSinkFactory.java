package dev.tradestream.flink.postgres;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.factories.DynamicTableSinkFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * {@code 'connector' = 'tradestream-postgres'}: a PostgreSQL table written by COPY into a staging table and an
 * upsert on the table's primary key, with the rows PostgreSQL refuses sent to a Kafka dead-letter topic (see
 * {@link BatchWriter}). Checked at planning: the primary key, every column's type, the options.
 */
public final class PostgresSinkFactory implements DynamicTableSinkFactory {
  public static final String IDENTIFIER = "tradestream-postgres";

  public static final ConfigOption<String> URL =
      ConfigOptions.key("url").stringType().noDefaultValue()
          .withDescription("JDBC URL of the database, jdbc:postgresql://host:port/database.");
  public static final ConfigOption<String> USERNAME =
      ConfigOptions.key("username").stringType().noDefaultValue().withDescription("Database user.");
  // Flink masks the values of options whose key contains "password" when it prints a table's options.
  public static final ConfigOption<String> PASSWORD =
      ConfigOptions.key("password").stringType().noDefaultValue()
          .withDescription("Database password (pass it as an ${ENV} placeholder, never as a literal).");
  public static final ConfigOption<String> TABLE_NAME =
      ConfigOptions.key("table-name").stringType().noDefaultValue()
          .withDescription("The PostgreSQL table ([schema.]table); it needs a unique key on the primary key.");
  public static final ConfigOption<Integer> MAX_ROWS =
      ConfigOptions.key("sink.buffer-flush.max-rows").intType().defaultValue(5000)
          .withDescription("Flush when this many rows are buffered.");
  public static final ConfigOption<Duration> FLUSH_INTERVAL =
      ConfigOptions.key("sink.buffer-flush.interval").durationType().defaultValue(Duration.ofMillis(500))
          .withDescription("Flush buffered rows at the latest this long after the first (0: only by size).");
  public static final ConfigOption<Duration> MAX_RETRY_TIME =
      ConfigOptions.key("sink.max-retry-time").durationType().defaultValue(Duration.ofSeconds(60))
          .withDescription("How long a flush retries a lost connection before the writer fails (the job"
              + " then restarts from its last checkpoint, under its restart strategy).");
  public static final ConfigOption<String> DEAD_LETTER_TOPIC =
      ConfigOptions.key("dead-letter.topic").stringType().noDefaultValue()
          .withDescription("Kafka topic for the rows PostgreSQL refuses.");
  /** Kafka producer properties of the dead-letter producer, as the Kafka connector's {@code properties.*}. */
  public static final String DEAD_LETTER_PROPERTIES = "dead-letter.properties.";
  public static final ConfigOption<String> DEAD_LETTER_BOOTSTRAP_SERVERS =
      ConfigOptions.key(DEAD_LETTER_PROPERTIES + "bootstrap.servers").stringType().noDefaultValue()
          .withDescription("Kafka bootstrap servers of the dead-letter topic (any other Kafka producer property,"
              + " such as security.protocol, goes under the same prefix).");

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(URL, TABLE_NAME, DEAD_LETTER_TOPIC, DEAD_LETTER_BOOTSTRAP_SERVERS);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(USERNAME, PASSWORD, MAX_ROWS, FLUSH_INTERVAL, MAX_RETRY_TIME);
  }

  @Override
  public DynamicTableSink createDynamicTableSink(Context context) {
    FactoryUtil.TableFactoryHelper helper = FactoryUtil.createTableFactoryHelper(this, context);
    helper.validateExcept(DEAD_LETTER_PROPERTIES);
    ReadableConfig options = helper.getOptions();
    String sinkName = context.getObjectIdentifier().asSummaryString();

    int[] key = context.getPrimaryKeyIndexes();
    if (key.length == 0) {
      throw new ValidationException("Table " + sinkName + " ('connector' = '" + IDENTIFIER + "') needs a"
          + " PRIMARY KEY (...) NOT ENFORCED: every row is upserted on it, so a replay rewrites the same rows.");
    }
    RowType row = (RowType) context.getPhysicalRowDataType().getLogicalType();
    List<String> columns = new ArrayList<>();
    List<LogicalType> types = new ArrayList<>();
    for (RowType.RowField field : row.getFields()) {
      if (!CopyEncoder.supports(field.getType())) {
        throw new ValidationException("Table " + sinkName + ": column `" + field.getName() + "` has type "
            + field.getType().asSummaryString() + ", which '" + IDENTIFIER + "' cannot write (it writes "
            + CopyEncoder.SUPPORTED + ").");
      }
      columns.add(field.getName());
      types.add(field.getType());
    }
    List<Integer> keyPositions = new ArrayList<>();
    for (int k : key) {
      keyPositions.add(k);
    }

    String url = options.get(URL);
    if (!url.startsWith("jdbc:postgresql:")) {
      // Not the value: a URL may carry a password.
      throw new ValidationException("Table " + sinkName + ": 'url' must be a PostgreSQL JDBC URL"
          + " (jdbc:postgresql://host:port/database).");
    }
    int maxRows = options.get(MAX_ROWS);
    if (maxRows < 1) {
      throw new ValidationException("Table " + sinkName + ": 'sink.buffer-flush.max-rows' must be at least 1"
          + " (got " + maxRows + ").");
    }
    Duration interval = options.get(FLUSH_INTERVAL);
    Duration retry = options.get(MAX_RETRY_TIME);
    if (interval.isNegative() || retry.isNegative()) {
      throw new ValidationException("Table " + sinkName + ": durations must not be negative.");
    }
    return new PostgresDynamicSink(new PostgresSinkSettings(
        url,
        options.getOptional(USERNAME).orElse(null),
        options.getOptional(PASSWORD).orElse(null),
        options.get(TABLE_NAME),
        columns,
        types,
        keyPositions,
        maxRows,
        interval.toMillis(),
        retry.toMillis(),
        options.get(DEAD_LETTER_TOPIC),
        deadLetterProperties(context.getCatalogTable().getOptions())));
  }

  /** The {@code dead-letter.properties.*} options without their prefix. */
  private static Map<String, String> deadLetterProperties(Map<String, String> options) {
    Map<String, String> properties = new TreeMap<>();
    options.forEach((key, value) -> {
      if (key.startsWith(DEAD_LETTER_PROPERTIES)) {
        properties.put(key.substring(DEAD_LETTER_PROPERTIES.length()), value);
      }
    });
    return properties;
  }
}
