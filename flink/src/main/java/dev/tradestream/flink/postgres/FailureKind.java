package dev.tradestream.flink.postgres;

import java.io.IOException;
import java.sql.SQLException;

/** What a failed write means for the batch: wait and retry it, isolate the rows PostgreSQL refuses, or fail. */
enum FailureKind {
  /** The server is gone or not ready (connection lost, shutting down, starting up, out of resources). */
  CONNECTION,
  /** PostgreSQL refused a value (SQLSTATE class 22, data exception) or a row (class 23, a constraint). */
  REFUSED,
  /** Anything else (a missing table or column, a permission, a bug): a deployment error, never retried. */
  FATAL;

  /** The SQLSTATE of the outermost SQLException that has one decides; an I/O error underneath is CONNECTION. */
  static FailureKind of(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return ofState(sql.getSQLState());
      }
      if (t instanceof IOException) {
        return CONNECTION;
      }
    }
    return FATAL;
  }

  static FailureKind ofState(String state) {
    if (state.startsWith("08") // connection exception
        || state.startsWith("53") // insufficient resources (too many connections, disk full)
        || state.equals("57P01") // admin shutdown
        || state.equals("57P02") // crash shutdown
        || state.equals("57P03") // cannot connect now (starting up, in recovery)
        // serialization failure, deadlock (two subtasks upserting the same keys): the same batch again succeeds
        || state.startsWith("40")) {
      return CONNECTION;
    }
    if (state.startsWith("22") || state.startsWith("23")) {
      return REFUSED;
    }
    return FATAL;
  }
}
