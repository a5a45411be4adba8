package dev.tradestream.flink.format;

import dev.tradestream.flink.format.ColumnSpec.Kind;
import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.StreamReadFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.json.JsonMapper;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

/**
 * The {@code tradestream-json.rules} option: the JSON object written by {@code decodeRules()} in
 * src/schema/rules.ts, one rule per column in schema order. {@link #parse} checks its shape (factory time);
 * {@link #bind} checks it against the physical row type the format decodes into and returns the columns the
 * decoder works from (planning time). Every problem is a {@link ValidationException} naming the column.
 */
final class DecodeRules implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One column's rule, as written (absent fields are null). */
  record Rule(
      boolean required,
      Integer maxLength,
      List<String> values,
      String min,
      boolean exclusiveMin,
      boolean timestamp)
      implements Serializable {}

  private static final Set<String> RULE_KEYS =
      Set.of("required", "maxLength", "values", "min", "exclusiveMin", "timestamp");
  /** A bound is a JSON number literal of reasonable size (rules.ts writes String(number), e.g. "0", "1e+21"). */
  private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]{1,3})?");

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** The rules by column name, in the order the option lists them. */
  final LinkedHashMap<String, Rule> rules;

  private DecodeRules(LinkedHashMap<String, Rule> rules) {
    this.rules = rules;
  }

  static DecodeRules parse(String text) {
    if (text == null || text.isBlank()) {
      throw invalid("is empty");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (IOException e) {
      throw invalid("is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw invalid("must be a non-empty JSON object of column rules");
    }
    LinkedHashMap<String, Rule> rules = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      rules.put(entry.getKey(), parseRule(entry.getKey(), entry.getValue()));
    }
    return new DecodeRules(rules);
  }

  private static Rule parseRule(String column, JsonNode node) {
    if (!node.isObject()) {
      throw invalid(column, "the rule must be a JSON object");
    }
    for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!RULE_KEYS.contains(key)) {
        throw invalid(column, "unknown key '" + key + "' (known: " + String.join(", ", sorted(RULE_KEYS)) + ")");
      }
    }
    JsonNode required = node.get("required");
    if (required == null || !required.isBoolean()) {
      throw invalid(column, "\"required\" must be true or false");
    }
    Integer maxLength = null;
    JsonNode max = node.get("maxLength");
    if (max != null) {
      if (!max.isIntegralNumber() || !max.canConvertToInt() || max.intValue() < 1) {
        throw invalid(column, "maxLength must be an integer of at least 1");
      }
      maxLength = max.intValue();
    }
    List<String> values = null;
    JsonNode set = node.get("values");
    if (set != null) {
      if (!set.isArray() || set.isEmpty()) {
        throw invalid(column, "values must be a non-empty array of strings");
      }
      values = new ArrayList<>();
      for (JsonNode v : set) {
        if (!v.isTextual()) {
          throw invalid(column, "values must be a non-empty array of strings");
        }
        if (values.contains(v.textValue())) {
          throw invalid(column, "values lists '" + v.textValue() + "' twice");
        }
        values.add(v.textValue());
      }
    }
    String min = null;
    JsonNode minNode = node.get("min");
    if (minNode != null) {
      if (!minNode.isTextual() || !NUMBER.matcher(minNode.textValue()).matches() || minNode.textValue().length() > 100) {
        throw invalid(column, "min must be a number written as a JSON string, e.g. \"0\"");
      }
      min = minNode.textValue();
    }
    boolean exclusiveMin = flag(column, node, "exclusiveMin");
    boolean timestamp = flag(column, node, "timestamp");
    if (exclusiveMin && min == null) {
      throw invalid(column, "exclusiveMin needs min");
    }
    if (maxLength != null && values != null) {
      throw invalid(column, "both maxLength and values (a closed set has no separate length)");
    }
    return new Rule(required.booleanValue(), maxLength, values, min, exclusiveMin, timestamp);
  }

  private static boolean flag(String column, JsonNode node, String key) {
    JsonNode value = node.get(key);
    if (value == null) {
      return false;
    }
    if (!value.isBoolean()) {
      throw invalid(column, key + " must be true or false");
    }
    return value.booleanValue();
  }

  /**
   * Checks the rules against the physical row type (every column has a rule, in the same order, and every rule
   * fits its column's type) and returns the columns in row order.
   */
  ColumnSpec[] bind(DataType physicalRowType) {
    LogicalType logical = physicalRowType.getLogicalType();
    if (!(logical instanceof RowType row)) {
      throw new ValidationException("Format 'tradestream-json' decodes into a row type, not " + logical);
    }
    List<String> names = row.getFieldNames();
    if (!names.equals(new ArrayList<>(rules.keySet()))) {
      Set<String> withoutRule = new HashSet<>(names);
      withoutRule.removeAll(rules.keySet());
      Set<String> withoutColumn = new HashSet<>(rules.keySet());
      withoutColumn.removeAll(names);
      String detail =
          withoutRule.isEmpty() && withoutColumn.isEmpty()
              ? "the same names in another order; the rules list them in schema order, as the columns must be"
              : (withoutRule.isEmpty() ? "" : "columns without a rule: " + String.join(", ", sorted(withoutRule)))
                  + (withoutRule.isEmpty() || withoutColumn.isEmpty() ? "" : "; ")
                  + (withoutColumn.isEmpty()
                      ? ""
                      : "rules for no physical column: " + String.join(", ", sorted(withoutColumn)));
      throw new ValidationException(
          "Option 'tradestream-json.rules' must name exactly the physical columns "
              + names
              + ", in that order: "
              + detail);
    }
    ColumnSpec[] columns = new ColumnSpec[names.size()];
    for (int i = 0; i < columns.length; i++) {
      columns[i] = bindColumn(names.get(i), row.getTypeAt(i), rules.get(names.get(i)));
    }
    return columns;
  }

  /**
   * Checks the rules that name a column of the table against its type, as far as the factory can see (the
   * format may decode a projection of the table, so a column without a rule is only known at {@link #bind}).
   */
  void checkAgainst(DataType tableRowType) {
    if (!(tableRowType.getLogicalType() instanceof RowType row)) {
      return;
    }
    for (Map.Entry<String, Rule> entry : rules.entrySet()) {
      int index = row.getFieldIndex(entry.getKey());
      if (index < 0) {
        throw new ValidationException(
            "Option 'tradestream-json.rules' has a rule for '"
                + entry.getKey()
                + "', which is not a physical column of the table "
                + row.getFieldNames());
      }
      bindColumn(entry.getKey(), row.getTypeAt(index), entry.getValue());
    }
  }

  private static ColumnSpec bindColumn(String name, LogicalType type, Rule rule) {
    if (!type.isNullable()) {
      throw invalid(name, "type " + type + " is NOT NULL, but a refused record has every physical field null");
    }
    Kind kind =
        switch (type.getTypeRoot()) {
          case VARCHAR -> Kind.TEXT;
          case DECIMAL -> Kind.DECIMAL;
          case BIGINT -> rule.timestamp() ? Kind.INSTANT : Kind.BIGINT;
          case INTEGER -> Kind.INT;
          case DOUBLE -> Kind.DOUBLE;
          case BOOLEAN -> Kind.BOOLEAN;
          default -> throw invalid(
              name, "type " + type + " is not one the format decodes (STRING/VARCHAR, DECIMAL, BIGINT, INT, DOUBLE, BOOLEAN)");
        };
    if (rule.timestamp() && kind != Kind.INSTANT) {
      throw invalid(name, "timestamp (epoch milliseconds) needs a BIGINT column, not " + type);
    }
    if (kind != Kind.TEXT && (rule.maxLength() != null || rule.values() != null)) {
      throw invalid(name, (rule.maxLength() != null ? "maxLength" : "values") + " applies to text columns, not " + type);
    }
    if (kind == Kind.TEXT && rule.maxLength() == null && rule.values() == null) {
      throw invalid(name, "a text column needs maxLength or values");
    }
    boolean bounded = kind == Kind.DECIMAL || kind == Kind.BIGINT || kind == Kind.INT;
    if (rule.min() != null && !bounded) {
      throw invalid(
          name,
          "min applies to DECIMAL, BIGINT (not an instant) and INT columns, not "
              + type
              + (kind == Kind.INSTANT ? " with timestamp" : ""));
    }
    if (rule.min() != null) {
      // A bound far outside any value only makes every value pass or fail; keep it small enough to compute.
      int exponent = new BigDecimal(rule.min()).scale();
      if (exponent > 400 || exponent < -400) {
        throw invalid(name, "min " + rule.min() + " is out of any column's range");
      }
    }
    int precision = 0;
    int scale = 0;
    if (type instanceof DecimalType decimal) {
      precision = decimal.getPrecision();
      scale = decimal.getScale();
    }
    return new ColumnSpec(
        name,
        kind,
        rule.required(),
        rule.maxLength() == null ? 0 : rule.maxLength(),
        rule.values(),
        precision,
        scale,
        rule.min(),
        rule.exclusiveMin());
  }

  private static List<String> sorted(Set<String> names) {
    List<String> list = new ArrayList<>(names);
    Collections.sort(list);
    return list;
  }

  private static ValidationException invalid(String problem) {
    return new ValidationException("Option 'tradestream-json.rules' " + problem);
  }

  private static ValidationException invalid(String problem, Throwable cause) {
    return new ValidationException("Option 'tradestream-json.rules' " + problem, cause);
  }

  private static ValidationException invalid(String column, String problem) {
    return new ValidationException("Option 'tradestream-json.rules', column '" + column + "': " + problem);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DecodeRules other && rules.equals(other.rules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rules);
  }
}
