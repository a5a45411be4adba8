package dev.tradestream.flink.format;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;

/**
 * One physical column as the decoder judges it: its name, its kind (the Flink type plus the rule's
 * {@code timestamp} flag) and its rule. Built by {@link DecodeRules#bind}, which has already checked that the rule
 * fits the type; immutable and serializable, so it travels inside the runtime decoder.
 */
final class ColumnSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  enum Kind {
    TEXT,
    DECIMAL,
    BIGINT,
    INT,
    /** A BIGINT holding epoch milliseconds (rule {@code timestamp: true}). */
    INSTANT,
    DOUBLE,
    BOOLEAN
  }

  final String name;
  final Kind kind;
  final boolean required;
  /** TEXT: at most this many code points (0 when {@link #values} is set). */
  final int maxLength;
  /** TEXT: the closed set, or null. */
  final List<String> values;
  /** DECIMAL only. */
  final int precision;
  final int scale;
  /** DECIMAL, BIGINT, INT: the lower bound as written in the rules, or null. */
  final String minText;
  final boolean exclusiveMin;
  /**
   * The lower bound as a threshold on the unscaled value (the value times 10^scale, scale 0 for integers):
   * the value passes when its unscaled value is at least this. Exact for any bound: an inclusive bound m
   * becomes ceil(m * 10^s), an exclusive one floor(m * 10^s) + 1. Null when there is no bound.
   */
  final BigInteger minUnscaled;

  ColumnSpec(
      String name,
      Kind kind,
      boolean required,
      int maxLength,
      List<String> values,
      int precision,
      int scale,
      String minText,
      boolean exclusiveMin) {
    this.name = name;
    this.kind = kind;
    this.required = required;
    this.maxLength = maxLength;
    this.values = values == null ? null : List.copyOf(values);
    this.precision = precision;
    this.scale = scale;
    this.minText = minText;
    this.exclusiveMin = exclusiveMin;
    if (minText == null) {
      this.minUnscaled = null;
    } else {
      BigDecimal scaled = new BigDecimal(minText).movePointRight(kind == Kind.DECIMAL ? scale : 0);
      this.minUnscaled =
          exclusiveMin
              ? scaled.setScale(0, RoundingMode.FLOOR).toBigIntegerExact().add(BigInteger.ONE)
              : scaled.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
    }
  }

  @Override
  public String toString() {
    return name + ":" + kind;
  }
}
