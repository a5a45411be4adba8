package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.junit.jupiter.api.Test;

/** The option's validation: the rules' shape (factory time) and their fit with the physical row (planning time). */
class FormatFactoryTest {
  private static void assertInvalid(String message, Runnable action) {
    ValidationException e = assertThrows(ValidationException.class, action::run);
    assertTrue(e.getMessage().contains(message), "expected \"" + message + "\" in: " + e.getMessage());
  }

  private static void assertParseFails(String rules, String message) {
    assertInvalid(message, () -> DecodeRules.parse(rules));
  }

  private static void assertBindFails(String rules, DataType row, String message) {
    assertInvalid(message, () -> DecodeRules.parse(rules).bind(row));
  }

  private static DataType row(DataTypes.Field... fields) {
    return DataTypes.ROW(fields);
  }

  @Test
  void isFoundByItsIdentifier() {
    DeserializationFormatFactory factory =
        FactoryUtil.discoverFactory(
            getClass().getClassLoader(), DeserializationFormatFactory.class, "tradestream-json");
    assertInstanceOf(TradestreamJsonFormatFactory.class, factory);
  }

  @Test
  void rulesAreRequired() {
    assertInvalid(
        "rules",
        () -> new TradestreamJsonFormatFactory().createDecodingFormat(null, Configuration.fromMap(Map.of())));
  }

  @Test
  void narrowRulesBindToTheNarrowRow() {
    ColumnSpec[] columns = DecodeRules.parse(Narrow.RULES).bind(Narrow.ROW);
    assertEquals(8, columns.length);
    assertEquals(ColumnSpec.Kind.INSTANT, columns[4].kind);
    assertEquals(ColumnSpec.Kind.DECIMAL, columns[2].kind);
  }

  @Test
  void shapeOfTheRules() {
    assertParseFails("", "is empty");
    assertParseFails("{\"a\":", "is not valid JSON");
    assertParseFails("[]", "must be a non-empty JSON object");
    assertParseFails("{}", "must be a non-empty JSON object");
    assertParseFails("{\"a\":{\"required\":true},\"a\":{\"required\":true}}", "is not valid JSON");
    assertParseFails("{\"a\":true}", "column 'a': the rule must be a JSON object");
    assertParseFails("{\"a\":{}}", "column 'a': \"required\" must be true or false");
    assertParseFails("{\"a\":{\"required\":\"yes\"}}", "\"required\" must be true or false");
    assertParseFails("{\"a\":{\"required\":true,\"maxlength\":3}}", "unknown key 'maxlength'");
    assertParseFails("{\"a\":{\"required\":true,\"maxLength\":0}}", "maxLength must be an integer of at least 1");
    assertParseFails("{\"a\":{\"required\":true,\"maxLength\":2.5}}", "maxLength must be an integer");
    assertParseFails("{\"a\":{\"required\":true,\"values\":[]}}", "values must be a non-empty array");
    assertParseFails("{\"a\":{\"required\":true,\"values\":[\"X\",1]}}", "values must be a non-empty array");
    assertParseFails("{\"a\":{\"required\":true,\"values\":[\"X\",\"X\"]}}", "values lists 'X' twice");
    assertParseFails("{\"a\":{\"required\":true,\"maxLength\":3,\"values\":[\"X\"]}}", "both maxLength and values");
    assertParseFails("{\"a\":{\"required\":true,\"min\":0}}", "min must be a number written as a JSON string");
    assertParseFails("{\"a\":{\"required\":true,\"min\":\"zero\"}}", "min must be a number");
    assertParseFails("{\"a\":{\"required\":true,\"exclusiveMin\":true}}", "exclusiveMin needs min");
    assertParseFails("{\"a\":{\"required\":true,\"timestamp\":1}}", "timestamp must be true or false");
  }

  @Test
  void rulesMustNameThePhysicalColumnsInOrder() {
    String ab = "{\"a\":{\"required\":true},\"b\":{\"required\":true}}";
    assertBindFails(ab, row(DataTypes.FIELD("a", DataTypes.BIGINT())), "rules for no physical column: b");
    assertBindFails(
        ab,
        row(DataTypes.FIELD("a", DataTypes.BIGINT()), DataTypes.FIELD("b", DataTypes.BIGINT()), DataTypes.FIELD("c", DataTypes.INT())),
        "columns without a rule: c");
    assertBindFails(
        ab,
        row(DataTypes.FIELD("b", DataTypes.BIGINT()), DataTypes.FIELD("a", DataTypes.BIGINT())),
        "the same names in another order");
  }

