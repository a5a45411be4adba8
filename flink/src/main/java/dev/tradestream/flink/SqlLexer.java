package dev.tradestream.flink;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a SQL text into segments: code, string literals ('...' with '' escapes), quoted identifiers (`...` or
 * "..."), and comments (-- to the end of the line, or a block comment). The statement splitter and the placeholder
 * substitution share it, so both agree on what is quoted.
 */
final class SqlLexer {
  enum Kind {
    CODE,
    STRING,
    IDENTIFIER,
    COMMENT
  }

  /** A segment [start, end) of the text; quoted segments and comments include their delimiters. */
  record Segment(Kind kind, int start, int end) {
    String text(String source) {
      return source.substring(start, end);
    }
  }

  private SqlLexer() {}

  static List<Segment> segments(String text) {
    List<Segment> out = new ArrayList<>();
    int codeStart = 0;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      char n = i + 1 < text.length() ? text.charAt(i + 1) : '\0';
      int end;
      Kind kind;
      if (c == '\'' || c == '`' || c == '"') {
        kind = c == '\'' ? Kind.STRING : Kind.IDENTIFIER;
        end = closingQuote(text, i, c);
      } else if (c == '-' && n == '-') {
        kind = Kind.COMMENT;
        int nl = text.indexOf('\n', i);
        end = nl < 0 ? text.length() : nl;
      } else if (c == '/' && n == '*') {
        kind = Kind.COMMENT;
        int close = text.indexOf("*/", i + 2);
        if (close < 0) {
          throw new IllegalArgumentException("unterminated block comment at " + where(text, i));
        }
        end = close + 2;
      } else {
        i++;
        continue;
      }
      if (codeStart < i) {
        out.add(new Segment(Kind.CODE, codeStart, i));
      }
      out.add(new Segment(kind, i, end));
      i = end;
      codeStart = end;
    }
    if (codeStart < text.length()) {
      out.add(new Segment(Kind.CODE, codeStart, text.length()));
    }
    return out;
  }

  /** Index just past the quote closing the one at {@code open}; a doubled quote is an escaped one. */
  private static int closingQuote(String text, int open, char quote) {
    int i = open + 1;
    while (i < text.length()) {
      if (text.charAt(i) == quote) {
        if (i + 1 < text.length() && text.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException("unterminated quote " + quote + " opened at " + where(text, open));
  }

  static String where(String text, int index) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < index; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return "line " + line + ", column " + col;
  }
}
