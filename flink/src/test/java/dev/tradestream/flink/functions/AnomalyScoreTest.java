package dev.tradestream.flink.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/** The anomaly model's behaviour on made-up tickers, directly and through a real (bounded, streaming) Flink OVER. */
class AnomalyScoreTest {
  private static final double THRESHOLD = 8;
  private static final int WARMUP = 200;
  private static final int FAST_MS = 2_000;
  private static final int SLOW_MS = 60_000;
  private static final int REARM_MS = 20_000;

  /** A ticker trading every 50 ms: its log returns and volumes. */
  private record Tape(double[] returns, double[] volumes) {
    long time(int i) {
      return 1_000_000L + 50L * i;
    }
  }

  /**
   * An ordinary tape: a slow random walk (0.2 bp a trade) under a bid-ask bounce of 5 bp, log-normal sizes
   * around 200 shares, from a seeded generator (the same tape on every run).
   */
  private static Tape ordinary(int trades) {
    Random random = new Random(42);
    double[] returns = new double[trades];
    double[] volumes = new double[trades];
    double walk = 0;
    double last = 0;
    for (int i = 0; i < trades; i++) {
      walk += 2e-5 * random.nextGaussian();
      double logPrice = walk + (random.nextBoolean() ? 2.5e-4 : -2.5e-4);
      returns[i] = i == 0 ? 0 : logPrice - last;
      last = logPrice;
      volumes[i] = Math.max(1, Math.round(200 * Math.exp(0.8 * random.nextGaussian())));
    }
    return new Tape(returns, volumes);
  }

