/**
 * The trade producer: market simulator -> JSON -> per-partition batches -> kafkajs, with rate control,
 * backpressure, metrics and a drain on stop. `TradeProducer.start(config)` is the programmatic API; main.ts
 * is the command.
 */
import type { Server } from 'node:http';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
// ProducerConfig, not PipelineConfig: the type checker keeps this process within the sections its pods get.
import { kafkaConnection, type ProducerConfig, tradeTopics } from '../config/index.ts';
import { type Logger, logger as rootLogger } from '../log.ts';
import { MarketSimulator } from '../market/index.ts';
import { Batcher, type SentBatch } from './batcher.ts';
import { compressionType } from './codecs.ts';
import { encoderFor } from './encode.ts';
import { installFastProduceEncoder } from './fast-produce.ts';
import { producerIdentity } from './identity.ts';
import { ProducerMetrics, serveOperations, serverPort } from './metrics.ts';
import { TokenBucket } from './rate.ts';
import { Router } from './routing.ts';

export interface ProducerOptions {
  /** Where POD_NAME / HOSTNAME and KAFKA_PASSWORD come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Serve /metrics, /healthz, /readyz on producer.metricsPort (default true). */
  serveHttp?: boolean;
}

export interface ProducerSummary {
  instanceId: string;
  /** Why generation ended. */
  reason: 'max-trades' | 'stopped';
  /** Trades generated: trade ids `${instanceId}-0` .. `${instanceId}-${generated - 1}`. */
  generated: number;
  /** Trades acknowledged by Kafka: equal to generated once drained. */
  sent: number;
  bytes: number;
  requests: number;
  errors: number;
  seconds: number;
  recordsPerSecond: number;
}

/** Trades generated per turn of the event loop: large enough to amortise, small enough to keep I/O flowing. */
const CHUNK = 512;
const ACKS = { all: -1, leader: 1, none: 0 } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: { level: number; log: { message: string } & Record<string, unknown> }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      // kafkajs reports every retried request as an ERROR; the producer retries and counts them, so warn.
      if (level <= logLevel.WARN) log.warn({ kafkajs: fields }, `kafkajs: ${message}`);
      else log.debug({ kafkajs: fields }, `kafkajs: ${message}`);
    };
}

export class TradeProducer {
  readonly instanceId: string;
  readonly metrics = new ProducerMetrics();
  /** Resolves once generation has ended (max trades or stop) and every generated trade is in Kafka. */
  readonly done: Promise<ProducerSummary>;
  private resolveDone!: (s: ProducerSummary) => void;
  private rejectDone!: (e: unknown) => void;
  private readonly log: Logger;
  private readonly simulator: MarketSimulator;
  private readonly kafka: Kafka;
  private producers: Producer[] = [];
  private batcher?: Batcher;
  private server?: Server;
  private stopping = false;
  private connected = false;
  private draining = false;
  private nextSequence = 0;
  private sent = 0;
  private bytes = 0;
  private requests = 0;
  private errors = 0;
  private started = performance.now();
  private rateTimer?: NodeJS.Timeout;
  private wakeOnStop: () => void = () => {};
  /** Resolves when stop() is called: cuts short the waits between connection attempts. */
  private readonly stopped = new Promise<void>((resolve) => {
    this.wakeOnStop = resolve;
  });

