package dev.tradestream.flink.postgres;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** A refused row as a JSON object, column name to its PostgreSQL text (or null), UTF-8. */
final class RowJson {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RowJson() {}

  static byte[] encode(List<String> columns, String[] values) {
    StringBuilder json = new StringBuilder(64 + 24 * values.length).append('{');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        json.append(',');
      }
      string(json, columns.get(i));
      json.append(':');
      if (values[i] == null) {
        json.append("null");
      } else {
        string(json, values[i]);
      }
    }
    return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** RFC 8259: quote, backslash and the C0 controls escaped; everything else as it is. */
  private static void string(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
