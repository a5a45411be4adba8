package dev.tradestream.flink.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.VarCharType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The writer against a real PostgreSQL: upserts, flush triggers, refused rows, deployment errors. */
class PostgresSinkWriterTest {
  private static final List<String> COLUMNS = List.of("id", "note", "volume");
  private static final List<LogicalType> TYPES =
      List.of(new VarCharType(false, VarCharType.MAX_LENGTH), VarCharType.STRING_TYPE, new BigIntType());
  private static TestPostgres db;
  private static int tables;

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

  /** A fresh table (id, note, volume) with a CHECK that volume is not 13. */
  private static String table() throws Exception {
    String name = "t" + ++tables;
    db.execute("CREATE TABLE " + name + " (id varchar(20) PRIMARY KEY, note text,"
        + " volume bigint CONSTRAINT volume_not_13 CHECK (volume <> 13))");
    return name;
  }

  private static PostgresSinkSettings settings(String table, int maxRows) {
    return SinkTestKit.settings(db.url(), table, COLUMNS, TYPES, List.of(0), maxRows, 5_000);
  }

  private static RowData row(String id, String note, long volume) {
    return GenericRowData.of(StringData.fromString(id), note == null ? null : StringData.fromString(note), volume);
  }

  private static Map<String, String> stored(String table) throws Exception {
    Map<String, String> rows = new LinkedHashMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, note, volume FROM " + table + " ORDER BY id")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2) + "/" + rs.getLong(3));
      }
    }
    return rows;
  }

  @Test
  void theLastRowOfAKeyWinsWithinABatchAndAcrossBatches() throws Exception {
    String table = table();
    Metrics metrics = new Metrics();
    try (PostgresSinkWriter writer =
        new PostgresSinkWriter(settings(table, 100), new CollectedDeadLetters(), new ManualTimers(), metrics)) {
      writer.write(row("a", "first", 1), null);
      writer.write(row("b", "only", 2), null);
      writer.write(row("a", "second", 3), null);
      writer.write(row("a", "third", 4), null);
      writer.flush(false);
      assertEquals(Map.of("a", "third/4", "b", "only/2"), stored(table));
      writer.write(row("b", "updated", 5), null);
      writer.write(row("c", null, 6), null);
      writer.flush(true);
    }
    assertEquals(Map.of("a", "third/4", "b", "updated/5", "c", "null/6"), stored(table));
    assertEquals(6, metrics.count("rowsWritten"));
    assertEquals(2, metrics.count("flushes"));
    assertEquals(2, metrics.count("upsertedFlushes"), "a key twice in a batch, a key already stored: upserts");
    assertEquals(0, metrics.count("rowsRefused"));
    assertTrue(metrics.gauges.containsKey("lastFlushDurationMs"));
  }

  @Test
  void newRowsTakeOnePlainCopyAndAReplayedBatchRewritesTheSameRows() throws Exception {
    String table = table();
    List<RowData> batch = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      // escapes and nulls too: the rows without their ordinals must be the same rows
      batch.add(row("id-" + i, i % 7 == 0 ? null : "n\t" + i + "\\", i + 100));
    }
    Metrics metrics = new Metrics();
    try (PostgresSinkWriter writer =
        new PostgresSinkWriter(settings(table, 1000), new CollectedDeadLetters(), new ManualTimers(), metrics)) {
      for (RowData r : batch) {
        writer.write(r, null);
      }
      writer.flush(false);
      assertEquals(0, metrics.count("upsertedFlushes"), "new keys, valid rows: one COPY into the table");
      Map<String, String> once = stored(table);
      assertEquals(500, once.size());
      assertEquals("n\t1\\/101", once.get("id-1"));
      assertEquals("null/100", once.get("id-0"));
      // after a restore, the same rows come again
      for (RowData r : batch) {
        writer.write(r, null);
      }
      writer.flush(false);
      assertEquals(1, metrics.count("upsertedFlushes"), "keys already stored: the upsert");
      assertEquals(once, stored(table));
    }
  }

  @Test
  void aTableOfKeyColumnsOnlyIsInsertedOnce() throws Exception {
    db.execute("CREATE TABLE keys_only (id varchar(20), volume bigint, PRIMARY KEY (id, volume))");
    PostgresSinkSettings settings = SinkTestKit.settings(db.url(), "keys_only", List.of("id", "volume"),
        List.of(VarCharType.STRING_TYPE, new BigIntType()), List.of(0, 1), 100, 5_000);
    try (PostgresSinkWriter writer =
        new PostgresSinkWriter(settings, new CollectedDeadLetters(), new ManualTimers(), new Metrics())) {
      for (int round = 0; round < 2; round++) {
        writer.write(GenericRowData.of(StringData.fromString("x"), 1L), null);
        writer.write(GenericRowData.of(StringData.fromString("x"), 1L), null);
        writer.write(GenericRowData.of(StringData.fromString("x"), 2L), null);
        writer.flush(false);
      }
    }
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM keys_only")) {
      rs.next();
      assertEquals(2, rs.getInt(1));
    }
  }

  @Test
  void flushesWhenFullAndWhenTheIntervalPasses() throws Exception {
    String table = table();
    ManualTimers timers = new ManualTimers();
    PostgresSinkSettings base = settings(table, 3);
    PostgresSinkSettings settings = new PostgresSinkSettings(base.url(), base.username(), null, table, COLUMNS, TYPES,
        List.of(0), 3, 500, 5_000, "dlq", Map.of("bootstrap.servers", "127.0.0.1:9"));
    try (PostgresSinkWriter writer = new PostgresSinkWriter(settings, new CollectedDeadLetters(), timers, new Metrics())) {
      for (int i = 0; i < 7; i++) {
        writer.write(row("r" + i, "x", i), null);
      }
      assertEquals(6, stored(table).size(), "two full batches flushed by size");
      assertEquals(1, timers.pending());
      timers.advance(499);
      assertEquals(6, stored(table).size());
      timers.advance(1);
      assertEquals(7, stored(table).size(), "the last row flushed by the interval");
      assertEquals(0, timers.pending());
    }
  }

  @Test
  void refusedRowsGoToTheDeadLettersAndTheRestIsCommitted() throws Exception {
    String table = table();
    CollectedDeadLetters dead = new CollectedDeadLetters();
    Metrics metrics = new Metrics();
    Map<String, String> good = new LinkedHashMap<>();
    try (PostgresSinkWriter writer = new PostgresSinkWriter(settings(table, 10_000), dead, new ManualTimers(), metrics)) {
      for (int i = 0; i < 1000; i++) {
        if (i == 17) {
          writer.write(row("nul", "a\u0000b", 1), null);
        } else if (i == 500 || i == 501 || i == 999) {
          writer.write(row("check-" + i, "tab\tand\\", 13), null);
        } else {
          String id = String.format("g%04d", i);
          writer.write(row(id, "ok " + i, 100 + i), null);
          good.put(id, "ok " + i + "/" + (100 + i));
        }
      }
      // a key refused once and written fine later in the same batch: the good one is stored
      writer.write(row("nul", "fine now", 2), null);
      good.put("nul", "fine now/2");
      writer.flush(false);
    }
    Map<String, String> want = new java.util.TreeMap<>(good);
    assertEquals(want, new java.util.TreeMap<>(stored(table)));
    assertEquals(4, dead.stored.size(), () -> dead.stored.toString());
    RefusedRow nul = dead.stored.get(0);
    assertEquals(table, nul.table());
    assertEquals(COLUMNS, nul.columns());
    assertArrayEquals(new String[] {"nul", "a\u0000b", "1"}, nul.values());
    assertEquals("refused by PostgreSQL: 22021 invalid byte sequence for encoding \"UTF8\": 0x00", nul.reason());
    for (int i = 1; i < 4; i++) {
      RefusedRow check = dead.stored.get(i);
      assertEquals("refused by PostgreSQL: 23514 new row for relation \"" + table
          + "\" violates check constraint \"volume_not_13\"", check.reason());
      assertArrayEquals(new String[] {"check-" + List.of(500, 501, 999).get(i - 1), "tab\tand\\", "13"},
          check.values());
    }
    assertEquals(4, metrics.count("rowsRefused"));
    assertEquals(997, metrics.count("rowsWritten"));
  }

  @Test
  void aBatchIsNotCommittedUntilItsDeadLettersAreStored() throws Exception {
    String table = table();
    CollectedDeadLetters dead = new CollectedDeadLetters();
    dead.failFlush = true;
    PostgresSinkWriter writer = new PostgresSinkWriter(settings(table, 100), dead, new ManualTimers(), new Metrics());
    writer.write(row("good", "x", 1), null);
    writer.write(row("bad", "x", 13), null);
    IOException e = assertThrows(IOException.class, () -> writer.flush(false));
    assertTrue(e.getMessage().contains("could not be dead-lettered"), e.getMessage());
    assertEquals(Map.of(), stored(table));
    assertThrows(IllegalStateException.class, () -> writer.write(row("more", "x", 1), null));
    writer.close();
    assertTrue(dead.closed);
  }

  @Test
  void aDeploymentErrorFailsAtOnce() throws Exception {
    PostgresSinkWriter writer = new PostgresSinkWriter(
        settings("no_such_table", 100), new CollectedDeadLetters(), new ManualTimers(), new Metrics());
    writer.write(row("a", "x", 1), null);
    long started = System.nanoTime();
    IOException e = assertThrows(IOException.class, () -> writer.flush(false));
    assertTrue(e.getMessage().contains("42P01") || e.getMessage().contains("no_such_table"), e.getMessage());
    assertTrue(System.nanoTime() - started < 3_000_000_000L, "not retried");
    writer.close();
  }
}