  private constructor(
    readonly config: ProducerConfig,
    private readonly options: ProducerOptions,
  ) {
    this.instanceId = producerIdentity(config, options.env);
    this.log = (options.logger ?? rootLogger).child({ instance: this.instanceId });
    this.simulator = new MarketSimulator(config);
    this.kafka = new Kafka({
      clientId: `${config.kafka.clientId}-${this.instanceId}`,
      ...kafkaConnection(config.kafka, options.env),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.log),
      // Connecting: few retries inside kafkajs, untilConnected() keeps trying (and says so). Sending: see below.
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  /** Starts serving probes, connects (retrying while Kafka is unreachable) and starts producing. */
  static async start(config: ProducerConfig, options: ProducerOptions = {}): Promise<TradeProducer> {
    const producer = new TradeProducer(config, options);
    await producer.startHttp();
    producer.run().then(
      (summary) => producer.resolveDone(summary),
      (error) => producer.rejectDone(error),
    );
    return producer;
  }

  /** The port serving /metrics (useful when producer.metricsPort is 0). */
  get metricsPort(): number | undefined {
    return this.server ? serverPort(this.server) : undefined;
  }

  /** Trades generated so far. */
  get generated(): number {
    return this.nextSequence;
  }

  get ready(): boolean {
    return this.connected && !this.draining;
  }

  /** Stops generating, drains everything generated into Kafka, disconnects; resolves with the summary. */
  async stop(): Promise<ProducerSummary> {
    this.stopping = true;
    this.wakeOnStop();
    return this.done;
  }

  private async startHttp(): Promise<void> {
    if (this.options.serveHttp === false) return;
    this.server = await serveOperations(
      this.metrics,
      { healthy: () => true, ready: () => this.ready },
      this.config.producer.metricsPort,
    );
    this.log.info({ port: serverPort(this.server) }, 'serving /metrics, /healthz and /readyz');
  }

  /** Runs `what` until it succeeds, backing off while Kafka is unreachable; undefined if stopped meanwhile. */
  private async untilConnected<T>(what: string, attempt: () => Promise<T>): Promise<T | undefined> {
    for (let n = 1; !this.stopping; n++) {
      try {
        return await attempt();
      } catch (error) {
        const retryInMs = Math.min(10_000, 500 * 2 ** Math.min(n - 1, 5));
        this.metrics.errors.inc({ kind: 'connect' });
        this.log.warn(
          { brokers: this.config.kafka.brokers, attempt: n, retryInMs, error: (error as Error).message },
          `${what}: Kafka not ready (unreachable, or topics missing); retrying in ${retryInMs / 1000}s`,
        );
        await Promise.race([sleep(retryInMs), this.stopped]);
      }
    }
    return undefined;
  }

  /** Partition counts of the trade topics, from the broker (topics are created by the platform, not here). */
  private async topicPartitions(): Promise<Map<string, number> | undefined> {
    const topics = tradeTopics(this.config);
    return this.untilConnected('trade topics', async () => {
      const admin: Admin = this.kafka.admin();
      await admin.connect();
      try {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
        const counts = new Map(metadata.map((t) => [t.name, t.partitions.length]));
        const missing = topics.filter((topic) => !counts.get(topic));
        if (missing.length > 0) throw new Error(`topics without partitions: ${missing.join(', ')}`);
        // In config order: routing hashes a ticker over this list, as the SQL and the charts do.
        return new Map(topics.map((topic) => [topic, counts.get(topic) as number]));
      } finally {
        await admin.disconnect();
      }
    });
  }

  private async run(): Promise<ProducerSummary> {
    const p = this.config.producer;
    if (!installFastProduceEncoder())
      this.log.warn('kafkajs produced before this producer: using its own encoder');
    const compression = compressionType(p.compression);
    const partitions = await this.topicPartitions();
    if (partitions) {
      const router = new Router(
        this.simulator.tickers.map((t) => t.symbol),
        partitions,
      );
      const laneCount = Math.max(1, Math.min(p.maxInFlight, router.slots.length));
      for (let lane = 0; lane < laneCount && !this.stopping; lane++) {
        const producer = this.kafka.producer({
          idempotent: p.idempotent,
          allowAutoTopicCreation: false,
          // Records carry their partition (Router: the Java client's murmur2 of the ticker); kafkajs'
          // default partitioner would scan the partition list for every record before looking at it.
          createPartitioner:
            () =>
            ({ message }) =>
              message.partition as number,
          // Idempotent: retry for ever (kafkajs keeps the sequence numbers, so a retry cannot duplicate).
          retry: p.idempotent ? { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 } : undefined,
        });
        const connected = await this.untilConnected('producer', async () => {
          await producer.connect();
          return true;
        });
        if (!connected) break;
        this.producers.push(producer);
      }
      if (!this.stopping) {
        this.log.info(
          {
            brokers: this.config.kafka.brokers,
            topics: partitions.size,
            partitions: router.slots.length,
            lanes: this.producers.length,
            profile: this.config.profile,
            mode: p.mode,
            rate: p.rate,
            compression: p.compression,
            acks: p.acks,
            idempotent: p.idempotent,
          },
          'connected to Kafka; producing',
        );
        this.connected = true;
        await this.produce(router, compression);
      }
    }
    this.draining = true;
    await this.batcher?.close();
    clearInterval(this.rateTimer);
    await Promise.all(this.producers.map((producer) => producer.disconnect()));
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    const seconds = (performance.now() - this.started) / 1_000;
    const summary: ProducerSummary = {
      instanceId: this.instanceId,
      reason: p.maxTrades > 0 && this.nextSequence >= p.maxTrades ? 'max-trades' : 'stopped',
      generated: this.nextSequence,
      sent: this.sent,
      bytes: this.bytes,
      requests: this.requests,
      errors: this.errors,
      seconds,
      recordsPerSecond: this.sent / seconds,
    };
    return summary;
  }

  private onSent = (batch: SentBatch): void => {
    this.sent += batch.records;
    this.bytes += batch.bytes;
    this.requests++;
    for (const { topic, messages } of batch.topics) this.metrics.records.inc({ topic }, messages.length);
    for (const [topic, bytes] of batch.bytesPerTopic) this.metrics.bytes.inc({ topic }, bytes);
    this.metrics.sendSeconds.observe(batch.millis / 1_000);
    this.metrics.batchRecords.observe(batch.records);
  };

  private async produce(router: Router, compression: ReturnType<typeof compressionType>): Promise<void> {
    const p = this.config.producer;
    const acks = ACKS[p.acks];
    const batcher = new Batcher({
      slots: router.slots,
      lanes: this.producers.length,
      batchSize: p.batchSize,
      batchBytes: p.batchBytes,
      lingerMs: p.lingerMs,
      // Enough for every lane to fill a request while the others are in flight; bounded whatever Kafka does.
      maxBuffered: p.batchSize * this.producers.length * 2,
      send: async (lane, topicMessages) => {
        await (this.producers[lane] as Producer).sendBatch({
          topicMessages,
          acks,
          compression,
          timeout: 30_000,
        });
      },
      onSent: this.onSent,
      onError: (error, lane, attempt) => {
        this.errors++;
        this.metrics.errors.inc({ kind: 'send' });
        this.log.warn(
          { lane, attempt, error: (error as Error).message },
          'produce request failed; retrying it',
        );
      },
    });
    this.batcher = batcher;
    this.started = performance.now();
    this.startRateGauge();

    const encode = encoderFor<{ ticker: string }>(this.config.profile);
    const slotOfSymbol = new Map(
      this.simulator.tickers.map((t, i) => [t.symbol, router.slotOfTicker[i] as number]),
    );
    const partitionOfSlot = Int32Array.from(router.slots, (s) => s.partition);
    const bucket = new TokenBucket(p.rate, Math.max(CHUNK, p.rate / 10));
    const { profile } = this.config;
    const id = this.instanceId;
    const max = p.maxTrades > 0 ? p.maxTrades : Number.MAX_SAFE_INTEGER;
    const sim = this.simulator;

    while (!this.stopping && this.nextSequence < max) {
      const room = batcher.room();
      if (room === 0) {
        await batcher.waitForRoom();
        continue;
      }
      const want = Math.min(CHUNK, room, max - this.nextSequence);
      const count = bucket.take(want);
      if (count === 0) {
        await sleep(Math.max(1, bucket.waitMs(Math.min(want, 64))));
        continue;
      }
      const now = Date.now();
      for (let k = 0; k < count; k++) {
        const trade = sim.trade(profile, id, this.nextSequence, now);
        const slot = slotOfSymbol.get(trade.ticker) as number;
        batcher.append(slot, trade.ticker, encode(trade), partitionOfSlot[slot] as number);
        this.nextSequence++;
      }
      this.metrics.generated.inc(count);
      // Let responses and timers run between chunks.
      await new Promise(setImmediate);
    }
  }

  private startRateGauge(): void {
    const window: number[] = [this.sent];
    this.metrics.targetRate.set(this.config.producer.rate);
    let ticks = 0;
    this.rateTimer = setInterval(() => {
      window.push(this.sent);
      if (window.length > 6) window.shift();
      const rate = (this.sent - (window[0] as number)) / (window.length - 1);
      this.metrics.rate.set(rate);
      this.metrics.buffered.set(this.batcher?.buffered ?? 0);
      this.metrics.inFlight.set(this.batcher?.inFlight ?? 0);
      // Progress for whoever watches the logs: every 10 seconds.
      if (++ticks % 10 === 0) {
        this.log.info(
          {
            generated: this.nextSequence,
            sent: this.sent,
            rate: Math.round(rate),
            buffered: this.batcher?.buffered,
          },
          `progress: ${this.sent} trades sent, ${Math.round(rate)}/s`,
        );
      }
    }, 1_000);
    this.rateTimer.unref();
  }
}
