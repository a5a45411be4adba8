package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ExplainDetail;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.Test;

/**
 * The format in a real TableEnvironment with the real Kafka table source (no broker is needed to plan):
 * discovered by its identifier, its metadata readable as value.reason and value.raw, its rules validated while
 * planning, and the runtime decoder created when the plan is translated to a job.
 */
class TableEnvironmentTest {
  private static final String INSERT =
      "INSERT INTO sink SELECT trade_id, price, decode_reason, payload, source_timestamp, event_time FROM trades_source";

  /**
   * The payload column other than as a plain element of a field list ("[payload," or ", payload]"): an
   * expression over it, such as a second parse of the record after the source.
   */
  private static final Pattern READS_PAYLOAD = Pattern.compile("(?<![\\[ ])payload|payload(?![,\\]])");

  private static TableEnvironment tableEnv(String formatOptions) {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.executeSql(
        "CREATE TABLE trades_source ("
            + Narrow.COLUMNS_SQL
            + ", decode_reason STRING METADATA FROM 'value.reason' VIRTUAL"
            + ", payload BYTES METADATA FROM 'value.raw' VIRTUAL"
            + ", source_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL"
            // as the policy says: only a valid trade carries an event time, every other record 1970-01-01
            + ", event_time AS TO_TIMESTAMP_LTZ(CASE WHEN decode_reason IS NULL THEN trade_timestamp ELSE 0 END, 3)"
            + ", WATERMARK FOR event_time AS event_time - INTERVAL '5' SECOND"
            + ") WITH ('connector' = 'kafka', 'topic' = 'trades',"
            + " 'properties.bootstrap.servers' = '127.0.0.1:9', 'properties.group.id' = 'test',"
            + " 'scan.startup.mode' = 'earliest-offset', 'format' = 'tradestream-json'"
            + formatOptions
            + ")");
    env.executeSql(
        "CREATE TABLE sink (trade_id STRING, price DECIMAL(12, 4), decode_reason STRING, payload BYTES,"
            + " source_timestamp TIMESTAMP_LTZ(3), event_time TIMESTAMP_LTZ(3)) WITH ('connector' = 'blackhole')");
    return env;
  }

  private static String rulesOption(String rules) {
    return ", 'tradestream-json.rules' = '" + rules.replace("'", "''") + "'";
  }

  private static String section(String explain, String title) {
    int start = explain.indexOf("== " + title + " ==");
    assertTrue(start >= 0, "no section " + title + " in:\n" + explain);
    int end = explain.indexOf("\n== ", start + 1);
    return end < 0 ? explain.substring(start) : explain.substring(start, end);
  }

  private static String messages(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (; t != null; t = t.getCause()) {
      s.append(t.getMessage()).append('\n');
    }
    return s.toString();
  }

  @Test
  void decodesInsideTheSource() {
    // JSON_EXECUTION_PLAN translates the plan into transformations: the source creates the runtime decoder.
    String explain = tableEnv(rulesOption(Narrow.RULES)).explainSql(INSERT, ExplainDetail.JSON_EXECUTION_PLAN);
    String optimized = section(explain, "Optimized Physical Plan");
    assertTrue(
        optimized.contains(
                "TableSourceScan(table=[[default_catalog, default_database, trades_source,"
                    + " metadata=[value.reason, value.raw, timestamp], watermark=[")
            && optimized.contains(
                "fields=[trade_id, ticker, price, volume, trade_timestamp, side, exchange, sequence,"
                    + " decode_reason, payload, source_timestamp])"),
        optimized);
    // No operator after the source applies anything to the payload, and nothing parses JSON again.
    assertTrue(READS_PAYLOAD.matcher("Calc(select=[JSON_VALUE(payload, '$.a') AS a])").find()); // the check works
    assertFalse(READS_PAYLOAD.matcher("Calc(select=[a, payload, b]) fields=[payload]").find());
    assertFalse(READS_PAYLOAD.matcher(optimized).find(), optimized);
    assertFalse(explain.toUpperCase().contains("JSON_"), optimized);
    assertTrue(section(explain, "Physical Execution Plan").contains("Source: trades_source"), explain);
  }

  @Test
  void compilesAPlan() {
    String plan = tableEnv(rulesOption(Narrow.RULES)).compilePlanSql(INSERT).asJsonString();
    assertTrue(plan.contains("\"type\" : \"ReadingMetadata\""), plan);
    assertTrue(plan.contains("\"metadataKeys\" : [ \"value.reason\", \"value.raw\", \"timestamp\" ]"), plan);
    assertTrue(plan.contains("\"format\" : \"tradestream-json\""), plan);
  }

  @Test
  void rulesAreRequired() {
    Exception e = assertThrows(Exception.class, () -> tableEnv("").explainSql(INSERT));
    assertTrue(messages(e).contains("Missing required options") && messages(e).contains("rules"), messages(e));
  }

  @Test
  void aRuleThatDoesNotFitFailsThePlan() {
    String rules =
        Narrow.RULES.replace("\"price\":{\"required\":true,", "\"price\":{\"required\":true,\"maxLength\":3,");
    Exception e = assertThrows(Exception.class, () -> tableEnv(rulesOption(rules)).explainSql(INSERT));
    assertTrue(
        messages(e).contains("Option 'tradestream-json.rules', column 'price': maxLength applies to text columns"),
        messages(e));
  }

  @Test
  void aColumnWithoutARuleFailsTheTranslation() {
    String rules = Narrow.RULES.replace(",\"sequence\":{\"required\":true,\"min\":\"0\"}", "");
    Exception e =
        assertThrows(
            Exception.class,
            () -> tableEnv(rulesOption(rules)).explainSql(INSERT, ExplainDetail.JSON_EXECUTION_PLAN));
    assertTrue(messages(e).contains("columns without a rule: sequence"), messages(e));
  }
}
