package dev.tradestream.flink.functions;

import org.apache.flink.table.functions.AggregateFunction;

/**
 * {@code anomaly_score(trade_timestamp, price, volume, lookback, threshold, warmup_trades, fast_ms, slow_ms,
 * rearm_ms)}, over a ticker's trades in arrival order (an unbounded {@code OVER (PARTITION BY ticker ORDER BY
 * proc_time)}): the trade's anomaly score when the trade raises an alert, NULL otherwise. Only in-sequence trades
 * (by {@code lookback}, {@link InSequence}: the same rule and the same log returns as {@link SequencedLogReturn})
 * are scored and learnt from; an out-of-sequence one gets NULL and leaves the model as it was.
 *
 * <p>The model, per ticker, learnt online from every trade and needing no training: how far the recent market (an
 * exponentially decayed mean over {@code fast_ms} of event time) stands from the usual one (over {@code slow_ms}), in
 * two features, each measured in its own typical deviation (a decayed mean square over {@code SCALE_PER_SLOW *
 * slow_ms}):
 *
 * <ul>
 *   <li>the log price (the running sum of the log returns), either way: a crash, a run-up;
 *   <li>the log volume, upward: prints larger than usual (a sweep; the run-ups and crashes trade large too).
 * </ul>
 *
 * The score is the root of the sum of both squared deviations (the volume's counted only upward). Decay is by event
 * time, so a ticker's horizons are seconds whatever its trade rate; a burst of trades in one millisecond counts each
 * trade. The recent means are shrunk toward the usual ones by {@code SHRINK_TRADES} trades' weight, so a quiet
 * ticker's single print cannot make a recent mean on its own. The deviation scale learns from squared deviations
 * clipped at {@code CLIP} times itself, so the events it should find do not teach it that they are usual.
 *
 * <p>Alerting: a ticker is ready once it has seen more than {@code warmup_trades} trades and {@code slow_ms} of
 * event time (the usual mean has its horizon; until then the scale learns fast and unclipped). A ready ticker whose
 * score exceeds {@code threshold} alerts, then stays silent until its score has stayed under half the threshold for
 * {@code rearm_ms} of event time: one alert per event, not one per trade of it.
 *
 * <p>Arithmetic is StrictMath (fdlibm, bit for bit JavaScript's Math.exp, Math.log and Math.sqrt), in a fixed
 * order, so the TypeScript reference (test/pipeline-expected.ts) gets the same scores.
 */
public final class AnomalyScore extends AggregateFunction<Double, AnomalyScore.Model> {
  /** Weight, in trades, of the usual mean inside the recent one. */
  static final double SHRINK_TRADES = 3;

  /** A squared deviation teaches the scale at most CLIP^2 times the scale. */
  static final double CLIP = 3;

  /** The scale's horizon, in slow horizons. */
  static final double SCALE_PER_SLOW = 5;

  /** Least learning rate of the scale per trade while warming up (about the last thousand trades). */
  static final double WARMUP_LEARNING = 1e-3;

  /** A ticker's model: the decayed sums, the scales, the alert state, and the current row's result. */
  public static final class Model {
    public InSequence sequence = new InSequence();

    public long trades;
    public long firstTime;
    public long lastTime;

    /** The running sum of the log returns: the log price, up to the first trade's. */
    public double logPrice;

    public double fastWeight;
    public double fastLogPrice;
    public double fastLogVolume;
    public double slowWeight;
    public double slowLogPrice;
    public double slowLogVolume;

    /** Decayed mean squares of the two deviations. */
    public double priceScale;

    public double volumeScale;

    /** Silent since an alert, until rearmed. */
    public boolean silent;

    /** Event time of the last trade scoring at least half the threshold. */
    public long lastLoud;

    /** The value for the row just accumulated. */
    public Double result;
  }

  @Override
  public Model createAccumulator() {
    return new Model();
  }

