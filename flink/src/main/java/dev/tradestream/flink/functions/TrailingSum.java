package dev.tradestream.flink.functions;

import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code trailing_sum(value, n)}, over a ticker's trades in arrival order (an unbounded {@code OVER (PARTITION BY
 * ticker ORDER BY proc_time)}): the sum of the {@code n} values before the current row's, NULL until {@code n} rows
 * came before it. The same as {@code SUM(value) OVER (... ROWS BETWEEN n PRECEDING AND CURRENT ROW) - value} once
 * that window is full, but kept as a ring of {@code n} longs per ticker rather than every row of the window in
 * state, and in the one unbounded OVER the job's other per-ticker aggregates share (no keyed exchange of its own).
 */
public final class TrailingSum extends AggregateFunction<Long, TrailingSum.Accumulator> {

  /** A ticker's last {@code n} values (a ring), their sum, and the current row's result. */
  public static final class Accumulator {
    public long[] values = new long[0];

    /** How many of {@code values} hold a row, at most its length. */
    public int filled;

    /** Where the next value goes in {@code values}. */
    public int next;

    public long sum;

    /** The value for the row just accumulated. */
    public Long result;
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator();
  }

  public void accumulate(Accumulator acc, Long value, Integer n) {
    if (value == null || n == null || n < 1) {
      throw new IllegalArgumentException("trailing_sum(value, n) needs a non-null value and n >= 1");
    }
    if (acc.values.length != n) {
      acc.values = new long[n];
      acc.filled = 0;
      acc.next = 0;
      acc.sum = 0;
    }
    acc.result = acc.filled == n ? acc.sum : null;
    acc.sum += value - acc.values[acc.next];
    acc.values[acc.next] = value;
    acc.next = (acc.next + 1) % n;
    acc.filled = Math.min(acc.filled + 1, n);
  }

  @Override
  public Long getValue(Accumulator acc) {
    return acc.result;
  }
}
