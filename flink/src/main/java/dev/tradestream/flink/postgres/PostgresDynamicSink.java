package dev.tradestream.flink.postgres;

import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;

/**
 * A planned {@code tradestream-postgres} table. Insert-only: every analytic is append-only (window TVFs and
 * MATCH_RECOGNIZE emit insert-only rows), and each row is upserted on the primary key, so a replay rewrites the
 * same rows. A query producing updates is refused by the planner.
 */
final class PostgresDynamicSink implements DynamicTableSink {
  private final PostgresSinkSettings settings;

  PostgresDynamicSink(PostgresSinkSettings settings) {
    this.settings = settings;
  }

  @Override
  public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
    return ChangelogMode.insertOnly();
  }

  @Override
  public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
    return SinkV2Provider.of(new PostgresSink(settings));
  }

  @Override
  public DynamicTableSink copy() {
    return new PostgresDynamicSink(settings);
  }

  @Override
  public String asSummaryString() {
    return PostgresSinkFactory.IDENTIFIER + "(" + settings.table() + ")";
  }
}
