package dev.tradestream.flink.postgres;

import dev.tradestream.flink.postgres.DeadLetters.DeadLetterException;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one batch durably, in one transaction, or throws: as new rows if it can (one COPY into the target), else
 * upserted ({@link StagedUpsert}). A lost server is waited for (reconnect, same batch,
 * capped exponential backoff) up to the retry bound; rows PostgreSQL refuses are isolated by bisection (a range
 * that fails is rolled back to its savepoint and retried as two halves; a single row that fails is refused),
 * sent to the dead letters, and the rest is committed once the dead letters are stored. Any other error throws.
 */
final class BatchWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  /**
   * What one batch came to: rows committed (duplicate keys included), rows refused, and whether it took the upsert
   * way (a key already stored or twice in the batch, or a refused row) rather than a plain COPY.
   */
  record Result(int written, int refused, boolean upserted) {}

  private final PostgresSinkSettings settings;
  private final DeadLetters deadLetters;
  private StagedUpsert connection;

  BatchWriter(PostgresSinkSettings settings, DeadLetters deadLetters) {
    this.settings = settings;
    this.deadLetters = deadLetters;
  }

  Result write(CopyBatch batch) throws IOException, InterruptedException {
    long giveUpAt = 0;
    long backoff = FIRST_BACKOFF_MS;
    for (int attempt = 1; ; attempt++) {
      try {
        return attempt(batch);
      } catch (DeadLetterException e) {
        disconnect();
        throw new IOException(
            "refused rows of " + settings.table() + " could not be dead-lettered to topic "
                + settings.deadLetterTopic() + "; the batch is not committed",
            e);
      } catch (SQLException | RuntimeException e) {
        disconnect();
        if (FailureKind.of(e) != FailureKind.CONNECTION) {
          throw new IOException("PostgreSQL failed writing " + settings.table() + ": " + firstLine(e), e);
        }
        long now = System.currentTimeMillis();
        if (giveUpAt == 0) {
          giveUpAt = now + settings.maxRetryMs();
        }
        if (now + backoff > giveUpAt) {
          throw new IOException(
              "PostgreSQL unreachable for " + settings.table() + " after " + attempt + " attempts over "
                  + settings.maxRetryMs() / 1000 + " s (the job restarts from its last checkpoint): "
                  + firstLine(e),
              e);
        }
        LOG.warn(
            "PostgreSQL unreachable for {} (attempt {}), retrying the batch of {} rows in {} ms: {}",
            settings.table(), attempt, batch.size(), backoff, firstLine(e));
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private Result attempt(CopyBatch batch) throws SQLException, DeadLetterException {
    if (connection == null) {
      connection = StagedUpsert.open(settings);
    }
    if (connection.insertNew(batch)) {
      connection.commit();
      return new Result(batch.size(), 0, false);
    }
    List<RefusedRow> refused = new ArrayList<>();
    load(batch, 0, batch.size(), refused);
    if (!refused.isEmpty()) {
      for (RefusedRow row : refused) {
        deadLetters.send(row);
      }
      deadLetters.flush();
      LOG.warn(
          "PostgreSQL refused {} of {} rows for {}; sent to dead-letter topic {} (first: {})",
          refused.size(), batch.size(), settings.table(), settings.deadLetterTopic(), refused.get(0).reason());
    }
    connection.commit();
    return new Result(batch.size() - refused.size(), refused.size(), true);
  }

  /** Rows [from, to): all of them, or, when PostgreSQL refuses some, all but those (collected in refused). */
  private void load(CopyBatch batch, int from, int to, List<RefusedRow> refused) throws SQLException {
    Savepoint savepoint = connection.savepoint();
    try {
      connection.load(batch, from, to);
      connection.release(savepoint);
    } catch (SQLException e) {
      if (FailureKind.of(e) != FailureKind.REFUSED) {
        throw e;
      }
      connection.rollbackTo(savepoint);
      if (to - from == 1) {
        refused.add(new RefusedRow(
            settings.table(), reason(e), settings.columns(), batch.fields(from, settings.columns().size())));
        return;
      }
      int middle = (from + to) >>> 1;
      load(batch, from, middle, refused);
      load(batch, middle, to, refused);
    }
  }

  /** {@code refused by PostgreSQL: <SQLSTATE> <message>}, the server's own message (first line). */
  static String reason(SQLException e) {
    String message = e.getMessage();
    if (e instanceof PSQLException p) {
      ServerErrorMessage server = p.getServerErrorMessage();
      if (server != null && server.getMessage() != null) {
        message = server.getMessage();
      }
    }
    return "refused by PostgreSQL: " + e.getSQLState() + " " + firstLineOf(message);
  }

  private static String firstLine(Throwable e) {
    return e.getClass().getSimpleName() + ": " + firstLineOf(e.getMessage());
  }

  private static String firstLineOf(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private void disconnect() {
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }

  @Override
  public void close() {
    disconnect();
  }
}
