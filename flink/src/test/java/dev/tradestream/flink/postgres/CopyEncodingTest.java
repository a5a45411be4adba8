package dev.tradestream.flink.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tradestream.flink.postgres.SinkTestKit.CollectedDeadLetters;
import dev.tradestream.flink.postgres.SinkTestKit.ManualTimers;
import dev.tradestream.flink.postgres.SinkTestKit.Metrics;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.BooleanType;
import org.apache.flink.table.types.logical.CharType;
import org.apache.flink.table.types.logical.DateType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.DoubleType;
import org.apache.flink.table.types.logical.FloatType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.SmallIntType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.table.types.logical.TinyIntType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every supported type through the real COPY path into a real PostgreSQL and back: each value must come back
 * exactly (text byte for byte, numbers bit for bit, timestamps to the microsecond PostgreSQL keeps).
 */
class CopyEncodingTest {
  private static final List<String> COLUMNS = List.of("id", "txt", "chr", "flag", "tiny", "small", "num",
      "big", "real4", "double8", "dec", "price", "ts", "ts6", "ltz", "day");
  private static final List<LogicalType> TYPES = List.of(new IntType(false), VarCharType.STRING_TYPE,
      new CharType(3), new BooleanType(), new TinyIntType(), new SmallIntType(), new IntType(), new BigIntType(),
      new FloatType(), new DoubleType(), new DecimalType(38, 10), new DecimalType(12, 4), new TimestampType(3),
      new TimestampType(6), new LocalZonedTimestampType(3), new DateType());

  private static final String[] TEXTS = {
    "plain", "back\\slash", "two\\\\back", "tab\there", "new\nline", "cr\rlf\r\n", "\\N", "\\.", "", " ",
    "emoji \uD83D\uDE00 clef \uD834\uDD1E", "ünïcödé ñ 漢字", "quote ' \" ,;", "\\t not a tab", "\u0001\u007f\u0085",
    "end\\",
  };

  private static TestPostgres db;

  @BeforeAll
  static void start() throws Exception {
    db = TestPostgres.create();
    db.execute("CREATE TABLE typed (id integer PRIMARY KEY, txt text, chr char(3), flag boolean, tiny smallint,"
        + " small smallint, num integer, big bigint, real4 real, double8 double precision, dec numeric(38,10),"
        + " price numeric(12,4), ts timestamp(3), ts6 timestamp(6), ltz timestamptz(3), day date)");
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  private record Row(
      String txt, String chr, Boolean flag, Byte tiny, Short small, Integer num, Long big, Float real4,
      Double double8, BigDecimal dec, BigDecimal price, LocalDateTime ts, LocalDateTime ts6, Instant ltz,
      LocalDate day) {}

  private static List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    float[] floats = {1.5f, -0.0f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, 1.0e10f,
        0.1f, Float.NEGATIVE_INFINITY, 3.4028235e-30f, 16777217f, -123.456f, 1e-7f, 8.5f, 100f, 7f};
    double[] doubles = {0.1, 1e308, Double.MIN_VALUE, Double.NEGATIVE_INFINITY, Double.NaN, 1.0e10,
        123456789.123456789, -0.0, Double.MAX_VALUE, 2.2250738585072014E-308, 5e-324, 1 / 3.0, 9007199254740993.0,
        4.35, 1e21, 1e-5};
    String[] decimals = {"12345678901234567890.1234567890", "-0.0000000001", "0", "-9999999999999999999999999999",
        "1", "0.5", "-1.25", "27.0000000001", "3", "4", "5", "6", "7", "8", "9", "10"};
    LocalDateTime[] times = {
      LocalDateTime.parse("2024-02-29T23:59:59.999"), LocalDateTime.parse("1970-01-01T00:00:00"),
      LocalDateTime.parse("1969-12-31T23:59:59.001"), LocalDateTime.parse("9999-12-31T23:59:59.999"),
      LocalDateTime.parse("0001-01-01T00:00:00"), LocalDateTime.parse("0000-06-15T12:30:00.5"),
      LocalDateTime.parse("2026-12-02T05:20:11.010"), LocalDateTime.parse("1900-03-01T00:00:00.100"),
    };
    LocalDate[] days = {LocalDate.parse("2024-02-29"), LocalDate.parse("0001-01-01"), LocalDate.parse("1969-12-31"),
        LocalDate.of(0, 1, 1), LocalDate.parse("9999-12-31"), LocalDate.parse("1970-01-01")};
    for (int i = 0; i < TEXTS.length; i++) {
      LocalDateTime t = times[i % times.length];
      rows.add(new Row(TEXTS[i], i % 2 == 0 ? "ab " : "x\ty", i % 2 == 0, (byte) (i % 2 == 0 ? -128 : 127),
          (short) (i % 2 == 0 ? Short.MIN_VALUE : Short.MAX_VALUE), i % 2 == 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE,
          i % 2 == 0 ? Long.MIN_VALUE : Long.MAX_VALUE, floats[i], doubles[i], new BigDecimal(decimals[i]),
          new BigDecimal(i % 2 == 0 ? "99999999.9999" : "0.0001"), t,
          t.withNano(123_456_000 + i * 1000), t.toInstant(java.time.ZoneOffset.UTC), days[i % days.length]));
    }
    // and a row of NULLs
    rows.add(new Row(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null));
    return rows;
  }

