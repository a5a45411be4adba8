/** The one logger: structured JSON lines on stdout (pino). LOG_LEVEL sets the level before config loads. */
import { pino } from 'pino';

export const logger = pino(
  {
    base: { service: process.env.SERVICE_NAME ?? 'tradestream' },
    level: process.env.LOG_LEVEL ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    // Connection strings and passwords never reach a log line, whatever a caller passes in.
    redact: {
      paths: ['password', '*.password', 'env.PG_PASSWORD', 'jdbcUrl', '*.jdbcUrl'],
      censor: '[redacted]',
    },
  },
  // Synchronous: pino's default stdout destination writes asynchronously, and a process.exit() right after a
  // line (the producer's summary) could then write it before the line still in flight, or not at all.
  pino.destination({ dest: 1, sync: true }),
);

export type Logger = typeof logger;
