package dev.tradestream.flink.postgres;

import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of one sink subtask: encodes each row at once into the current {@link CopyBatch} and flushes it
 * when it holds max-rows rows, when the flush interval passes, and whenever Flink calls {@link #flush} (before
 * every checkpoint barrier, and at the end of input). So every row before a checkpoint is committed in
 * PostgreSQL before the checkpoint completes: at least once, and idempotent by the upsert.
 *
 * <p>All methods, the timer's included, run in the task's thread (Flink's mailbox): no locking.
 */
final class PostgresSinkWriter implements SinkWriter<RowData> {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresSinkWriter.class);

  private final PostgresSinkSettings settings;
  private final CopyEncoder encoder;
  private final CopyBatch batch = new CopyBatch();
  private final BatchWriter writer;
  private final DeadLetters deadLetters;
  private final ProcessingTimeService timers;
  private final Counter rowsWritten;
  private final Counter rowsRefused;
  private final Counter flushes;
  private final Counter upsertedFlushes;
  private volatile long lastFlushMs;
  private ScheduledFuture<?> timer;
  /** Set once a flush threw: the task is failing, and nothing may be written any more. */
  private boolean failed;

  PostgresSinkWriter(
      PostgresSinkSettings settings, DeadLetters deadLetters, ProcessingTimeService timers, MetricGroup metrics) {
    this.settings = settings;
    this.encoder = new CopyEncoder(settings.types());
    this.writer = new BatchWriter(settings, deadLetters);
    this.deadLetters = deadLetters;
    this.timers = timers;
    this.rowsWritten = metrics.counter("rowsWritten");
    this.rowsRefused = metrics.counter("rowsRefused");
    this.flushes = metrics.counter("flushes");
    this.upsertedFlushes = metrics.counter("upsertedFlushes");
    metrics.gauge("lastFlushDurationMs", () -> lastFlushMs);
  }

  @Override
  public void write(RowData row, Context context) throws IOException, InterruptedException {
    checkUsable();
    encoder.encode(row, batch);
    if (batch.size() >= settings.maxRows()) {
      flushBatch();
    } else if (timer == null && settings.flushIntervalMs() > 0) {
      timer = timers.registerTimer(timers.getCurrentProcessingTime() + settings.flushIntervalMs(), t -> onTimer());
    }
  }

  @Override
  public void flush(boolean endOfInput) throws IOException, InterruptedException {
    checkUsable();
    flushBatch();
  }

  private void onTimer() throws IOException, InterruptedException {
    timer = null;
    if (!failed) {
      flushBatch();
    }
  }

  private void flushBatch() throws IOException, InterruptedException {
    if (batch.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    BatchWriter.Result result;
    try {
      result = writer.write(batch);
    } catch (IOException | InterruptedException | RuntimeException e) {
      failed = true;
      throw e;
    }
    batch.clear();
    rowsWritten.inc(result.written());
    rowsRefused.inc(result.refused());
    flushes.inc();
    if (result.upserted()) {
      upsertedFlushes.inc();
    }
    lastFlushMs = (System.nanoTime() - started) / 1_000_000;
  }

  private void checkUsable() {
    if (failed) {
      throw new IllegalStateException("the writer of " + settings.table() + " failed; the task must restart");
    }
  }

  /**
   * Releases the connection and the dead-letter producer; never flushes (rows not yet flushed belong to no
   * completed checkpoint and come again after the restore) and never throws, so a failover stays a failover.
   */
  @Override
  public void close() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    try {
      writer.close();
    } catch (RuntimeException e) {
      LOG.warn("closing the PostgreSQL connection of {} failed: {}", settings.table(), e.toString());
    }
    try {
      deadLetters.close();
    } catch (RuntimeException e) {
      LOG.warn("closing the dead letters of {} failed: {}", settings.table(), e.toString());
    }
    if (!batch.isEmpty()) {
      LOG.info("{}: {} unflushed rows dropped at close (replayed from the last checkpoint)",
          settings.table(), batch.size());
      batch.clear();
    }
  }
}
