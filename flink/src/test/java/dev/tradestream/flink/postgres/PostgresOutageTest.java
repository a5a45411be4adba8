package dev.tradestream.flink.postgres;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tradestream.flink.postgres.SinkTestKit.CollectedDeadLetters;
import dev.tradestream.flink.postgres.SinkTestKit.ManualTimers;
import dev.tradestream.flink.postgres.SinkTestKit.Metrics;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PostgreSQL SIGKILLed under a writing sink: a short outage is waited out, a long one fails the writer cleanly. */
class PostgresOutageTest {
  private static TestPostgres db;

  @BeforeAll
  static void start() throws Exception {
    db = TestPostgres.create();
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  private static PostgresSinkSettings settings(String table, long maxRetryMs) {
    return SinkTestKit.settings(db.url(), table, List.of("id", "seq"),
        List.of(VarCharType.STRING_TYPE, new BigIntType()), List.of(0), 100, maxRetryMs);
  }

  private static GenericRowData row(long n) {
    return GenericRowData.of(StringData.fromString("row-" + n), n);
  }

  private static long[] countAndSum(String table) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*), coalesce(sum(seq), 0) FROM " + table)) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  @Test
  void aKilledServerIsWaitedForAndNothingIsLost() throws Exception {
    db.execute("CREATE TABLE survived (id text PRIMARY KEY, seq bigint NOT NULL)");
    Metrics metrics = new Metrics();
    int rows = 5_000;
    try (PostgresSinkWriter writer =
        new PostgresSinkWriter(settings("survived", 60_000), new CollectedDeadLetters(), new ManualTimers(), metrics)) {
      for (int n = 0; n < 2_000; n++) {
        writer.write(row(n), null);
      }
      assertEquals(2_000, countAndSum("survived")[0]);
      db.kill();
      // Back after 3 s, while the writer is blocked retrying its next batch.
      CompletableFuture<Void> back = CompletableFuture.runAsync(() -> {
        try {
          Thread.sleep(3_000);
          db.start();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      long started = System.nanoTime();
      for (int n = 2_000; n < rows; n++) {
        writer.write(row(n), null);
      }
      writer.flush(true);
      back.join();
      assertTrue(System.nanoTime() - started > 2_000_000_000L, "the writer waited for the server");
    }
    assertEquals(rows, countAndSum("survived")[0]);
    assertEquals((long) rows * (rows - 1) / 2, countAndSum("survived")[1]);
    assertEquals(rows, metrics.count("rowsWritten"));
  }

  @Test
  void anOutageLongerThanTheBoundFailsTheWriterAndCloseDoesNotThrow() throws Exception {
    db.execute("CREATE TABLE abandoned (id text PRIMARY KEY, seq bigint NOT NULL)");
    PostgresSinkWriter writer = new PostgresSinkWriter(
        settings("abandoned", 2_000), new CollectedDeadLetters(), new ManualTimers(), new Metrics());
    for (int n = 0; n < 100; n++) {
      writer.write(row(n), null);
    }
    assertEquals(100, countAndSum("abandoned")[0]);
    db.kill();
    try {
      for (int n = 100; n < 150; n++) {
        writer.write(row(n), null);
      }
      long started = System.nanoTime();
      IOException e = assertThrows(IOException.class, () -> writer.flush(false));
      long seconds = (System.nanoTime() - started) / 1_000_000_000L;
      assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
      assertTrue(seconds >= 1 && seconds < 10, "gave up after the 2 s bound, not at once nor never: " + seconds);
    } finally {
      db.start();
    }
    // The failover closes the writer: no exception, and no flush of the rows the failed batch held.
    assertDoesNotThrow(writer::close);
    assertEquals(100, countAndSum("abandoned")[0]);
    assertThrows(IllegalStateException.class, () -> writer.flush(false));
  }
}
