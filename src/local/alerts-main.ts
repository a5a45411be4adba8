/**
 * `npm run alerts`: the alerts topic of the stack `npm start` runs, from the beginning, one JSON alert per line
 * on stdout; follows new alerts until Ctrl-C, or with --no-follow stops after those already there.
 * `npm run dead-letters` (--dead-letters) prints the dead-letter topic instead: each refused record's reason and
 * origin (its Kafka headers) with its original bytes.
 */
import { Command } from 'commander';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { VIEWER_GROUP_PREFIX } from '../pipeline/kafka-access.ts';
import { deadLetterLine, pidAlive, runAccessCommand, runningState, stackKafkaConnection } from './access.ts';

const flags = new Command('alerts')
  .description('print the alerts topic of the local stack from the beginning, one JSON line per record')
  .option('--no-follow', 'stop after the records already in the topic')
  .option('--dead-letters', 'read the dead-letter topic: reason, origin and payload of each refused record')
  .option('--topic <name>', 'read this topic instead')
  .parse()
  .opts<{ follow: boolean; deadLetters?: boolean; topic?: string }>();

// A reader that went away (`| head`) ends the command quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

await runAccessCommand(async () => {
  const state = runningState();
  const { kafka: stackKafka, pid: stackPid } = state;
  const topic = flags.topic ?? (flags.deadLetters ? stackKafka.deadLetterTopic : stackKafka.alertsTopic);
  const format = flags.deadLetters
    ? deadLetterLine
    : (m: KafkaMessage) => m.value?.toString('utf8') ?? 'null';
  const kafka = new Kafka({
    clientId: 'tradestream-alerts',
    ...stackKafkaConnection(state),
    logLevel: logLevel.NOTHING,
  });

  // Where each partition ends now: --no-follow prints up to there and stops.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const endOf = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const unread = new Set(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => p.partition));

  let printed = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  process.once('SIGINT', () => done());
  process.once('SIGTERM', () => done());
  // Following a stack that stopped would only retry a broker that is gone.
  setInterval(() => {
    if (pidAlive(stackPid)) return;
    process.stderr.write('the local stack stopped\n');
    done();
  }, 2_000);
  if (!flags.follow && unread.size === 0) done();

  // A throwaway group that commits nothing: every run reads from the beginning.
  const consumer = kafka.consumer({ groupId: `${VIEWER_GROUP_PREFIX}${process.pid}-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    // Batches report their last offset even when it is a transaction marker, so the end is always seen.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (flags.follow || !unread.has(payload.partition)) return;
      if (Number(payload.lastOffset) + 1 >= (endOf.get(payload.partition) ?? 0))
        unread.delete(payload.partition);
      if (unread.size === 0) done();
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (!flags.follow && Number(message.offset) >= (endOf.get(partition) ?? 0)) return;
        process.stdout.write(`${format(message)}\n`);
        printed++;
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  process.stderr.write(`${printed} records from topic ${topic}\n`);
  return 0;
});
