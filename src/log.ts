/** The one logger: structured JSON lines on stdout (pino). LOG_LEVEL sets the level before config loads. */
import { pino } from 'pino';

export const logger = pino({
  base: { service: process.env.SERVICE_NAME ?? 'tradestream' },
  level: process.env.LOG_LEVEL ?? 'info',
  timestamp: pino.stdTimeFunctions.isoTime,
  // Connection strings and passwords never reach a log line, whatever a caller passes in.
  redact: {
    paths: ['password', '*.password', 'env.PG_PASSWORD', 'jdbcUrl', '*.jdbcUrl'],
    censor: '[redacted]',
  },
});

export type Logger = typeof logger;
