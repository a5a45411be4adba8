package dev.tradestream.flink.format;

import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;

/**
 * {@code 'format' = 'tradestream-json'}: the strict decoder of trade records (docs/strict-decoding.md), for a
 * source table whose physical columns are the schema's decoded row ({@code decodedRowType()} in
 * src/schema/rules.ts) and whose {@code tradestream-json.rules} option is {@code decodeRules()} of the same
 * columns. Decoding only: the format has no encoder.
 *
 * <p>The rules are checked here (their shape, and against the columns of the table they name); the exact match
 * with the decoded row (every column, same order) is checked when the planner creates the runtime decoder.
 */
public final class TradestreamJsonFormatFactory implements DeserializationFormatFactory {
  public static final String IDENTIFIER = "tradestream-json";

  public static final ConfigOption<String> RULES =
      ConfigOptions.key("rules")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "The decoding rules: a JSON object with one rule per physical column, in column order, as"
                  + " decodeRules() in src/schema/rules.ts writes it.");

  @Override
  public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
      DynamicTableFactory.Context context, ReadableConfig formatOptions) {
    FactoryUtil.validateFactoryOptions(this, formatOptions);
    DecodeRules rules = DecodeRules.parse(formatOptions.get(RULES));
    // Early, so that a wrong rule fails EXPLAIN and planning, not only the job's submission.
    rules.checkAgainst(context.getPhysicalRowDataType());
    return new TradestreamJsonDecodingFormat(rules);
  }

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(RULES);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of();
  }
}
