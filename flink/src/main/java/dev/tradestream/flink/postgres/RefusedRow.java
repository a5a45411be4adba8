package dev.tradestream.flink.postgres;

import java.util.Arrays;
import java.util.List;

/**
 * A row PostgreSQL refused, for the dead-letter topic.
 *
 * @param table the sink table
 * @param reason {@code refused by PostgreSQL: <SQLSTATE> <message>} (the server's message, first line)
 * @param columns the column names
 * @param values each column's value as PostgreSQL text (as sent in the COPY), null for SQL NULL
 */
record RefusedRow(String table, String reason, List<String> columns, String[] values) {

  @Override
  public boolean equals(Object o) {
    return o instanceof RefusedRow r
        && table.equals(r.table)
        && reason.equals(r.reason)
        && columns.equals(r.columns)
        && Arrays.equals(values, r.values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * table.hashCode() + reason.hashCode()) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "RefusedRow[" + table + ", " + reason + ", " + Arrays.toString(values) + "]";
  }
}
