package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.StreamReadConstraints;
import org.apache.flink.table.data.GenericRowData;
import org.junit.jupiter.api.Test;

/** The parts under the policy: the UTF-8 scan, the exact number reading, Jackson's lifted limits. */
class DecoderInternalsTest {
  private static final CharsetDecoder STRICT_UTF8 =
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** The verdict of the scan by its definition, from the JDK's strict UTF-8 decoder. */
  private static int expectedScan(byte[] bytes) {
    try {
      STRICT_UTF8.reset().decode(ByteBuffer.wrap(bytes));
    } catch (CharacterCodingException e) {
      return Utf8Scan.NOT_UTF8;
    }
    if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF) {
      return Utf8Scan.NOT_JSON;
    }
    for (byte b : bytes) {
      if (b >= 0 && b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
        return Utf8Scan.NOT_JSON;
      }
    }
    return Utf8Scan.OK;
  }

  private static void assertScan(byte[] bytes) {
    assertEquals(expectedScan(bytes), Utf8Scan.scan(bytes), () -> Arrays.toString(bytes));
  }

  /** The sequence at every offset of a printable ASCII run, so that both the 8-byte path and the byte path see it. */
  private static void assertScanEverywhere(byte[] sequence) {
    for (int before = 0; before < 10; before++) {
      byte[] bytes = new byte[before + sequence.length + 3];
      Arrays.fill(bytes, (byte) 'a');
      System.arraycopy(sequence, 0, bytes, before, sequence.length);
      assertScan(bytes);
      assertScan(Arrays.copyOfRange(bytes, 0, before + sequence.length)); // ending with it (truncation)
    }
  }

  @Test
  void utf8ScanAgreesWithTheJdkOnEveryShortSequence() {
    for (int a = 0; a < 256; a++) {
      assertScanEverywhere(new byte[] {(byte) a});
      for (int b = 0; b < 256; b++) {
        assertScan(new byte[] {(byte) a, (byte) b});
      }
    }
    int[] interesting = {0x00, 0x09, 0x1F, 0x20, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF};
    for (int lead = 0xC0; lead < 0x100; lead++) {
      for (int b : interesting) {
        for (int c : interesting) {
          assertScanEverywhere(new byte[] {(byte) lead, (byte) b, (byte) c});
          for (int d : interesting) {
            assertScan(new byte[] {(byte) lead, (byte) b, (byte) c, (byte) d});
          }
        }
      }
    }
    assertScanEverywhere(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // a BOM inside: valid UTF-8
    assertScanEverywhere("é€\uD83D\uDE00".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void numberLiteralIsExact() {
    NumberLiteral n = new NumberLiteral();
    read(n, "10.50");
    assertEquals(3, n.digits); // 105
    assertEquals(-1, n.exponent);
    assertEquals(1, n.decimals());
    assertEquals(2, n.integerDigits());
    assertEquals(105000, n.unscaledLong(4));

    read(n, "-1.5e-3");
    assertTrue(n.negative);
    assertEquals(4, n.decimals());
    assertEquals(-15, n.unscaledLong(4));

    read(n, "100");
    assertEquals(1, n.digits);
    assertEquals(2, n.exponent);
    assertTrue(n.integral());

    read(n, "0.000e99999999999999999999999");
    assertTrue(n.zero);
    assertEquals(0, n.integerDigits());

    read(n, "1e99999999999999999999999");
    assertTrue(n.integerDigits() > 1_000_000_000L);
    read(n, "1e-99999999999999999999999");
    assertTrue(n.decimals() > 1_000_000_000L);

    read(n, "9007199254740993");
    assertEquals(9007199254740993L, n.unscaledLong(0));
    assertEquals("123456789012345678901234", read(n, "1234567890123456789.01234e5").unscaledBig(0).toString());
  }

  private static NumberLiteral read(NumberLiteral n, String text) {
    char[] padded = ("xx" + text + "yy").toCharArray();
    return n.read(padded, 2, text.length());
  }

  @Test
  void jacksonLimitsAreLifted() {
    StreamReadConstraints limits = RecordDecoder.JSON.streamReadConstraints();
    assertEquals(Integer.MAX_VALUE, limits.getMaxNestingDepth());
    assertEquals(Integer.MAX_VALUE, limits.getMaxNumberLength());
    assertEquals(Integer.MAX_VALUE, limits.getMaxStringLength());
    assertEquals(Integer.MAX_VALUE, limits.getMaxNameLength());
    assertTrue(limits.getMaxDocumentLength() <= 0, "document length unlimited");
    assertTrue(limits.getMaxTokenCount() <= 0, "token count unlimited");
  }

  @Test
  void limitsNeverChangeAVerdict() {
    RecordDecoder decoder = new RecordDecoder(DecodeRules.parse(Narrow.RULES).bind(Narrow.ROW));
    // Beyond Jackson's default limits: a 2000-digit number (1000), a 60000-character name (50000), a
    // 21-million-character string (20 million), 5000 levels of nesting (1000).
    String digits = "1" + "0".repeat(1999);
    assertEquals("price is out of range", decode(decoder, Narrow.VALID.replace("187.12", digits)));
    assertEquals("sequence is out of range", decode(decoder, Narrow.VALID.replace("\"sequence\":7", "\"sequence\":" + digits)));
    assertEquals(
        "unknown field (unprintable name)",
        decode(decoder, Narrow.VALID.replace("{", "{\"" + "n".repeat(60000) + "\":1,")));
    assertEquals(
        "trade_id is empty or longer than 64",
        decode(decoder, Narrow.VALID.replace("\"p1-7\"", "\"" + "x".repeat(21_000_000) + "\"")));
    assertEquals(
        "unknown field deep",
        decode(decoder, Narrow.VALID.replace("{", "{\"deep\":" + "[".repeat(5000) + "{}" + "]".repeat(5000) + ",")));
    assertEquals(
        "unknown field deep",
        decode(decoder, Narrow.VALID.replace("{", "{\"deep\":" + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + ",")));
  }

  @Test
  void decodesTheSameAfterManyRecords() {
    // The seen-stamps and Jackson's recycled buffers must not carry anything from one record to the next.
    RecordDecoder decoder = new RecordDecoder(DecodeRules.parse(Narrow.RULES).bind(Narrow.ROW));
    for (int i = 0; i < 1000; i++) {
      assertNull(decode(decoder, Narrow.VALID));
      assertEquals("missing field trade_id", decode(decoder, Narrow.VALID.replace("\"trade_id\":\"p1-7\",", "")));
      assertEquals("not valid JSON", decode(decoder, Narrow.VALID.substring(0, 40)));
    }
  }

  @Test
  void printableNames() {
    assertTrue(RecordDecoder.printable("a.b-c_D9"));
    assertTrue(RecordDecoder.printable("x".repeat(64)));
    assertFalse(RecordDecoder.printable("x".repeat(65)));
    assertFalse(RecordDecoder.printable(""));
    assertFalse(RecordDecoder.printable("a b"));
    assertFalse(RecordDecoder.printable("é"));
  }

  private static String decode(RecordDecoder decoder, String json) {
    return decoder.decode(json.getBytes(StandardCharsets.UTF_8), new GenericRowData(decoder.arity()));
  }
}
