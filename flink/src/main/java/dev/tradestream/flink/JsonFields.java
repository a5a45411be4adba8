package dev.tradestream.flink;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code JSON_FIELDS(payload, 'a,b,c')}: the named top-level fields of a JSON object as text, in that order, from
 * one streaming parse per record. The generated SQL validates and casts every schema column from this array, so
 * the payload is not parsed once per column (as JSON_VALUE would). Numbers keep the exact text they were written
 * with; a JSON null or an absent field is NULL; a nested object or array is '' (never a valid column value).
 * Returns NULL when the payload is not exactly one JSON object, which the SQL routes to the dead-letter topic.
 */
public class JsonFields extends ScalarFunction {
  static final JsonFactory FACTORY = new JsonFactory();

  private String lastNames;
  private Map<String, Integer> positions;

  /**
   * Declared non-deterministic only so the planner keeps one call per record: a deterministic call would be inlined
   * into every expression that reads the array, parsing the payload once per column again.
   */
  @Override
  public boolean isDeterministic() {
    return false;
  }

  public @DataTypeHint("ARRAY<STRING>") String[] eval(String payload, String names) {
    if (payload == null || names == null) {
      return null;
    }
    Map<String, Integer> index = positionsOf(names);
    String[] values = new String[index.size()];
    try (JsonParser parser = FACTORY.createParser(payload)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        Integer position = index.get(parser.currentName());
        JsonToken value = parser.nextToken();
        String text;
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          parser.skipChildren();
          text = "";
        } else {
          text = value == JsonToken.VALUE_NULL ? null : parser.getText();
        }
        if (position != null) {
          values[position] = text;
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        return null;
      }
    } catch (IOException e) {
      return null;
    }
    return values;
  }

  private Map<String, Integer> positionsOf(String names) {
    // The names are a literal in the SQL: the same string on every call, parsed once.
    if (!names.equals(lastNames)) {
      Map<String, Integer> index = new HashMap<>();
      String[] split = names.split(",");
      for (int i = 0; i < split.length; i++) {
        index.put(split[i].strip(), i);
      }
      positions = index;
      lastNames = names;
    }
    return positions;
  }
}
