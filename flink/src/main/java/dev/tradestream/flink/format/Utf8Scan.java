package dev.tradestream.flink.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One pass over a record's bytes before the JSON parser sees them: checks 2 of the policy (valid UTF-8 by RFC
 * 3629: no overlong forms, no encoded surrogates, nothing above U+10FFFF, nothing truncated) over the whole
 * record, and notes what makes the bytes invalid JSON whatever follows:
 * <ul>
 *   <li>a raw control byte 0x00-0x1F other than tab, LF and CR: JSON allows them nowhere, neither between tokens
 *       nor inside strings. Refusing them here also keeps NUL bytes away from Jackson's encoding auto-detection,
 *       which would read a record starting with a NUL as UTF-16 or UTF-32;</li>
 *   <li>a UTF-8 byte-order mark at the start, which Jackson would skip silently but RFC 8259 does not allow.</li>
 * </ul>
 * Only when the bytes are valid UTF-8 does the verdict "not valid JSON" apply (the encoding check comes first).
 */
final class Utf8Scan {
  static final int OK = 0;
  static final int NOT_UTF8 = 1;
  static final int NOT_JSON = 2;

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long LOW_BITS = 0x7F7F7F7F7F7F7F7FL;
  /** Added to a byte of at most 0x7F, it sets the byte's high bit exactly when the byte is at least 0x20. */
  private static final long ADD_TO_0X80_FROM_0X20 = 0x6060606060606060L;

  private Utf8Scan() {}

  static int scan(byte[] bytes) {
    int n = bytes.length;
    boolean notJson =
        n >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF;
    int i = 0;
    while (i < n) {
      // Fast path: 8 bytes at a time while they are all printable ASCII (0x20-0x7F), which is nearly all of a
      // trade record. (DEL passes here; it is valid JSON, and inside text the value check refuses it.)
      while (i + 8 <= n) {
        long word = (long) LONGS.get(bytes, i);
        long printable = (word & LOW_BITS) + ADD_TO_0X80_FROM_0X20;
        if (((word & HIGH_BITS) | (~printable & HIGH_BITS)) != 0) {
          break;
        }
        i += 8;
      }
      if (i >= n) {
        break;
      }
      int b = bytes[i] & 0xFF;
      if (b < 0x80) {
        if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
          notJson = true;
        }
        i++;
        continue;
      }
      // A multi-byte sequence: the lead byte fixes its length and the range of its second byte (which is
      // where overlong forms, surrogates and code points above U+10FFFF are excluded).
      int more;
      int low = 0x80;
      int high = 0xBF;
      if (b >= 0xC2 && b <= 0xDF) {
        more = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        more = 2;
        if (b == 0xE0) {
          low = 0xA0; // below: overlong
        } else if (b == 0xED) {
          high = 0x9F; // above: U+D800-U+DFFF, surrogates
        }
      } else if (b >= 0xF0 && b <= 0xF4) {
        more = 3;
        if (b == 0xF0) {
          low = 0x90; // below: overlong
        } else if (b == 0xF4) {
          high = 0x8F; // above: beyond U+10FFFF
        }
      } else {
        return NOT_UTF8; // a continuation byte without a lead, an overlong 2-byte lead (C0, C1), or F5-FF
      }
      if (i + more >= n) {
        return NOT_UTF8; // truncated
      }
      int second = bytes[i + 1] & 0xFF;
      if (second < low || second > high) {
        return NOT_UTF8;
      }
      for (int k = 2; k <= more; k++) {
        if ((bytes[i + k] & 0xC0) != 0x80) {
          return NOT_UTF8;
        }
      }
      i += more + 1;
    }
    return notJson ? NOT_JSON : OK;
  }
}
