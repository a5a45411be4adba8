package dev.tradestream.flink.postgres;

/**
 * Where refused rows go. The writer sends a batch's refused rows, then {@link #flush()}es, and commits the rest
 * of the batch in PostgreSQL only after the flush returned: a refused row is never lost between the two.
 */
interface DeadLetters extends AutoCloseable {

  void send(RefusedRow row);

  /** Returns once every row sent so far is stored; throws if any was not. */
  void flush() throws DeadLetterException;

  /** Never throws. */
  @Override
  void close();

  /** The dead-letter target did not take a row: the batch is not committed and the writer fails. */
  final class DeadLetterException extends Exception {
    DeadLetterException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