  private static GenericRowData toRowData(int id, Row r) {
    return GenericRowData.of(
        id,
        r.txt == null ? null : StringData.fromString(r.txt),
        r.chr == null ? null : StringData.fromString(r.chr),
        r.flag,
        r.tiny,
        r.small,
        r.num,
        r.big,
        r.real4,
        r.double8,
        r.dec == null ? null : DecimalData.fromBigDecimal(r.dec, 38, 10),
        r.price == null ? null : DecimalData.fromBigDecimal(r.price, 12, 4),
        r.ts == null ? null : TimestampData.fromLocalDateTime(r.ts),
        r.ts6 == null ? null : TimestampData.fromLocalDateTime(r.ts6),
        r.ltz == null ? null : TimestampData.fromInstant(r.ltz),
        r.day == null ? null : (int) r.day.toEpochDay());
  }

  @Test
  void everyTypeRoundTripsExactly() throws Exception {
    PostgresSinkSettings settings = SinkTestKit.settings(db.url(), "typed", COLUMNS, TYPES, List.of(0), 1000, 5000);
    CollectedDeadLetters dead = new CollectedDeadLetters();
    List<Row> rows = rows();
    try (PostgresSinkWriter writer = new PostgresSinkWriter(settings, dead, new ManualTimers(), new Metrics())) {
      // One reused row object, as Flink's object reuse hands them over.
      for (int i = 0; i < rows.size(); i++) {
        writer.write(toRowData(i, rows.get(i)), null);
      }
      writer.flush(false);
    }
    assertTrue(dead.stored.isEmpty(), () -> "refused: " + dead.stored);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("SET TIME ZONE 'UTC'");
      ResultSet rs = s.executeQuery("SELECT txt, chr, flag, tiny, small, num, big, real4, double8, dec, price,"
          + " ts::text, ts6::text, extract(epoch FROM ltz)::numeric * 1000, day::text FROM typed ORDER BY id");
      for (Row want : rows) {
        assertTrue(rs.next());
        String at = "row " + want;
        assertEquals(want.txt, rs.getString(1), at);
        if (want.txt != null) {
          assertArrayEquals(want.txt.getBytes(java.nio.charset.StandardCharsets.UTF_8),
              rs.getString(1).getBytes(java.nio.charset.StandardCharsets.UTF_8), at);
        }
        assertEquals(want.chr, rs.getString(2), at);
        assertEquals(want.flag, rs.getObject(3), at);
        assertEquals(want.tiny == null ? null : (int) want.tiny, rs.getObject(4) == null ? null : rs.getInt(4), at);
        assertEquals(want.small == null ? null : (int) want.small, rs.getObject(5) == null ? null : rs.getInt(5), at);
        assertEquals(want.num, rs.getObject(6), at);
        assertEquals(want.big, rs.getObject(7), at);
        if (want.real4 == null) {
          assertEquals(null, rs.getObject(8));
        } else {
          assertEquals(Float.floatToIntBits(want.real4), Float.floatToIntBits(rs.getFloat(8)), at);
        }
        if (want.double8 == null) {
          assertEquals(null, rs.getObject(9));
        } else {
          assertEquals(Double.doubleToLongBits(want.double8), Double.doubleToLongBits(rs.getDouble(9)), at);
        }
        assertEquals(want.dec == null ? null : want.dec.setScale(10), rs.getBigDecimal(10), at);
        assertEquals(want.price == null ? null : want.price.setScale(4), rs.getBigDecimal(11), at);
        assertEquals(pgTimestamp(want.ts, 3), rs.getString(12), at);
        assertEquals(pgTimestamp(want.ts6, 6), rs.getString(13), at);
        assertEquals(want.ltz == null ? null : new BigDecimal(want.ltz.toEpochMilli()),
            rs.getBigDecimal(14) == null ? null : rs.getBigDecimal(14).stripTrailingZeros().setScale(0), at);
        assertEquals(pgDate(want.day), rs.getString(15), at);
      }
      assertFalse(rs.next());
    }
  }

  /** PostgreSQL's text of a timestamp(p): ISO, fraction without trailing zeros, BC for years before 1. */
  private static String pgTimestamp(LocalDateTime t, int precision) {
    if (t == null) {
      return null;
    }
    long micros = t.getNano() / 1000;
    String fraction = String.format("%06d", micros).substring(0, 6).replaceAll("0+$", "");
    if (precision == 3) {
      fraction = String.format("%03d", t.getNano() / 1_000_000).replaceAll("0+$", "");
    }
    String time = String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond())
        + (fraction.isEmpty() ? "" : "." + fraction);
    return pgDate(t.toLocalDate()).replace(" BC", "") + " " + time + (t.getYear() <= 0 ? " BC" : "");
  }

  private static String pgDate(LocalDate d) {
    if (d == null) {
      return null;
    }
    int year = d.getYear() > 0 ? d.getYear() : 1 - d.getYear();
    return String.format("%04d-%02d-%02d", year, d.getMonthValue(), d.getDayOfMonth()) + (d.getYear() <= 0 ? " BC" : "");
  }

  @Test
  void deadLetterFieldsReadBackAsWritten() {
    CopyEncoder encoder = new CopyEncoder(List.of(VarCharType.STRING_TYPE, new IntType(), new DecimalType(12, 4)));
    CopyBatch batch = new CopyBatch();
    for (String text : TEXTS) {
      encoder.encode(GenericRowData.of(StringData.fromString(text), null, DecimalData.fromBigDecimal(
          new BigDecimal("-1.5"), 12, 4)), batch);
    }
    encoder.encode(GenericRowData.of(StringData.fromString("nul \u0000 inside"), 7, null), batch);
    for (int i = 0; i < TEXTS.length; i++) {
      assertArrayEquals(new String[] {TEXTS[i], null, "-1.5000"}, batch.fields(i, 3), TEXTS[i]);
    }
    assertArrayEquals(new String[] {"nul \u0000 inside", "7", null}, batch.fields(TEXTS.length, 3));
  }

  @Test
  void copyLinesAreEscapedAndEndWithTheOrdinal() {
    CopyEncoder encoder = new CopyEncoder(List.of(VarCharType.STRING_TYPE, new BooleanType(), new BigIntType()));
    CopyBatch batch = new CopyBatch();
    encoder.encode(GenericRowData.of(StringData.fromString("a\tb\\c\nd\re"), true, Long.MIN_VALUE), batch);
    encoder.encode(GenericRowData.of(null, false, 0L), batch);
    String lines = new String(batch.array(), 0, batch.offset(2), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals("a\\tb\\\\c\\nd\\re\tt\t-9223372036854775808\t0\n\\N\tf\t0\t1\n", lines);
  }

  @Test
  void rowJsonEscapesWhatJsonMust() throws Exception {
    String[] values = {"q\"b\\n\nt\tc\u0001\u0000 \uD83D\uDE00 é", null, "12.5"};
    byte[] json = RowJson.encode(List.of("a", "b", "c"), values);
    assertEquals("{\"a\":\"q\\\"b\\\\n\\nt\\tc\\u0001\\u0000 \uD83D\uDE00 é\",\"b\":null,\"c\":\"12.5\"}",
        new String(json, java.nio.charset.StandardCharsets.UTF_8));
    var parsed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    assertEquals(values[0], parsed.get("a").asText());
    assertTrue(parsed.get("b").isNull());
  }
}
