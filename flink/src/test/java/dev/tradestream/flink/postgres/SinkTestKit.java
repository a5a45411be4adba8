package dev.tradestream.flink.postgres;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.table.types.logical.LogicalType;

/** What the writer's tests hand it instead of Flink's and Kafka's: timers, metrics, dead letters they can read. */
final class SinkTestKit {
  private SinkTestKit() {}

  static PostgresSinkSettings settings(
      String url, String table, List<String> columns, List<LogicalType> types, List<Integer> key, int maxRows,
      long maxRetryMs) {
    return new PostgresSinkSettings(url, "postgres", null, table, columns, types, key, maxRows, 0, maxRetryMs,
        "test-dlq", Map.of("bootstrap.servers", "127.0.0.1:9"));
  }

  /** Dead letters kept in memory; {@code failFlush} makes flush() fail, as a Kafka outage would. */
  static final class CollectedDeadLetters implements DeadLetters {
    final List<RefusedRow> stored = new ArrayList<>();
    private final List<RefusedRow> sent = new ArrayList<>();
    boolean failFlush;
    boolean closed;

    @Override
    public void send(RefusedRow row) {
      sent.add(row);
    }

    @Override
    public void flush() throws DeadLetterException {
      if (failFlush) {
        sent.clear();
        throw new DeadLetterException("test: the dead-letter topic is down", null);
      }
      stored.addAll(sent);
      sent.clear();
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Counters and gauges by name. */
  static final class Metrics extends UnregisteredMetricsGroup {
    final Map<String, Counter> counters = new HashMap<>();
    final Map<String, Gauge<?>> gauges = new HashMap<>();

    @Override
    public Counter counter(String name) {
      return counters.computeIfAbsent(name, n -> new SimpleCounter());
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
      gauges.put(name, gauge);
      return gauge;
    }

    long count(String name) {
      return counters.get(name).getCount();
    }
  }

  /** Processing time that moves only when the test says so; due timers fire in the caller's thread. */
  static final class ManualTimers implements ProcessingTimeService {
    private long now = 1_000;
    private final List<Timer> timers = new ArrayList<>();

    @Override
    public long getCurrentProcessingTime() {
      return now;
    }

    @Override
    public ScheduledFuture<?> registerTimer(long time, ProcessingTimeCallback callback) {
      Timer timer = new Timer(time, callback);
      timers.add(timer);
      return timer;
    }

    int pending() {
      return (int) timers.stream().filter(t -> !t.cancelled).count();
    }

    void advance(long ms) throws Exception {
      now += ms;
      for (Timer t : List.copyOf(timers)) {
        if (!t.cancelled && t.time <= now) {
          timers.remove(t);
          t.callback.onProcessingTime(now);
        }
      }
    }

    private static final class Timer implements ScheduledFuture<Object> {
      final long time;
      final ProcessingTimeCallback callback;
      boolean cancelled;

      Timer(long time, ProcessingTimeCallback callback) {
        this.time = time;
        this.callback = callback;
      }

      @Override
      public long getDelay(TimeUnit unit) {
        return 0;
      }

      @Override
      public int compareTo(Delayed o) {
        return 0;
      }

      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        cancelled = true;
        return true;
      }

      @Override
      public boolean isCancelled() {
        return cancelled;
      }

      @Override
      public boolean isDone() {
        return cancelled;
      }

      @Override
      public Object get() {
        return null;
      }

      @Override
      public Object get(long timeout, TimeUnit unit) {
        return null;
      }
    }
  }
}
