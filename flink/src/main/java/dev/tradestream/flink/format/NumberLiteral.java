package dev.tradestream.flink.format;

import java.math.BigInteger;

/**
 * The exact value of one JSON number literal, read from its text (never through a double): the value is
 * {@code (negative ? -1 : 1) * M * 10^exponent}, where M is the run of significant digits of the literal
 * (leading and trailing zeros dropped, so {@code 10.50} is M=105, exponent=-1). Every check of the policy is a
 * question about {@link #digits} and {@link #exponent}: how many decimals ({@code -exponent}), how many integer
 * digits ({@code digits + exponent}), whether it is integral ({@code exponent >= 0}).
 *
 * <p>One instance is reused for every number of every record (no allocation). The text has already passed the
 * JSON parser, so it matches {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}.
 */
final class NumberLiteral {
  /**
   * Exponents written beyond this are kept at this size: any value with such an exponent is already out of
   * every range (or has more decimals than any scale), and the arithmetic below stays within a long even for
   * literals of 2^31 digits.
   */
  private static final long EXPONENT_CAP = 1_000_000_000_000_000L;

  /** The largest power of ten a long holds, so values of at most 18 digits are read as a long. */
  static final int LONG_DIGITS = 18;

  private static final long[] POW10 = new long[LONG_DIGITS + 1];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  private char[] text;
  /** Positions of the integer digits [intStart, intEnd) and the fraction digits [fracStart, fracEnd). */
  private int intStart;
  private int intEnd;
  private int fracStart;
  private int fracEnd;
  /** Virtual indexes (integer digits then fraction digits) of the first and last significant digit. */
  private int first;
  private int last;
  /** The number of digits written (integer and fraction digits, zeros included) and the exponent written. */
  private int total;
  private long written;
  /** The written digits as one integer, leading and trailing zeros included; exact only when total <= 18. */
  private long mantissa;

  boolean negative;
  boolean zero;
  /** The number of significant digits (0 for zero). */
  long digits;
  /** The power of ten of the last significant digit (0 for zero). */
  long exponent;
  /** The length of the literal in characters, sign included. */
  int length;

  /** Reads the literal {@code text[offset, offset + length)}. */
  NumberLiteral read(char[] text, int offset, int length) {
    this.text = text;
    this.length = length;
    int end = offset + length;
    int pos = offset;
    negative = text[pos] == '-';
    if (negative) {
      pos++;
    }
    // One pass over the digits: their value (wrapping around beyond 18 digits, and then unused) and the
    // virtual indexes of the first and last nonzero digit (-1 when there is none).
    long m = 0;
    int index = 0;
    int firstNonzero = -1;
    int lastNonzero = -1;
    intStart = pos;
    for (int d; pos < end && (d = text[pos] - '0') >= 0 && d <= 9; pos++, index++) {
      if (d != 0) {
        lastNonzero = index;
        if (firstNonzero < 0) {
          firstNonzero = index;
        }
      }
      m = m * 10 + d;
    }
    intEnd = pos;
    if (pos < end && text[pos] == '.') {
      pos++;
    }
    fracStart = pos;
    for (int d; pos < end && (d = text[pos] - '0') >= 0 && d <= 9; pos++, index++) {
      if (d != 0) {
        lastNonzero = index;
        if (firstNonzero < 0) {
          firstNonzero = index;
        }
      }
      m = m * 10 + d;
    }
    fracEnd = pos;
    mantissa = m;
    long written = 0;
    if (pos < end) { // 'e' or 'E'
      pos++;
      boolean negativeExponent = text[pos] == '-';
      if (text[pos] == '-' || text[pos] == '+') {
        pos++;
      }
      for (; pos < end && written < EXPONENT_CAP; pos++) {
        written = written * 10 + (text[pos] - '0');
      }
      if (negativeExponent) {
        written = -written;
      }
    }
    this.written = written;
    int total = (intEnd - intStart) + (fracEnd - fracStart);
    this.total = total;
    zero = firstNonzero < 0;
    if (zero) {
      digits = 0;
      exponent = 0;
      return this;
    }
    first = firstNonzero;
    last = lastNonzero;
    digits = last - first + 1;
    // The last significant digit stands (total - 1 - last) places left of the literal's last digit, whose
    // power of ten is the written exponent minus the number of fraction digits.
    exponent = written - (fracEnd - fracStart) + (total - 1 - last);
    return this;
  }

  /** Digits after the decimal point of the exact value (0 for integral values). */
  long decimals() {
    return exponent < 0 ? -exponent : 0;
  }

  boolean integral() {
    return exponent >= 0;
  }

  /** Digits before the decimal point of the exact value: the value's magnitude is below 10^integerDigits. */
  long integerDigits() {
    return zero ? 0 : Math.max(0, digits + exponent);
  }

  /**
   * The value times 10^scale as a long, for a value with at most {@code scale} decimals whose result has at most
   * {@link #LONG_DIGITS} digits ({@code integerDigits() + scale <= 18}); the caller checks both first.
   */
  long unscaledLong(int scale) {
    if (zero) {
      return 0;
    }
    if (total <= LONG_DIGITS) {
      // value = mantissa * 10^(written - fraction digits), so the result is mantissa * 10^shift, an integer
      // of at most 18 digits: shift is at most 17 (mantissa >= 1) and at least -total (dropping only zeros).
      long shift = written - (fracEnd - fracStart) + scale;
      long value = shift >= 0 ? mantissa * POW10[(int) shift] : mantissa / POW10[(int) -shift];
      return negative ? -value : value;
    }
    long value = 0;
    for (int i = first; i <= last; i++) {
      value = value * 10 + digitAt(i);
    }
    value *= POW10[(int) (exponent + scale)];
    return negative ? -value : value;
  }

  /** As {@link #unscaledLong}, for any size (used only beyond 18 digits). */
  BigInteger unscaledBig(int scale) {
    if (zero) {
      return BigInteger.ZERO;
    }
    StringBuilder s = new StringBuilder((int) digits + 1);
    if (negative) {
      s.append('-');
    }
    for (int i = first; i <= last; i++) {
      s.append((char) ('0' + digitAt(i)));
    }
    return new BigInteger(s.toString()).multiply(BigInteger.TEN.pow((int) (exponent + scale)));
  }

  private int digitAt(int index) {
    int intLength = intEnd - intStart;
    return (index < intLength ? text[intStart + index] : text[fracStart + index - intLength]) - '0';
  }
}
