package dev.tradestream.flink.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/** The sum of the n values before each row, directly and through a real (bounded, streaming) Flink OVER. */
class TrailingSumTest {
  private static List<Long> run(int n, long... values) {
    TrailingSum f = new TrailingSum();
    TrailingSum.Accumulator acc = f.createAccumulator();
    List<Long> out = new ArrayList<>();
    for (long v : values) {
      f.accumulate(acc, v, n);
      out.add(f.getValue(acc));
    }
    return out;
  }

  @Test
  void nullUntilNRowsCameBeforeThenTheirSum() {
    assertEquals(Arrays.asList(null, null, null, 6L, 9L, 12L), run(3, 1, 2, 3, 4, 5, 6));
  }

  @Test
  void equalsAWindowSumMinusTheCurrentRowOnARandomTape() {
    Random random = new Random(7);
    long[] values = new long[5_000];
    for (int i = 0; i < values.length; i++) values[i] = 1 + random.nextInt(1_000_000);
    List<Long> sums = run(100, values);
    for (int i = 0; i < values.length; i++) {
      Long expected = null;
      if (i >= 100) {
        long s = 0;
        for (int j = i - 100; j < i; j++) s += values[j];
        expected = s;
      }
      assertEquals(expected, sums.get(i), "row " + i);
    }
  }

  @Test
  void refusesNullsAndANonPositiveN() {
    TrailingSum f = new TrailingSum();
    TrailingSum.Accumulator acc = f.createAccumulator();
    assertThrows(IllegalArgumentException.class, () -> f.accumulate(acc, 1L, 0));
    assertThrows(IllegalArgumentException.class, () -> f.accumulate(acc, null, 1));
  }

  @Test
  void runsAsAnUnboundedOverPerTicker() throws Exception {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.executeSql(
        "CREATE TEMPORARY SYSTEM FUNCTION trailing_sum AS '" + TrailingSum.class.getName() + "' LANGUAGE JAVA");
    env.executeSql(
        "CREATE TEMPORARY VIEW t AS SELECT *, PROCTIME() AS proc_time FROM (VALUES"
            + " ('A', 1, CAST(10 AS BIGINT)), ('B', 1, CAST(1 AS BIGINT)), ('A', 2, CAST(20 AS BIGINT)),"
            + " ('B', 2, CAST(2 AS BIGINT)), ('A', 3, CAST(30 AS BIGINT)), ('A', 4, CAST(40 AS BIGINT))) AS v(ticker,"
            + " n, volume)");
    List<String> out = new ArrayList<>();
    try (CloseableIterator<Row> it =
        env.executeSql(
                "SELECT ticker, n, trailing_sum(volume, 2) OVER (PARTITION BY ticker ORDER BY proc_time ROWS"
                    + " BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t")
            .collect()) {
      it.forEachRemaining(row -> out.add(row.getField(0) + "" + row.getField(1) + "=" + row.getField(2)));
    }
    out.sort(null);
    assertEquals(List.of("A1=null", "A2=null", "A3=30", "A4=50", "B1=null", "B2=null"), out);
  }
}
