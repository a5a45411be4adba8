package dev.tradestream.flink.functions;

import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code sequenced_log_return(trade_timestamp, price, lookback)}, over a ticker's trades in arrival order ({@code
 * OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}): the natural log
 * of a trade's price over the price of the ticker's previous in-sequence trade, 0 for its first one. A trade is in
 * sequence when it is stamped no earlier than any of the ticker's {@code lookback} previous trades. A trade that is
 * not (out of order, or late) carries its stamped time's stale price: it gets NULL and is no one's previous trade,
 * so a late print is not read as a jump and back.
 *
 * <p>Why a function of our own: the same rule in plain SQL takes two bounded OVERs (a MAX over the lookback, then
 * FIRST_VALUE over one row of the in-sequence trades), each a keyed exchange, a buffer of every row in state and a
 * retractable aggregate. An unbounded OVER keeps one small accumulator per ticker and never retracts.
 */
public final class SequencedLogReturn extends AggregateFunction<Double, SequencedLogReturn.Accumulator> {

  /** A ticker's state: its last timestamps (a ring), its last in-sequence price, and the current row's result. */
  public static final class Accumulator {
    /** The timestamps of the ticker's last {@code lookback} trades, oldest overwritten first. */
    public long[] recent = new long[0];

    /** How many of {@code recent} hold a trade, at most its length. */
    public int filled;

    /** Where the next timestamp goes in {@code recent}. */
    public int next;

    /** Whether the ticker has had an in-sequence trade, whose price is {@code lastPrice}. */
    public boolean hasPrice;

    public double lastPrice;

    /** The value for the row just accumulated. */
    public Double result;
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator();
  }

  public void accumulate(Accumulator acc, Long timestamp, Double price, Integer lookback) {
    if (timestamp == null || price == null || lookback == null || lookback < 1) {
      throw new IllegalArgumentException(
          "sequenced_log_return(trade_timestamp, price, lookback) needs non-null values and lookback >= 1");
    }
    if (acc.recent.length != lookback) {
      acc.recent = new long[lookback];
      acc.filled = 0;
      acc.next = 0;
    }
    boolean inSequence = true;
    for (int i = 0; i < acc.filled; i++) {
      if (acc.recent[i] > timestamp) {
        inSequence = false;
        break;
      }
    }
    acc.recent[acc.next] = timestamp;
    acc.next = (acc.next + 1) % lookback;
    acc.filled = Math.min(acc.filled + 1, lookback);
    if (!inSequence) {
      acc.result = null;
      return;
    }
    // StrictMath: fdlibm's log, bit for bit the same on every JVM (and as JavaScript's Math.log, which the
    // TypeScript reference uses). The first trade is its own previous: log(1) = 0.
    acc.result = StrictMath.log(price / (acc.hasPrice ? acc.lastPrice : price));
    acc.lastPrice = price;
    acc.hasPrice = true;
  }

  @Override
  public Double getValue(Accumulator acc) {
    return acc.result;
  }
}
