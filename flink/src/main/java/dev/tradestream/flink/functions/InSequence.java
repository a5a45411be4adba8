package dev.tradestream.flink.functions;

/**
 * The in-sequence rule of a ticker's trades in arrival order, as state inside an aggregate's accumulator: a trade is
 * in sequence when it is stamped no earlier than any of the ticker's {@code lookback} previous trades. A trade that
 * is not (out of order, or late) carries its stamped time's stale price: it has no log return and is no one's
 * previous trade, so a late print is not read as a jump and back. Shared by {@link SequencedLogReturn} and {@link
 * AnomalyScore}, which must agree on every trade's return.
 */
public final class InSequence {
  /** The timestamps of the ticker's last {@code lookback} trades, oldest overwritten first. */
  public long[] recent = new long[0];

  /** How many of {@code recent} hold a trade, at most its length. */
  public int filled;

  /** Where the next timestamp goes in {@code recent}. */
  public int next;

  /** Whether the ticker has had an in-sequence trade, whose price is {@code lastPrice}. */
  public boolean hasPrice;

  public double lastPrice;

  /**
   * Takes the ticker's next trade: the natural log of its price over the previous in-sequence trade's (0 for the
   * first), or NaN when it is out of sequence.
   */
  public double logReturn(long timestamp, double price, int lookback) {
    if (recent.length != lookback) {
      recent = new long[lookback];
      filled = 0;
      next = 0;
    }
    boolean inSequence = true;
    for (int i = 0; i < filled; i++) {
      if (recent[i] > timestamp) {
        inSequence = false;
        break;
      }
    }
    recent[next] = timestamp;
    next = (next + 1) % lookback;
    filled = Math.min(filled + 1, lookback);
    if (!inSequence) return Double.NaN;
    // StrictMath: fdlibm's log, bit for bit the same on every JVM (and as JavaScript's Math.log, which the
    // TypeScript reference uses). The first trade is its own previous: log(1) = 0.
    double result = StrictMath.log(price / (hasPrice ? lastPrice : price));
    lastPrice = price;
    hasPrice = true;
    return result;
  }
}
