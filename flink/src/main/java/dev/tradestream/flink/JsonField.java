package dev.tradestream.flink;

import java.io.IOException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code JSON_FIELD(payload, 'name')}: the text of one top-level scalar field, reading the payload only up to
 * that field. The source uses it for the event-time column, where a full parse would be paid a second time;
 * NULL when the payload is not a JSON object or has no such scalar field.
 */
public class JsonField extends ScalarFunction {
  public String eval(String payload, String name) {
    if (payload == null || name == null) {
      return null;
    }
    try (JsonParser parser = JsonFields.FACTORY.createParser(payload)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        boolean wanted = name.equals(parser.currentName());
        JsonToken value = parser.nextToken();
        if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          parser.skipChildren();
        } else if (wanted) {
          return value == JsonToken.VALUE_NULL ? null : parser.getText();
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }
}
