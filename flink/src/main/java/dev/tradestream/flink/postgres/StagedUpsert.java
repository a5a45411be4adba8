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
 * One connection to PostgreSQL and the statements of a flush: rows are COPYed into a per-connection TEMP
 * staging table (LIKE the target, plus the row's ordinal in the batch), then upserted into the target from
 * there, the last row of a key winning, as a replay after a restore must rewrite the same rows. Transactions
 * are explicit: the caller commits.
 */
final class StagedUpsert implements AutoCloseable {
  static final String STAGE = "tradestream_stage";
  static final String ORDINAL = "tradestream_ordinal";

  private final Connection connection;
  private final CopyManager copy;
  private final String copySql;
  private final PreparedStatement upsert;

  private StagedUpsert(Connection connection, PostgresSinkSettings settings) throws SQLException {
    this.connection = connection;
    this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
    this.copySql = copySql(settings);
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

  /** Rows [from, to) of the batch into the target, within the current transaction. */
  void load(CopyBatch batch, int from, int to) throws SQLException {
    CopyIn in = copy.copyIn(copySql);
    try {
      in.writeToCopy(batch.array(), batch.offset(from), batch.offset(to) - batch.offset(from));
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
    upsert.setInt(1, from);
    upsert.setInt(2, to);
    upsert.executeUpdate();
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
