package dev.tradestream.flink.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/** The in-sequence rule and the log return, directly and through a real (bounded, streaming) Flink OVER. */
class SequencedLogReturnTest {
  private static List<Double> run(int lookback, long[] timestamps, double[] prices) {
    SequencedLogReturn f = new SequencedLogReturn();
    SequencedLogReturn.Accumulator acc = f.createAccumulator();
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < timestamps.length; i++) {
      f.accumulate(acc, timestamps[i], prices[i], lookback);
      out.add(f.getValue(acc));
    }
    return out;
  }

  @Test
  void firstTradeIsZeroAndReturnsChainOverInSequenceTrades() {
    List<Double> r = run(3, new long[] {10, 20, 30}, new double[] {100, 110, 99});
    assertEquals(0.0, r.get(0));
    assertEquals(StrictMath.log(110.0 / 100.0), r.get(1));
    assertEquals(StrictMath.log(99.0 / 110.0), r.get(2));
  }

  @Test
  void aTradeStampedBeforeOneOfTheLookbackIsNullAndNoOnesPrevious() {
    // 15 is older than 20 and 30: out of sequence; the trade after it returns against 30's price, not 15's.
    List<Double> r = run(3, new long[] {10, 20, 30, 15, 40}, new double[] {100, 101, 102, 90, 103});
    assertNull(r.get(3));
    assertEquals(StrictMath.log(103.0 / 102.0), r.get(4));
  }

  @Test
  void equalStampsAreInSequence() {
    List<Double> r = run(2, new long[] {10, 10, 10}, new double[] {100, 100, 101});
    assertEquals(0.0, r.get(1));
    assertEquals(StrictMath.log(101.0 / 100.0), r.get(2));
  }

  @Test
  void onlyTheLastLookbackTradesCount() {
    // A trade stamped far ahead (1000) blocks the next ones only while it is among the last 2 trades.
    List<Double> r = run(2, new long[] {10, 1000, 20, 30, 40}, new double[] {100, 100, 100, 100, 104});
    assertEquals(0.0, r.get(1));
    assertNull(r.get(2)); // 1000 is one of the 2 before it
    assertNull(r.get(3)); // 1000 and 20 are the 2 before it
    assertEquals(StrictMath.log(104.0 / 100.0), r.get(4)); // 20 and 30: in sequence again, against 1000's price
  }

  @Test
  void refusesNullsAndANonPositiveLookback() {
    SequencedLogReturn f = new SequencedLogReturn();
    SequencedLogReturn.Accumulator acc = f.createAccumulator();
    assertThrows(IllegalArgumentException.class, () -> f.accumulate(acc, 1L, 1.0, 0));
    assertThrows(IllegalArgumentException.class, () -> f.accumulate(acc, null, 1.0, 1));
  }

  @Test
  void runsAsAnUnboundedOverPerTicker() throws Exception {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.executeSql(
        "CREATE TEMPORARY SYSTEM FUNCTION sequenced_log_return AS '"
            + SequencedLogReturn.class.getName()
            + "' LANGUAGE JAVA");
    env.executeSql(
        "CREATE TEMPORARY VIEW t AS SELECT *, PROCTIME() AS proc_time FROM (VALUES"
            + " ('A', 10, CAST(100 AS DOUBLE)), ('B', 10, CAST(50 AS DOUBLE)), ('A', 20, CAST(110 AS DOUBLE)),"
            + " ('A', 5, CAST(90 AS DOUBLE)), ('B', 30, CAST(55 AS DOUBLE)), ('A', 30, CAST(121 AS DOUBLE))"
            + ") AS v(ticker, ts, price)");
    // Per ticker, in the order the OVER emitted them (one key's rows keep their order).
    Map<String, List<String>> byTicker = new TreeMap<>();
    try (CloseableIterator<Row> it =
        env.executeSql(
                "SELECT ticker, ts, sequenced_log_return(CAST(ts AS BIGINT), price, 10) OVER (PARTITION BY ticker"
                    + " ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t")
            .collect()) {
      it.forEachRemaining(
          row ->
              byTicker
                  .computeIfAbsent((String) row.getField(0), k -> new ArrayList<>())
                  .add(row.getField(1) + "=" + row.getField(2)));
    }
    assertEquals(
        Map.of(
            "A", List.of("10=0.0", "20=" + StrictMath.log(110.0 / 100.0), "5=null", "30=" + StrictMath.log(121.0 / 110.0)),
            "B", List.of("10=0.0", "30=" + StrictMath.log(55.0 / 50.0))),
        byTicker);
  }
}
