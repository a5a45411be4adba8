/**
 * `npm run produce`: simulated trades into Kafka until stopped (SIGTERM/SIGINT drain and flush first) or until
 * --max-trades. Config from the environment and flags (see cli.ts); a bad value exits 2 naming it.
 * The last log line is the summary, with the count of trades generated (all of them are in Kafka).
 */
import { runMain } from '../config/index.ts';
import { logger } from '../log.ts';
import { isHelp, parseProducerArgs } from './cli.ts';
import { TradeProducer } from './producer.ts';

await runMain(async () => {
  let config: ReturnType<typeof parseProducerArgs>;
  try {
    config = parseProducerArgs(process.argv.slice(2));
  } catch (error) {
    if (isHelp(error)) process.exit(0);
    throw error;
  }
  logger.level = config.logLevel;
  const producer = await TradeProducer.start(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info(
        { signal, generated: producer.generated },
        'stopping: draining every generated trade into Kafka',
      );
      void producer.stop();
    });
  }
  const s = await producer.done;
  logger.info(
    s,
    `summary: ${s.generated} trades generated, ${s.sent} sent to Kafka in ${s.seconds.toFixed(1)}s ` +
      `(${Math.round(s.recordsPerSecond)}/s, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.errors} retried requests); ${s.reason}`,
  );
  // pino writes synchronously to stdout; exit now rather than wait for kafkajs' idle timers.
  process.exit(s.sent === s.generated ? 0 : 1);
});
