package dev.tradestream.flink.format;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactoryBuilder;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.StreamReadConstraints;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.io.NumberInput;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;

/**
 * Decodes one record by docs/strict-decoding.md: a typed row, or exactly one reason, the first that applies in
 * the policy's order. One instance per decoding task (not thread-safe); it keeps its buffers between records,
 * so a record costs the row, its field values and Jackson's parser object.
 *
 * <p>The pass over a record: {@link Utf8Scan} over the bytes (empty, encoding, and the raw bytes JSON never
 * allows), then one streaming parse that judges the fields as they come and keeps only the first field error.
 * The parse always runs to the end of the record, because any syntax error, even after a field error, wins
 * (syntax is checked over the whole record before any field is judged).
 */
final class RecordDecoder {
  static final String EMPTY = "empty record";
  static final String NOT_UTF8 = "not valid UTF-8";
  static final String NOT_JSON = "not valid JSON";
  static final String NOT_OBJECT = "not a JSON object";
  static final String UNPRINTABLE_UNKNOWN = "unknown field (unprintable name)";

  /** The largest number literal judged by its value; a longer one is out of range (it bounds the work). */
  static final int MAX_NUMBER_LITERAL = 100;
  /** BIGINT columns hold the integers JavaScript reads exactly, +-(2^53-1) (rules.ts MAX_SAFE_BIGINT). */
  static final long MAX_SAFE_BIGINT = (1L << 53) - 1;
  /** 9999-12-31T23:59:59.999Z in epoch milliseconds (rules.ts MAX_EPOCH_MS). */
  static final long MAX_EPOCH_MS = 253_402_300_799_999L;

