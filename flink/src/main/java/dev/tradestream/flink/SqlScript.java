package dev.tradestream.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a Flink SQL script into statements: semicolons end a statement only outside string literals, quoted
 * identifiers and comments; comments are dropped; {@code EXECUTE STATEMENT SET BEGIN ... END;} (or
 * {@code BEGIN STATEMENT SET; ... END;}) becomes one statement set holding its INSERTs; {@code SET 'k' = 'v';}
 * becomes a configuration entry.
 */
final class SqlScript {
  sealed interface Statement permits SetOption, Sql, StatementSet {}

  /** {@code SET 'key' = 'value'}. */
  record SetOption(String key, String value) implements Statement {}

  /** Any other single statement (DDL, a lone INSERT...), comments removed. */
  record Sql(String text) implements Statement {}

  /** The INSERTs of one statement set, submitted together as one job. */
  record StatementSet(List<String> inserts) implements Statement {}

  private static final Pattern SET_BEGIN =
      Pattern.compile("^(?:EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN|BEGIN\\s+STATEMENT\\s+SET)\\b\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern END = Pattern.compile("^END$", Pattern.CASE_INSENSITIVE);
  private static final Pattern SET =
      Pattern.compile("^SET\\s+(?<key>'(?:[^']|'')*'|[\\w.\\-]+)\\s*=\\s*(?<value>'(?:[^']|'')*'|\\S+)$",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  private SqlScript() {}

  /** The statements of the script, in order, each trimmed and without comments or its final semicolon. */
  static List<String> split(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (SqlLexer.Segment s : SqlLexer.segments(script)) {
      switch (s.kind()) {
        case COMMENT -> current.append(' ');
        case STRING, IDENTIFIER -> current.append(s.text(script));
        case CODE -> {
          String code = s.text(script);
          int from = 0;
          int semi;
          while ((semi = code.indexOf(';', from)) >= 0) {
            current.append(code, from, semi);
            flush(current, out);
            from = semi + 1;
          }
          current.append(code, from, code.length());
        }
        default -> throw new IllegalStateException(s.kind().name());
      }
    }
    flush(current, out);
    return out;
  }

  private static void flush(StringBuilder current, List<String> out) {
    String statement = current.toString().strip();
    if (!statement.isEmpty()) {
      out.add(statement);
    }
    current.setLength(0);
  }

  static List<Statement> parse(String script) {
    List<Statement> out = new ArrayList<>();
    List<String> inserts = null;
    for (String statement : split(script)) {
      if (inserts != null) {
        if (END.matcher(statement).matches()) {
          if (inserts.isEmpty()) {
            throw new IllegalArgumentException("empty statement set");
          }
          out.add(new StatementSet(List.copyOf(inserts)));
          inserts = null;
        } else {
          inserts.add(statement);
        }
        continue;
      }
      Matcher begin = SET_BEGIN.matcher(statement);
      if (begin.find()) {
        inserts = new ArrayList<>();
        String first = statement.substring(begin.end()).strip();
        if (!first.isEmpty()) {
          inserts.add(first);
        }
        continue;
      }
      Matcher set = SET.matcher(statement);
      if (set.matches()) {
        out.add(new SetOption(unquote(set.group("key")), unquote(set.group("value"))));
        continue;
      }
      if (END.matcher(statement).matches()) {
        throw new IllegalArgumentException("END without a statement set");
      }
      out.add(new Sql(statement));
    }
    if (inserts != null) {
      throw new IllegalArgumentException("statement set not closed: END; missing");
    }
    return out;
  }

  private static String unquote(String token) {
    if (token.length() >= 2 && token.startsWith("'") && token.endsWith("'")) {
      return token.substring(1, token.length() - 1).replace("''", "'");
    }
    return token;
  }

  /** The first line of a statement, for progress messages that must not show secrets or whole scripts. */
  static String headline(String statement) {
    String first = statement.strip().lines().findFirst().orElse("");
    return first.length() > 100 ? first.substring(0, 100) + "..." : first;
  }
}
