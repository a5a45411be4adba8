package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.Random;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.io.NumberInput;
import org.junit.jupiter.api.Test;

/**
 * The decoder's fast paths against the obvious slow ones, over random JSON number literals: the unscaled long of
 * a decimal (read from the written digits at once) against BigDecimal, and Jackson's FastDoubleParser against
 * Double.parseDouble.
 */
class NumberFastPathTest {
  private static final Random RANDOM = new Random(20261201L);

  private static String literal() {
    StringBuilder s = new StringBuilder();
    if (RANDOM.nextBoolean()) {
      s.append('-');
    }
    int intDigits = RANDOM.nextInt(8);
    if (intDigits == 0) {
      s.append('0');
    } else {
      s.append((char) ('1' + RANDOM.nextInt(9)));
      for (int k = 1; k < intDigits; k++) {
        s.append(RANDOM.nextInt(4) == 0 ? '0' : (char) ('0' + RANDOM.nextInt(10)));
      }
    }
    if (RANDOM.nextBoolean()) {
      s.append('.');
      int fracDigits = 1 + RANDOM.nextInt(12);
      for (int k = 0; k < fracDigits; k++) {
        s.append(RANDOM.nextInt(3) == 0 ? '0' : (char) ('0' + RANDOM.nextInt(10)));
      }
    }
    if (RANDOM.nextInt(4) == 0) {
      s.append(RANDOM.nextBoolean() ? 'e' : 'E');
      int r = RANDOM.nextInt(3);
      s.append(r == 0 ? "-" : r == 1 ? "+" : "");
      s.append(RANDOM.nextInt(RANDOM.nextInt(10) == 0 ? 400 : 12));
    }
    return s.toString();
  }

  @Test
  void unscaledLongMatchesBigDecimal() {
    NumberLiteral n = new NumberLiteral();
    int checked = 0;
    for (int k = 0; k < 300_000; k++) {
      String text = literal();
      int scale = RANDOM.nextInt(9);
      n.read(text.toCharArray(), 0, text.length());
      BigDecimal exact = new BigDecimal(text);
      BigDecimal stripped = exact.stripTrailingZeros();
      boolean zero = exact.signum() == 0;
      assertEquals(zero, n.zero, text);
      assertEquals(zero ? 0 : Math.max(0, stripped.scale()), n.decimals(), text + " decimals");
      assertEquals(zero ? 0 : Math.max(0, stripped.precision() - stripped.scale()), n.integerDigits(), text);
      assertEquals(zero || stripped.scale() <= 0, n.integral(), text + " integral");
      if (n.decimals() > scale || n.integerDigits() + scale > NumberLiteral.LONG_DIGITS) {
        continue; // the decoder never asks for these
      }
      long expected = new BigDecimal(text).movePointRight(scale).longValueExact();
      assertEquals(expected, n.unscaledLong(scale), text + " at scale " + scale);
      checked++;
    }
    assertEquals(true, checked > 100_000, "too few literals checked: " + checked);
  }

  @Test
  void fastDoubleMatchesDoubleParseDouble() {
    String[] edges = {"1e-400", "-1e-400", "1e309", "-1e309", "1.7976931348623157e308", "1.7976931348623158e308",
        "1.7976931348623159e308", "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "-0",
        "0.0", "9007199254740993", "123456789012345678901234567890", "2.2250738585072011e-308", "0.1", "1e23",
        "8.41e21", "5e-324", "1e0", "1E+2"};
    for (String text : edges) {
      check(text);
    }
    for (int k = 0; k < 300_000; k++) {
      check(literal());
    }
    for (int k = 0; k < 100_000; k++) {
      check(Double.toString(Double.longBitsToDouble(RANDOM.nextLong()))
          .replace("Infinity", "1e400").replace("NaN", "0"));
    }
  }

  private static void check(String text) {
    char[] padded = ("  " + text + " ").toCharArray();
    double expected = Double.parseDouble(text);
    double actual = NumberInput.parseDouble(padded, 2, text.length(), true);
    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual), text);
  }
}
