package dev.tradestream.flink.postgres;

import java.time.LocalDate;
import java.util.List;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.TimestampType;

/**
 * A Flink row as one line of PostgreSQL's COPY text format, written at once into a {@link CopyBatch}: the job
 * reuses row objects, so nothing may keep the RowData. Each value is written as PostgreSQL's own input text for
 * the column's type; the staging table (LIKE the target) parses it, so a value PostgreSQL refuses is refused
 * there, as itself.
 */
final class CopyEncoder {
  static final String SUPPORTED =
      "CHAR, VARCHAR/STRING, BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, DATE, TIMESTAMP,"
          + " TIMESTAMP_LTZ";

  @FunctionalInterface
  private interface Field {
    void write(RowData row, int pos, CopyBatch out);
  }

  private final Field[] fields;

  CopyEncoder(List<LogicalType> types) {
    fields = types.stream().map(CopyEncoder::field).toArray(Field[]::new);
  }

  static boolean supports(LogicalType type) {
    return fieldOrNull(type) != null;
  }

  void encode(RowData row, CopyBatch out) {
    out.startRow();
    try {
      for (int i = 0; i < fields.length; i++) {
        if (i > 0) {
          out.writeByte('\t');
        }
        if (row.isNullAt(i)) {
          out.writeAscii("\\N");
        } else {
          fields[i].write(row, i, out);
        }
      }
    } catch (RuntimeException e) {
      out.discardRow();
      throw e;
    }
    out.endRow();
  }

  private static Field field(LogicalType type) {
    Field field = fieldOrNull(type);
    if (field == null) {
      throw new IllegalArgumentException("tradestream-postgres cannot write " + type);
    }
    return field;
  }

  private static Field fieldOrNull(LogicalType type) {
    switch (type.getTypeRoot()) {
      case CHAR:
      case VARCHAR:
        return (row, pos, out) -> out.writeText(row.getString(pos).toBytes());
      case BOOLEAN:
        return (row, pos, out) -> out.writeByte(row.getBoolean(pos) ? 't' : 'f');
      case TINYINT:
        return (row, pos, out) -> out.writeLong(row.getByte(pos));
      case SMALLINT:
        return (row, pos, out) -> out.writeLong(row.getShort(pos));
      case INTEGER:
        return (row, pos, out) -> out.writeLong(row.getInt(pos));
      case BIGINT:
        return (row, pos, out) -> out.writeLong(row.getLong(pos));
      case FLOAT:
        // Java's shortest round-trip form; PostgreSQL reads 1.0E10, NaN, Infinity and -Infinity alike.
        return (row, pos, out) -> out.writeAscii(Float.toString(row.getFloat(pos)));
      case DOUBLE:
        return (row, pos, out) -> out.writeAscii(Double.toString(row.getDouble(pos)));
      case DECIMAL: {
        DecimalType d = (DecimalType) type;
        int precision = d.getPrecision();
        int scale = d.getScale();
        return (row, pos, out) ->
            out.writeAscii(row.getDecimal(pos, precision, scale).toBigDecimal().toPlainString());
      }
      case DATE:
        return (row, pos, out) -> {
          LocalDate date = LocalDate.ofEpochDay(row.getInt(pos));
          writeDate(date, out);
          writeEra(date, out);
        };
      case TIMESTAMP_WITHOUT_TIME_ZONE: {
        int precision = ((TimestampType) type).getPrecision();
        return (row, pos, out) -> writeTimestamp(row.getTimestamp(pos, precision), "", out);
      }
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE: {
        // An instant: its UTC wall clock with an explicit +00, whatever the column and the session zone.
        int precision = ((LocalZonedTimestampType) type).getPrecision();
        return (row, pos, out) -> writeTimestamp(row.getTimestamp(pos, precision), "+00", out);
      }
      default:
        return null;
    }
  }

  /**
   * {@code yyyy-mm-dd hh:mm:ss[.fraction]} of the timestamp's wall clock (for TIMESTAMP_LTZ, its UTC wall clock),
   * the fraction without trailing zeros (PostgreSQL keeps microseconds and rounds the rest).
   */
  private static void writeTimestamp(TimestampData ts, String zone, CopyBatch out) {
    long millis = ts.getMillisecond();
    long seconds = Math.floorDiv(millis, 1000);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400);
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
    writeDate(date, out);
    out.writeByte(' ');
    out.writePadded(secondOfDay / 3600, 2);
    out.writeByte(':');
    out.writePadded(secondOfDay / 60 % 60, 2);
    out.writeByte(':');
    out.writePadded(secondOfDay % 60, 2);
    long nanos = Math.floorMod(millis, 1000) * 1_000_000L + ts.getNanoOfMillisecond();
    if (nanos != 0) {
      int digits = 9;
      while (nanos % 10 == 0) {
        nanos /= 10;
        digits--;
      }
      out.writeByte('.');
      out.writePadded(nanos, digits);
    }
    out.writeAscii(zone);
    writeEra(date, out);
  }

  /** ISO year-month-day; years before 1 are written in PostgreSQL's era form (year 0 is 1 BC). */
  private static void writeDate(LocalDate date, CopyBatch out) {
    int year = date.getYear();
    int eraYear = year > 0 ? year : 1 - year;
    if (eraYear > 9999) {
      out.writeLong(eraYear);
    } else {
      out.writePadded(eraYear, 4);
    }
    out.writeByte('-');
    out.writePadded(date.getMonthValue(), 2);
    out.writeByte('-');
    out.writePadded(date.getDayOfMonth(), 2);
  }

  private static void writeEra(LocalDate date, CopyBatch out) {
    if (date.getYear() <= 0) {
      out.writeAscii(" BC");
    }
  }
}