  public void accumulate(
      Model m,
      Long timestamp,
      Double price,
      Double volume,
      Integer lookback,
      Double threshold,
      Integer warmupTrades,
      Integer fastMs,
      Integer slowMs,
      Integer rearmMs) {
    if (timestamp == null
        || price == null
        || volume == null
        || lookback == null
        || threshold == null
        || warmupTrades == null
        || fastMs == null
        || slowMs == null
        || rearmMs == null
        || !(volume > 0)
        || lookback < 1
        || fastMs < 1
        || slowMs < 1) {
      throw new IllegalArgumentException(
          "anomaly_score(trade_timestamp, price, volume, lookback, threshold, warmup_trades, fast_ms, slow_ms,"
              + " rearm_ms) needs non-null values, a positive volume, lookback and horizons");
    }
    double logReturn = m.sequence.logReturn(timestamp, price, lookback);
    if (Double.isNaN(logReturn)) {
      m.result = null;
      return;
    }
    update(m, timestamp, logReturn, volume, threshold, warmupTrades, fastMs, slowMs, rearmMs);
  }

  /** The model's step for one in-sequence trade and its log return. */
  static void update(
      Model m,
      long timestamp,
      double logReturn,
      double volume,
      double threshold,
      int warmupTrades,
      int fastMs,
      int slowMs,
      int rearmMs) {
    long t = timestamp;
    if (m.trades == 0) {
      m.firstTime = t;
      m.lastTime = t;
    }
    double dt = Math.max(0, t - m.lastTime);
    m.lastTime = Math.max(m.lastTime, t);
    m.trades++;
    double fast = StrictMath.exp(-dt / fastMs);
    double slow = StrictMath.exp(-dt / slowMs);
    m.logPrice += logReturn;
    double logVolume = StrictMath.log(volume);
    m.fastWeight = m.fastWeight * fast + 1;
    m.fastLogPrice = m.fastLogPrice * fast + m.logPrice;
    m.fastLogVolume = m.fastLogVolume * fast + logVolume;
    m.slowWeight = m.slowWeight * slow + 1;
    m.slowLogPrice = m.slowLogPrice * slow + m.logPrice;
    m.slowLogVolume = m.slowLogVolume * slow + logVolume;

    double usualPrice = m.slowLogPrice / m.slowWeight;
    double usualVolume = m.slowLogVolume / m.slowWeight;
    double priceDeviation =
        (m.fastLogPrice + SHRINK_TRADES * usualPrice) / (m.fastWeight + SHRINK_TRADES) - usualPrice;
    double volumeDeviation =
        (m.fastLogVolume + SHRINK_TRADES * usualVolume) / (m.fastWeight + SHRINK_TRADES) - usualVolume;
    double priceZ = m.priceScale > 0 ? Math.abs(priceDeviation) / StrictMath.sqrt(m.priceScale) : 0;
    double volumeZ = m.volumeScale > 0 ? Math.max(0, volumeDeviation) / StrictMath.sqrt(m.volumeScale) : 0;
    double score = StrictMath.sqrt(priceZ * priceZ + volumeZ * volumeZ);

    boolean ready = m.trades > warmupTrades && t - m.firstTime >= slowMs;
    m.result = null;
    if (ready) {
      if (!m.silent && score > threshold) {
        m.result = score;
        m.silent = true;
      }
      if (score >= threshold / 2) m.lastLoud = t;
      else if (m.silent && t - m.lastLoud >= rearmMs) m.silent = false;
    }

    double learning = 1 - StrictMath.exp(-dt / (SCALE_PER_SLOW * slowMs));
    if (!ready) learning = Math.max(learning, WARMUP_LEARNING);
    m.priceScale += learning * (taught(priceDeviation, m.priceScale, ready) - m.priceScale);
    m.volumeScale += learning * (taught(volumeDeviation, m.volumeScale, ready) - m.volumeScale);
  }

  /** What a deviation teaches its scale: its square, clipped once the ticker is ready. */
  private static double taught(double deviation, double scale, boolean ready) {
    double square = deviation * deviation;
    return ready && scale > 0 ? Math.min(square, CLIP * CLIP * scale) : square;
  }

  @Override
  public Double getValue(Model m) {
    return m.result;
  }
}
