package dev.tradestream.flink;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Substitutes ${NAME} placeholders from the environment at run time, so that endpoints and secrets never sit in
 * the SQL file. Inside a string literal the value is escaped ('' for '), so a password cannot break the quoting.
 * Placeholders in comments are left alone. Values are never printed: errors name the variable only.
 */
final class Placeholders {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private Placeholders() {}

  /** Thrown when the script needs variables the environment does not set. */
  static final class MissingVariablesException extends IllegalArgumentException {
    MissingVariablesException(Set<String> names) {
      super("the SQL script needs environment variable(s) that are not set: " + String.join(", ", names));
    }
  }

  /** Names of the variables the text refers to (outside comments) that {@code env} lacks, sorted. */
  static Set<String> missing(String text, Map<String, String> env) {
    Set<String> names = new TreeSet<>();
    for (SqlLexer.Segment s : SqlLexer.segments(text)) {
      if (s.kind() == SqlLexer.Kind.COMMENT) {
        continue;
      }
      Matcher m = PLACEHOLDER.matcher(s.text(text));
      while (m.find()) {
        if (!env.containsKey(m.group(1))) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  static String substitute(String text, Map<String, String> env) {
    Set<String> absent = missing(text, env);
    if (!absent.isEmpty()) {
      throw new MissingVariablesException(absent);
    }
    StringBuilder out = new StringBuilder(text.length());
    for (SqlLexer.Segment s : SqlLexer.segments(text)) {
      String segment = s.text(text);
      if (s.kind() == SqlLexer.Kind.COMMENT) {
        out.append(segment);
        continue;
      }
      boolean inString = s.kind() == SqlLexer.Kind.STRING;
      Matcher m = PLACEHOLDER.matcher(segment);
      StringBuilder replaced = new StringBuilder();
      while (m.find()) {
        String value = env.get(m.group(1));
        if (inString) {
          value = value.replace("'", "''");
        }
        m.appendReplacement(replaced, Matcher.quoteReplacement(value));
      }
      m.appendTail(replaced);
      out.append(replaced);
    }
    return out.toString();
  }
}