  @Test
  void eachRuleMustFitItsColumnType() {
    assertBindFails(
        "{\"p\":{\"required\":true,\"maxLength\":3}}",
        row(DataTypes.FIELD("p", DataTypes.DECIMAL(12, 4))),
        "column 'p': maxLength applies to text columns, not DECIMAL(12, 4)");
    assertBindFails(
        "{\"p\":{\"required\":true,\"values\":[\"1\"]}}",
        row(DataTypes.FIELD("p", DataTypes.BIGINT())),
        "values applies to text columns");
    assertBindFails(
        "{\"t\":{\"required\":true,\"timestamp\":true}}",
        row(DataTypes.FIELD("t", DataTypes.INT())),
        "column 't': timestamp (epoch milliseconds) needs a BIGINT column, not INT");
    assertBindFails(
        "{\"t\":{\"required\":true,\"timestamp\":true}}",
        row(DataTypes.FIELD("t", DataTypes.STRING())),
        "needs a BIGINT column");
    assertBindFails(
        "{\"t\":{\"required\":true,\"timestamp\":true,\"min\":\"0\"}}",
        row(DataTypes.FIELD("t", DataTypes.BIGINT())),
        "min applies to DECIMAL, BIGINT (not an instant) and INT columns, not BIGINT with timestamp");
    assertBindFails(
        "{\"d\":{\"required\":true,\"min\":\"0\"}}",
        row(DataTypes.FIELD("d", DataTypes.DOUBLE())),
        "min applies to DECIMAL, BIGINT (not an instant) and INT columns, not DOUBLE");
    assertBindFails(
        "{\"s\":{\"required\":true,\"maxLength\":3,\"min\":\"0\"}}",
        row(DataTypes.FIELD("s", DataTypes.STRING())),
        "min applies to");
    assertBindFails(
        "{\"s\":{\"required\":true}}", row(DataTypes.FIELD("s", DataTypes.STRING())), "needs maxLength or values");
    assertBindFails(
        "{\"x\":{\"required\":true}}",
        row(DataTypes.FIELD("x", DataTypes.TIMESTAMP(3))),
        "column 'x': type TIMESTAMP(3) is not one the format decodes");
    assertBindFails(
        "{\"x\":{\"required\":true}}",
        row(DataTypes.FIELD("x", DataTypes.BIGINT().notNull())),
        "is NOT NULL, but a refused record has every physical field null");
    assertBindFails(
        "{\"x\":{\"required\":true,\"min\":\"1e999\"}}",
        row(DataTypes.FIELD("x", DataTypes.BIGINT())),
        "is out of any column's range");
  }

  @Test
  void everySupportedTypeBinds() {
    String rules =
        "{\"s\":{\"required\":true,\"maxLength\":3},\"v\":{\"required\":false,\"values\":[\"A\"]},"
            + "\"d\":{\"required\":true,\"min\":\"0.5\",\"exclusiveMin\":true},\"b\":{\"required\":true,\"min\":\"-3\"},"
            + "\"t\":{\"required\":true,\"timestamp\":true},\"i\":{\"required\":true,\"min\":\"0\"},"
            + "\"f\":{\"required\":false},\"z\":{\"required\":true}}";
    ColumnSpec[] columns =
        DecodeRules.parse(rules)
            .bind(
                row(
                    DataTypes.FIELD("s", DataTypes.VARCHAR(3)),
                    DataTypes.FIELD("v", DataTypes.STRING()),
                    DataTypes.FIELD("d", DataTypes.DECIMAL(38, 10)),
                    DataTypes.FIELD("b", DataTypes.BIGINT()),
                    DataTypes.FIELD("t", DataTypes.BIGINT()),
                    DataTypes.FIELD("i", DataTypes.INT()),
                    DataTypes.FIELD("f", DataTypes.DOUBLE()),
                    DataTypes.FIELD("z", DataTypes.BOOLEAN())));
    assertEquals(
        "[s:TEXT, v:TEXT, d:DECIMAL, b:BIGINT, t:INSTANT, i:INT, f:DOUBLE, z:BOOLEAN]",
        java.util.Arrays.toString(columns));
  }

  @Test
  void factoryChecksTheRulesAgainstTheTable() {
    // At factory time the format sees the whole table: a rule for no column, or one that does not fit, fails.
    DecodeRules rules = DecodeRules.parse(Narrow.RULES.replace("\"sequence\"", "\"seq\""));
    assertInvalid("has a rule for 'seq', which is not a physical column", () -> rules.checkAgainst(Narrow.ROW));
    DecodeRules decimalLength =
        DecodeRules.parse(Narrow.RULES.replace("\"price\":{\"required\":true,", "\"price\":{\"required\":true,\"maxLength\":3,"));
    assertInvalid("column 'price': maxLength applies to text columns", () -> decimalLength.checkAgainst(Narrow.ROW));
  }
}
