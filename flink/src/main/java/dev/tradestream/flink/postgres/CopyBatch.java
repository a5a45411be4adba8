package dev.tradestream.flink.postgres;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The rows of one flush, already in PostgreSQL's COPY text format, in one byte array. Each line ends with the
 * row's ordinal in the batch (the staging table's last column), so any range of rows is one contiguous slice
 * that can be sent as is: the whole batch, or half of it while refused rows are isolated. {@link #targetRows}
 * gives the same rows without the ordinals, for a COPY straight into the target.
 */
final class CopyBatch {
  private byte[] bytes = new byte[64 * 1024];
  private int length;
  /** ends[i]: the offset just past row i's newline. */
  private int[] ends = new int[1024];
  /** fieldsEnds[i]: the offset of the tab before row i's ordinal. */
  private int[] fieldsEnds = new int[1024];
  private byte[] targetRows = new byte[0];
  private int rows;
  private int rowStart;

  int size() {
    return rows;
  }

  boolean isEmpty() {
    return rows == 0;
  }

  void clear() {
    length = 0;
    rows = 0;
  }

  byte[] array() {
    return bytes;
  }

  /** Where row {@code row} starts; {@code offset(size())} is the end of the last row. */
  int offset(int row) {
    return row == 0 ? 0 : ends[row - 1];
  }

  void startRow() {
    rowStart = length;
  }

  /** Drops what the current row wrote (its encoding failed). */
  void discardRow() {
    length = rowStart;
  }

  void endRow() {
    if (rows == ends.length) {
      ends = Arrays.copyOf(ends, rows * 2);
      fieldsEnds = Arrays.copyOf(fieldsEnds, rows * 2);
    }
    fieldsEnds[rows] = length;
    writeByte('\t');
    writeLong(rows);
    writeByte('\n');
    ends[rows++] = length;
  }

  /** Bytes [0, length) of {@code bytes}: a view of a buffer, valid until the batch changes. */
  record Slice(byte[] bytes, int length) {}

  /** Every row without its ordinal: the target's own columns, in a buffer reused from one batch to the next. */
  Slice targetRows() {
    if (targetRows.length < length) {
      targetRows = new byte[bytes.length];
    }
    int at = 0;
    for (int row = 0; row < rows; row++) {
      int start = offset(row);
      int fields = fieldsEnds[row] - start;
      System.arraycopy(bytes, start, targetRows, at, fields);
      at += fields;
      targetRows[at++] = '\n';
    }
    return new Slice(targetRows, at);
  }

  void writeByte(int b) {
    ensure(1);
    bytes[length++] = (byte) b;
  }

  /** A value that never needs escaping (numbers, dates, \N). */
  void writeAscii(String s) {
    ensure(s.length());
    for (int i = 0; i < s.length(); i++) {
      bytes[length++] = (byte) s.charAt(i);
    }
  }

  void writeLong(long v) {
    if (v == Long.MIN_VALUE) {
      writeAscii("-9223372036854775808");
      return;
    }
    ensure(20);
    if (v < 0) {
      bytes[length++] = '-';
      v = -v;
    }
    int digits = 1;
    for (long p = 10; digits < 19 && v >= p; p *= 10) {
      digits++;
    }
    for (int i = length + digits - 1; i >= length; i--) {
      bytes[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    length += digits;
  }

  /** {@code v} as exactly {@code width} digits, zero-padded (0 <= v < 10^width). */
  void writePadded(long v, int width) {
    ensure(width);
    for (int i = length + width - 1; i >= length; i--) {
      bytes[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    length += width;
  }

  /**
   * UTF-8 text, with COPY's escapes for the four bytes that would end the field or the line or start an escape.
   * Nothing else is changed: a byte PostgreSQL refuses (a NUL) must reach it, to be refused.
   */
  void writeText(byte[] utf8) {
    ensure(utf8.length * 2);
    for (byte b : utf8) {
      switch (b) {
        case '\\' -> escape('\\');
        case '\n' -> escape('n');
        case '\r' -> escape('r');
        case '\t' -> escape('t');
        default -> bytes[length++] = b;
      }
    }
  }

  private void escape(char c) {
    bytes[length++] = '\\';
    bytes[length++] = (byte) c;
  }

  private void ensure(int more) {
    if (length + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
    }
  }

  /**
   * Row {@code row}'s first {@code columns} fields as PostgreSQL reads them (escapes undone, {@code \N} as
   * null), for a dead letter. Invalid UTF-8 cannot come from a Flink string; it would read as U+FFFD.
   */
  String[] fields(int row, int columns) {
    String[] values = new String[columns];
    int end = offset(row + 1) - 1; // the newline
    int at = offset(row);
    ByteArrayOutputStream field = new ByteArrayOutputStream();
    for (int col = 0; col < columns; col++) {
      field.reset();
      boolean isNull = false;
      while (at < end && bytes[at] != '\t') {
        byte b = bytes[at++];
        if (b == '\\' && at < end) {
          byte e = bytes[at++];
          switch (e) {
            case 'N' -> isNull = true;
            case 'n' -> field.write('\n');
            case 'r' -> field.write('\r');
            case 't' -> field.write('\t');
            default -> field.write(e);
          }
        } else {
          field.write(b);
        }
      }
      at++; // the tab
      values[col] = isNull ? null : field.toString(StandardCharsets.UTF_8);
    }
    return values;
  }
}
