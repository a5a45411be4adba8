package dev.tradestream.flink.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * One connection to PostgreSQL and the statements of a flush. A batch is first COPYed straight into the target
 * ({@link #insertNew}): what nearly every batch is, new keys and valid rows, at the cost of a plain COPY. When
 * that fails on a refused row or a key already there (a replay after a restore, a key twice in the batch), the
 * batch goes the upsert way ({@link #load}): rows are COPYed into a per-connection TEMP staging table (LIKE the
 * target, plus the row's ordinal in the batch), then upserted into the target from there, the last row of a key
 * winning, as a replay must rewrite the same rows. Transactions are explicit: the caller commits.
 */
final class StagedUpsert implements AutoCloseable {
  static final String STAGE = "tradestream_stage";
  static final String ORDINAL = "tradestream_ordinal";

  private final Connection connection;
  private final CopyManager copy;
  private final String copySql;
  private final String directCopySql;
  private final PreparedStatement upsert;

  private StagedUpsert(Connection connection, PostgresSinkSettings settings) throws SQLException {
    this.connection = connection;
    this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
    this.copySql = copySql(settings);
    this.directCopySql = directCopySql(settings);
    try (Statement statement = connection.createStatement()) {
      // Timestamps arrive as UTC wall clocks (TIMESTAMP_LTZ with an explicit +00): no session zone applies.
      statement.execute("SET TIME ZONE 'UTC'");
      // A missing target (or no permission) fails here, loudly, as the deployment error it is.
      statement.execute(
          "CREATE TEMP TABLE " + STAGE + " (LIKE " + qualified(settings.table()) + " INCLUDING DEFAULTS, "
              + ORDINAL + " integer) ON COMMIT DELETE ROWS");
    }
    connection.setAutoCommit(false);
    this.upsert = connection.prepareStatement(upsertSql(settings));
  }

  static StagedUpsert open(PostgresSinkSettings settings) throws SQLException {
    Properties properties = new Properties();
    if (settings.username() != null) {
      properties.setProperty("user", settings.username());
    }
    if (settings.password() != null) {
      properties.setProperty("password", settings.password());
    }
    // Defaults only: the URL's own parameters win.
    properties.setProperty("ApplicationName", "tradestream-postgres sink " + settings.table());
    properties.setProperty("connectTimeout", "10");
    properties.setProperty("socketTimeout", "120");
    properties.setProperty("tcpKeepAlive", "true");
    // The driver directly, not DriverManager: it is found whatever class loader loaded this sink.
    Connection connection = new org.postgresql.Driver().connect(settings.url(), properties);
    if (connection == null) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://...)");
    }
    try {
      return new StagedUpsert(connection, settings);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  /**
   * The whole batch COPYed straight into the target, within the current transaction, if PostgreSQL takes every
   * row as a new one: true. False, with nothing of it left in the transaction, when it refuses a row or finds a key
   * already stored or twice in the batch (SQLSTATE classes 22 and 23): the batch must then be {@link #load}ed.
   * Any other error throws.
   */
  boolean insertNew(CopyBatch batch) throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    try {
      CopyBatch.Slice rows = batch.targetRows();
      copy(directCopySql, rows.bytes(), 0, rows.length());
      connection.releaseSavepoint(savepoint);
      return true;
    } catch (SQLException e) {
      if (FailureKind.of(e) != FailureKind.REFUSED) {
        throw e;
      }
      connection.rollback(savepoint);
      return false;
    }
  }

  /** Rows [from, to) of the batch upserted into the target, within the current transaction. */
  void load(CopyBatch batch, int from, int to) throws SQLException {
    copy(copySql, batch.array(), batch.offset(from), batch.offset(to) - batch.offset(from));
    upsert.setInt(1, from);
    upsert.setInt(2, to);
    upsert.executeUpdate();
  }

  private void copy(String sql, byte[] bytes, int offset, int length) throws SQLException {
    CopyIn in = copy.copyIn(sql);
    try {
      in.writeToCopy(bytes, offset, length);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        try {
          in.cancelCopy();
        } catch (SQLException ignored) {
          // the error that got us here is the one to report
        }
      }
    }
  }

  Savepoint savepoint() throws SQLException {
    return connection.setSavepoint();
  }

  void release(Savepoint savepoint) throws SQLException {
    connection.releaseSavepoint(savepoint);
  }

  void rollbackTo(Savepoint savepoint) throws SQLException {
    connection.rollback(savepoint);
  }

  void commit() throws SQLException {
    connection.commit();
  }

  void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException | RuntimeException ignored) {
      // closing a lost connection fails; there is nothing left to release
    }
  }

  /** The COPY of a batch's rows without their ordinals ({@link CopyBatch#targetRows}) into the target. */
  static String directCopySql(PostgresSinkSettings settings) {
    return "COPY " + qualified(settings.table()) + " (" + columnList(settings.columns()) + ") FROM STDIN (FORMAT text)";
  }

  static String copySql(PostgresSinkSettings settings) {
    return "COPY " + STAGE + " (" + columnList(settings.columns()) + ", " + ORDINAL + ") FROM STDIN (FORMAT text)";
  }

  /**
   * The upsert of one range of ordinals. DISTINCT ON keeps the last row of each key (ON CONFLICT cannot touch a
   * row twice in one statement); ORDER BY the key also takes the rows' locks in one order in every session.
   */
  static String upsertSql(PostgresSinkSettings settings) {
    List<String> columns = settings.columns();
    List<String> key = settings.keyColumns();
    String keyList = columnList(key);
    String conflict;
    if (key.size() == columns.size()) {
      conflict = "DO NOTHING";
    } else {
      conflict = "DO UPDATE SET "
          + columns.stream()
              .filter(c -> !key.contains(c))
              .map(c -> quote(c) + " = EXCLUDED." + quote(c))
              .collect(Collectors.joining(", "));
    }
    return "INSERT INTO " + qualified(settings.table()) + " (" + columnList(columns) + ")"
        + " SELECT DISTINCT ON (" + keyList + ") " + columnList(columns) + " FROM " + STAGE
        + " WHERE " + ORDINAL + " >= ? AND " + ORDINAL + " < ?"
        + " ORDER BY " + keyList + ", " + ORDINAL + " DESC"
        + " ON CONFLICT (" + keyList + ") " + conflict;
  }

  private static String columnList(List<String> columns) {
    return columns.stream().map(StagedUpsert::quote).collect(Collectors.joining(", "));
  }

  /** A table name, optionally schema-qualified ({@code schema.table}), each part quoted. */
  static String qualified(String table) {
    int dot = table.indexOf('.');
    return dot < 0 ? quote(table) : quote(table.substring(0, dot)) + "." + quote(table.substring(dot + 1));
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
