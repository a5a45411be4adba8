package dev.tradestream.flink.functions;

import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code sequenced_log_return(trade_timestamp, price, lookback)}, over a ticker's trades in arrival order ({@code
 * OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)}): the natural log
 * of a trade's price over the price of the ticker's previous in-sequence trade, 0 for its first one. A trade is in
 * sequence when it is stamped no earlier than any of the ticker's {@code lookback} previous trades. A trade that is
 * not (out of order, or late) carries its stamped time's stale price: it gets NULL and is no one's previous trade,
 * so a late print is not read as a jump and back ({@link InSequence}).
 *
 * <p>Why a function of our own: the same rule in plain SQL takes two bounded OVERs (a MAX over the lookback, then
 * FIRST_VALUE over one row of the in-sequence trades), each a keyed exchange, a buffer of every row in state and a
 * retractable aggregate. An unbounded OVER keeps one small accumulator per ticker and never retracts, and shares its
 * operator with the job's other per-ticker aggregates ({@link TrailingSum}, {@link AnomalyScore}).
 */
public final class SequencedLogReturn extends AggregateFunction<Double, SequencedLogReturn.Accumulator> {

  /** A ticker's state: the in-sequence rule's, and the current row's result. */
  public static final class Accumulator {
    public InSequence sequence = new InSequence();

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
    double r = acc.sequence.logReturn(timestamp, price, lookback);
    acc.result = Double.isNaN(r) ? null : r;
  }

  @Override
  public Double getValue(Accumulator acc) {
    return acc.result;
  }
}