  /**
   * Jackson's streaming parser, strict by default (no comments, single quotes, NaN, leading zeros, trailing
   * commas, unquoted control characters, ...), with every size limit lifted so that a limit never changes a
   * verdict: the policy bounds nesting and lengths itself or not at all. (Document length and token count are
   * unlimited by default.) Names are canonicalised (so the name->column lookup hashes each distinct name once)
   * but not interned, and a flood of colliding unknown names must not make the parser fail. The bytes reach it
   * only after {@link Utf8Scan}: valid UTF-8, no NUL, no byte-order mark, so its encoding detection always
   * finds plain UTF-8.
   */
  static final JsonFactory JSON =
      new JsonFactoryBuilder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(Integer.MAX_VALUE)
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxStringLength(Integer.MAX_VALUE)
                  .maxNameLength(Integer.MAX_VALUE)
                  .build())
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .disable(JsonFactory.Feature.FAIL_ON_SYMBOL_HASH_OVERFLOW)
          .build();

  private final ColumnSpec[] columns;
  private final Map<String, Integer> index = new HashMap<>();
  /** seen[i] == stamp when column i occurred in the current record; the stamp moves on once per record. */
  private final int[] seen;
  private int stamp;
  private final NumberLiteral number = new NumberLiteral();

  // The reasons of each column, built once.
  private final String[] notType;
  private final String[] control;
  private final String[] lone;
  private final String[] textRule;
  private final String[] tooManyDecimals;
  private final String[] outOfRange;
  private final String[] belowMin;
  private final String[] negative;
  private final String[] missing;
  private final String[] duplicate;
  /** TEXT with a closed set: the values as chars (to match without allocating) and as row values. */
  private final char[][][] valueChars;
  private final StringData[][] valueData;
  private final long[] minLong;
  private final boolean[] minFitsLong;

  RecordDecoder(ColumnSpec[] columns) {
    this.columns = columns.clone();
    int n = columns.length;
    seen = new int[n];
    notType = new String[n];
    control = new String[n];
    lone = new String[n];
    textRule = new String[n];
    tooManyDecimals = new String[n];
    outOfRange = new String[n];
    belowMin = new String[n];
    negative = new String[n];
    missing = new String[n];
    duplicate = new String[n];
    valueChars = new char[n][][];
    valueData = new StringData[n][];
    minLong = new long[n];
    minFitsLong = new boolean[n];
    for (int i = 0; i < n; i++) {
      ColumnSpec c = columns[i];
      index.put(c.name, i);
      String name = c.name;
      notType[i] =
          name
              + switch (c.kind) {
                case TEXT -> " is not a string";
                case DECIMAL -> " is not a decimal";
                case BIGINT -> " is not an integer";
                case INT -> " is not a 32-bit integer";
                case INSTANT -> " is not epoch milliseconds";
                case DOUBLE -> " is not a number";
                case BOOLEAN -> " is not a boolean";
              };
      control[i] = name + " contains a control character";
      lone[i] = name + " contains a lone surrogate";
      if (c.values != null) {
        textRule[i] = name + " is not one of " + String.join(", ", c.values);
        valueChars[i] = c.values.stream().map(String::toCharArray).toArray(char[][]::new);
        valueData[i] = c.values.stream().map(StringData::fromString).toArray(StringData[]::new);
      } else {
        textRule[i] = name + " is empty or longer than " + c.maxLength;
      }
      tooManyDecimals[i] = name + " has more than " + c.scale + " decimals";
      outOfRange[i] = name + " is out of range";
      if (c.minText != null) {
        belowMin[i] = name + (c.exclusiveMin ? " must be above " : " must be at least ") + c.minText;
        minFitsLong[i] = c.minUnscaled.bitLength() < 64;
        minLong[i] = minFitsLong[i] ? c.minUnscaled.longValue() : 0;
      }
      negative[i] = name + " is negative";
      missing[i] = "missing field " + name;
      duplicate[i] = "duplicate field " + name;
    }
  }

  int arity() {
    return columns.length;
  }

  /**
   * Decodes {@code bytes} into fields 0..arity-1 of {@code row} (which must have them null) and returns null,
   * or returns the reason the record is refused and leaves those fields null.
   */
  String decode(byte[] bytes, GenericRowData row) {
    if (bytes == null || bytes.length == 0) {
      return EMPTY;
    }
    switch (Utf8Scan.scan(bytes)) {
      case Utf8Scan.NOT_UTF8:
        return NOT_UTF8;
      case Utf8Scan.NOT_JSON:
        return NOT_JSON;
      default:
        break;
    }
    if (++stamp == 0) { // wrapped around after 2^32 records: forget every old stamp
      Arrays.fill(seen, 0);
      stamp = 1;
    }
    String reason;
    try (JsonParser parser = JSON.createParser(bytes)) {
      reason = parse(parser, row);
    } catch (IOException e) {
      // A syntax error anywhere, Jackson's only way to fail on an in-memory input (every limit is lifted).
      reason = NOT_JSON;
    }
    if (reason == null) {
      reason = firstMissing();
    }
    if (reason != null) {
      for (int i = 0; i < columns.length; i++) {
        row.setField(i, null);
      }
    }
    return reason;
  }

  /** Tokenizes the whole record; returns the first shape or field error (null if none). */
  private String parse(JsonParser parser, GenericRowData row) throws IOException {
    JsonToken token = parser.nextToken();
    if (token == null) {
      return NOT_JSON; // nothing but whitespace
    }
    String error = null;
    if (token != JsonToken.START_OBJECT) {
      parser.skipChildren(); // an array is tokenized to its end; a scalar is already complete
      error = NOT_OBJECT;
    } else {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (error == null) {
          error = field(name, value, parser, row);
        }
        // An object or array value is never a column value: skip it (it is tokenized, so still checked).
        parser.skipChildren();
      }
      // The loop ends on END_OBJECT: Jackson allows nothing else after the members of an object.
    }
    if (parser.nextToken() != null) {
      return NOT_JSON; // a second value after the first (Jackson accepts a stream of root values)
    }
    return error;
  }

  /** The checks of one member, in the policy's order; null when it passes (its value is then in the row). */
  private String field(String name, JsonToken value, JsonParser parser, GenericRowData row) throws IOException {
    Integer position = index.get(name);
    if (position == null) {
      return printable(name) ? "unknown field " + name : UNPRINTABLE_UNKNOWN;
    }
    int i = position;
    if (seen[i] == stamp) {
      return duplicate[i];
    }
    seen[i] = stamp;
    if (value == JsonToken.VALUE_NULL) {
      return columns[i].required ? missing[i] : null; // null for a nullable column: as if absent
    }
    return switch (columns[i].kind) {
      case TEXT -> text(i, value, parser, row);
      case DECIMAL -> decimal(i, value, parser, row);
      case BIGINT -> integer(i, value, parser, row, MAX_SAFE_BIGINT, false);
      case INT -> integer(i, value, parser, row, 0, true);
      case INSTANT -> instant(i, value, parser, row);
      case DOUBLE -> real(i, value, parser, row);
      case BOOLEAN -> bool(i, value, row);
    };
  }

  private String text(int i, JsonToken value, JsonParser parser, GenericRowData row) throws IOException {
    if (value != JsonToken.VALUE_STRING) {
      return notType[i];
    }
    // The decoded text in Jackson's buffer (escapes resolved): no String is made unless the value is kept.
    char[] chars = parser.getTextCharacters();
    int offset = parser.getTextOffset();
    int end = offset + parser.getTextLength();
    boolean hasControl = false;
    boolean hasLone = false;
    int codePoints = 0;
    for (int k = offset; k < end; k++) {
      char c = chars[k];
      if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
        hasControl = true;
      } else if (Character.isSurrogate(c)) {
        // The bytes are valid UTF-8, so a surrogate here comes from a \\u escape; a pair is one code point.
        if (Character.isHighSurrogate(c) && k + 1 < end && Character.isLowSurrogate(chars[k + 1])) {
          k++;
        } else {
          hasLone = true;
        }
      }
      codePoints++;
    }
    if (hasControl) {
      return control[i];
    }
    if (hasLone) {
      return lone[i];
    }
    char[][] set = valueChars[i];
    if (set != null) {
      for (int v = 0; v < set.length; v++) {
        if (equal(set[v], chars, offset, end - offset)) {
          row.setField(i, valueData[i][v]); // a shared immutable value: one per allowed text, not per record
          return null;
        }
      }
      return textRule[i];
    }
    if (codePoints == 0 || codePoints > columns[i].maxLength) {
      return textRule[i];
    }
    row.setField(i, StringData.fromString(new String(chars, offset, end - offset)));
    return null;
  }

  private String decimal(int i, JsonToken value, JsonParser parser, GenericRowData row) throws IOException {
    NumberLiteral n = readNumber(value, parser);
    if (n == null) {
      return notType[i];
    }
    ColumnSpec c = columns[i];
    if (n.decimals() > c.scale) {
      return tooManyDecimals[i];
    }
    // Below 10^(p-s) in magnitude: at most p-s integer digits.
    if (n.length > MAX_NUMBER_LITERAL || n.integerDigits() > c.precision - c.scale) {
      return outOfRange[i];
    }
    // integerDigits <= p - s, so the unscaled value has at most p digits.
    if (n.integerDigits() + c.scale <= NumberLiteral.LONG_DIGITS) {
      long unscaled = n.unscaledLong(c.scale);
      if (c.minUnscaled != null && !atLeastMin(i, unscaled)) {
        return belowMin[i];
      }
      row.setField(
          i,
          DecimalData.isCompact(c.precision)
              ? DecimalData.fromUnscaledLong(unscaled, c.precision, c.scale)
              : DecimalData.fromBigDecimal(BigDecimal.valueOf(unscaled, c.scale), c.precision, c.scale));
    } else {
      BigInteger unscaled = n.unscaledBig(c.scale);
      if (c.minUnscaled != null && unscaled.compareTo(c.minUnscaled) < 0) {
        return belowMin[i];
      }
      row.setField(i, DecimalData.fromBigDecimal(new BigDecimal(unscaled, c.scale), c.precision, c.scale));
    }
    return null;
  }

  /** BIGINT (within +-max) or INT (within 32 bits when {@code int32}). */
  private String integer(int i, JsonToken value, JsonParser parser, GenericRowData row, long max, boolean int32)
      throws IOException {
    NumberLiteral n = readNumber(value, parser);
    if (n == null || !n.integral()) {
      return notType[i];
    }
    if (n.length > MAX_NUMBER_LITERAL || n.integerDigits() > NumberLiteral.LONG_DIGITS) {
      return outOfRange[i];
    }
    long v = n.unscaledLong(0);
    if (int32 ? v < Integer.MIN_VALUE || v > Integer.MAX_VALUE : v < -max || v > max) {
      return outOfRange[i];
    }
    if (columns[i].minUnscaled != null && !atLeastMin(i, v)) {
      return belowMin[i];
    }
    row.setField(i, int32 ? (Object) (int) v : (Object) v);
    return null;
  }

  private String instant(int i, JsonToken value, JsonParser parser, GenericRowData row) throws IOException {
    NumberLiteral n = readNumber(value, parser);
    if (n == null || !n.integral()) {
      return notType[i];
    }
    if (n.negative && !n.zero) {
      return negative[i];
    }
    if (n.length > MAX_NUMBER_LITERAL || n.integerDigits() > NumberLiteral.LONG_DIGITS) {
      return outOfRange[i];
    }
    long v = n.unscaledLong(0);
    if (v > MAX_EPOCH_MS) {
      return outOfRange[i];
    }
    row.setField(i, v);
    return null;
  }

  private String real(int i, JsonToken value, JsonParser parser, GenericRowData row) throws IOException {
    if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
      return notType[i];
    }
    int length = parser.getTextLength();
    if (length > MAX_NUMBER_LITERAL) {
      return outOfRange[i];
    }
    // The correctly rounded double of the exact literal; only overflow is refused (underflow rounds to 0).
    // Jackson's FastDoubleParser rounds exactly as Double.parseDouble does, read from the parser's buffer
    // without making a String.
    double d = NumberInput.parseDouble(parser.getTextCharacters(), parser.getTextOffset(), length, true);
    if (Double.isInfinite(d)) {
      return outOfRange[i];
    }
    row.setField(i, d);
    return null;
  }

  private String bool(int i, JsonToken value, GenericRowData row) {
    if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
      row.setField(i, value == JsonToken.VALUE_TRUE);
      return null;
    }
    return notType[i];
  }

  /** The exact value of a number token (its literal text as written), or null for any other token. */
  private NumberLiteral readNumber(JsonToken value, JsonParser parser) throws IOException {
    if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
      return null;
    }
    return number.read(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
  }

  private boolean atLeastMin(int i, long unscaled) {
    if (minFitsLong[i]) {
      return unscaled >= minLong[i];
    }
    return columns[i].minUnscaled.signum() < 0; // a bound below every long, or above every long
  }

  private String firstMissing() {
    for (int i = 0; i < columns.length; i++) {
      if (columns[i].required && seen[i] != stamp) {
        return missing[i];
      }
    }
    return null;
  }

  /** {@code [A-Za-z0-9_.-]{1,64}}: a name safe to print in a reason. */
  static boolean printable(String name) {
    int n = name.length();
    if (n < 1 || n > 64) {
      return false;
    }
    for (int k = 0; k < n; k++) {
      char c = name.charAt(k);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean equal(char[] expected, char[] chars, int offset, int length) {
    if (expected.length != length) {
      return false;
    }
    for (int k = 0; k < length; k++) {
      if (expected[k] != chars[offset + k]) {
        return false;
      }
    }
    return true;
  }
}