  /** The score of each trade, null where it does not alert. */
  private static List<Double> run(Tape tape) {
    AnomalyScore f = new AnomalyScore();
    AnomalyScore.Model m = f.createAccumulator();
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < tape.returns.length; i++) {
      AnomalyScore.update(
          m, tape.time(i), tape.returns[i], tape.volumes[i], THRESHOLD, WARMUP, FAST_MS, SLOW_MS, REARM_MS);
      out.add(f.getValue(m));
    }
    return out;
  }

  private static List<Integer> alertsOf(List<Double> scores) {
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < scores.size(); i++) if (scores.get(i) != null) at.add(i);
    return at;
  }

  @Test
  void anOrdinaryTapeNeverAlerts() {
    assertEquals(List.of(), alertsOf(run(ordinary(20_000))));
  }

  @Test
  void aBurstOfLargePrintsAlertsOnceAndAgainOnlyAfterTheRearmTime() {
    Tape tape = ordinary(20_000);
    // Two bursts of 3 s, prints 30 times their size: the second 60 s after the first, past the rearm time.
    for (int start : new int[] {6_000, 7_200}) for (int i = start; i < start + 60; i++) tape.volumes[i] *= 30;
    List<Integer> at = alertsOf(run(tape));
    assertEquals(2, at.size(), "one alert per burst: " + at);
    assertTrue(at.get(0) >= 6_000 && at.get(0) < 6_060, "the first inside the first burst: " + at);
    assertTrue(at.get(1) >= 7_200 && at.get(1) < 7_260, "the second inside the second: " + at);
  }

  @Test
  void aCrashAndARallyAlertEitherWay() {
    for (double sign : new double[] {-1, 1}) {
      Tape tape = ordinary(12_000);
      // 5% in 5 s (100 trades), at ordinary sizes: the price feature alone.
      for (int i = 8_000; i < 8_100; i++) tape.returns[i] += sign * 0.05 / 100;
      List<Double> scores = run(tape);
      List<Integer> at = alertsOf(scores);
      assertEquals(1, at.size(), "one alert for a move of " + sign * 5 + "%: " + at);
      assertTrue(at.get(0) >= 8_000 && at.get(0) < 8_100 + FAST_MS / 50, "during the move: " + at);
      assertTrue(scores.get(at.get(0)) > THRESHOLD);
    }
  }

  @Test
  void smallPrintsAreNoAnomaly() {
    // Volume counts upward only: a run of prints a thirtieth of their size is no alert.
    Tape tape = ordinary(12_000);
    for (int i = 8_000; i < 8_060; i++) tape.volumes[i] /= 30;
    assertEquals(List.of(), alertsOf(run(tape)));
  }

  @Test
  void staysSilentUntilWarmedUpInTradesAndInEventTime() {
    // A burst at trade 300: past the 200 warm-up trades, but only 15 s of event time (the usual needs 60 s).
    Tape tape = ordinary(2_000);
    for (int i = 300; i < 360; i++) tape.volumes[i] *= 30;
    assertEquals(List.of(), alertsOf(run(tape)));
    // The same burst at trade 1,500 (75 s in) alerts.
    Tape later = ordinary(2_000);
    for (int i = 1_500; i < 1_560; i++) later.volumes[i] *= 30;
    assertEquals(1, alertsOf(run(later)).size());
  }

  @Test
  void tradesInOneMillisecondAndOutOfOrderStampsCountWithoutTime() {
    // Repeated stamps and a stamp before the last one decay nothing (dt = 0) and keep the model finite.
    AnomalyScore f = new AnomalyScore();
    AnomalyScore.Model m = f.createAccumulator();
    long[] stamps = {1_000, 1_000, 1_000, 900, 2_000};
    for (long t : stamps) AnomalyScore.update(m, t, 1e-3, 100.0, THRESHOLD, 0, FAST_MS, SLOW_MS, REARM_MS);
    assertEquals(2_000, m.lastTime);
    assertEquals(5, m.trades);
    assertTrue(Double.isFinite(m.priceScale) && Double.isFinite(m.volumeScale));
  }

  @Test
  void refusesNullsNonPositiveVolumesLookbacksAndHorizons() {
    AnomalyScore f = new AnomalyScore();
    AnomalyScore.Model m = f.createAccumulator();
    assertThrows(
        IllegalArgumentException.class, () -> f.accumulate(m, 1L, 1.0, 0.0, 10, 8.0, 0, 1, 1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> f.accumulate(m, 1L, null, 1.0, 10, 8.0, 0, 1, 1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> f.accumulate(m, 1L, 1.0, 1.0, 0, 8.0, 0, 1, 1, 0));
    assertThrows(
        IllegalArgumentException.class, () -> f.accumulate(m, 1L, 1.0, 1.0, 10, 8.0, 0, 0, 1, 0));
  }

  @Test
  void scoresTheInSequenceTradesOnTheirLogReturnsAndSkipsTheRest() {
    // Through the SQL entry point (prices) and through the model's step (the in-sequence rule's returns), the
    // same model: an out-of-sequence trade (stamped before one of the last 3) gets NULL and teaches nothing.
    AnomalyScore f = new AnomalyScore();
    AnomalyScore.Model byPrice = f.createAccumulator();
    AnomalyScore.Model byReturn = f.createAccumulator();
    InSequence sequence = new InSequence();
    long[] stamps = {1_000, 1_050, 1_100, 1_020, 1_150, 1_200};
    double[] prices = {100, 100.5, 99.8, 90, 100.1, 100.2};
    for (int i = 0; i < stamps.length; i++) {
      f.accumulate(byPrice, stamps[i], prices[i], 100.0, 3, THRESHOLD, 0, FAST_MS, SLOW_MS, REARM_MS);
      double r = sequence.logReturn(stamps[i], prices[i], 3);
      if (i == 3) {
        assertTrue(Double.isNaN(r));
        assertNull(f.getValue(byPrice));
        continue;
      }
      AnomalyScore.update(byReturn, stamps[i], r, 100.0, THRESHOLD, 0, FAST_MS, SLOW_MS, REARM_MS);
    }
    assertEquals(5, byPrice.trades);
    assertEquals(byReturn.logPrice, byPrice.logPrice);
    assertEquals(byReturn.priceScale, byPrice.priceScale);
    assertEquals(byReturn.volumeScale, byPrice.volumeScale);
  }

  @Test
  void runsAsAnUnboundedOverPerTicker() throws Exception {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.executeSql(
        "CREATE TEMPORARY SYSTEM FUNCTION anomaly_score AS '"
            + AnomalyScore.class.getName()
            + "' LANGUAGE JAVA");
    // Ticker A: 400 ordinary trades over 40 s, then 10 prints 50 times larger; ticker B: ordinary throughout.
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < 410; i++) {
      long volume = (i >= 400 ? 50 : 1) * (100 + 100 * (i % 3));
      for (String ticker : new String[] {"A", "B"}) {
        if (values.length() > 0) values.append(", ");
        long v = ticker.equals("A") ? volume : 100 + 100 * (i % 3);
        values.append(String.format("('%s', %d, %s, %d)", ticker, 100L * i, (i % 2 == 0 ? "100" : "100.01"), v));
      }
    }
    env.executeSql(
        "CREATE TEMPORARY VIEW t AS SELECT *, PROCTIME() AS proc_time FROM (VALUES "
            + values
            + ") AS v(ticker, ts, price, volume)");
    List<String> alerts = new ArrayList<>();
    try (CloseableIterator<Row> it =
        env.executeSql(
                "SELECT ticker, ts, score FROM (SELECT ticker, ts, anomaly_score(CAST(ts AS BIGINT), CAST(price"
                    + " AS DOUBLE), CAST(volume AS DOUBLE), 10, CAST(8 AS DOUBLE), 100, 1000, 20000, 5000) OVER"
                    + " (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
                    + " AS score FROM t) WHERE score IS NOT NULL")
            .collect()) {
      it.forEachRemaining(
          row -> {
            assertNotNull(row.getField(2));
            alerts.add(row.getField(0) + "@" + row.getField(1));
          });
    }
    assertEquals(1, alerts.size(), "one alert, on A's large prints: " + alerts);
    assertTrue(alerts.get(0).startsWith("A@40"), alerts.get(0));
  }
}
