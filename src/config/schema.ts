/**
 * The pipeline config: one zod object with every knob and its default. The producer, the SQL generator,
 * the charts and the local stack each read their part of the same validated object.
 */
import { z } from 'zod';
import { PROFILE_NAMES } from '../schema/index.ts';
import { kubernetesSchema } from './kubernetes.ts';

// Env values arrive as strings; the same schema also takes real numbers and booleans from code.
const int = () => z.coerce.number().int();
const num = () => z.coerce.number();
const bool = () => z.union([z.boolean(), z.stringbool()]);
/** A comma-separated list (from env) or an array, of at least one `item`. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(item).min(1),
  );
const list = () => listOf(z.string().min(1));
const topicName = () => z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'letters, digits, ".", "_" or "-"');

export const configSchema = z
  .object({
    profile: z.enum(PROFILE_NAMES).default('narrow'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

    market: z
      .object({
        seed: int().default(42),
        tickerCount: int().min(1).max(5000).default(500),
        /** Zipf exponent of ticker activity: higher means a few hot tickers dominate more. */
        tickerSkew: num().min(0).max(3).default(1.1),
        /** Fraction of trades that are block trades from the heavy tail (the high-volume alerts). */
        blockTradeRate: num().min(0).max(1).default(0.002),
        outOfOrderFraction: num().min(0).max(1).default(0.01),
        /** Out-of-order trades are stamped up to this far in the past (within the watermark bound). */
        outOfOrderMaxMs: int().min(0).default(2_000),
        lateFraction: num().min(0).max(1).default(0.0005),
        /** Late trades are stamped this far in the past: beyond the watermark, so their window has closed. */
        lateByMs: int().min(0).default(60_000),
        /**
         * Labelled market events (src/market/scenarios.ts): expected scenarios per eligible ticker per hour of
         * event time, at most one per ticker per 10-minute slot (so at most 6). 0, the default, leaves the
         * trade stream exactly as without scenarios.
         */
        scenarioRate: num().min(0).max(6).default(0),
        /** Scenarios happen on the this many most active tickers only, whose short bars have trades enough to show them. */
        scenarioTickers: int().min(1).max(5000).default(10),
        /** The kinds of scenario drawn, equally likely. */
        scenarioKinds: listOf(z.enum(['momentum', 'flash_crash', 'volume_burst'])).default([
          'momentum',
          'flash_crash',
          'volume_burst',
        ]),
      })
      .prefault({}),

    producer: z
      .object({
        /** Target trades per second per producer instance; 0 means as fast as Kafka takes them. */
        rate: num().min(0).default(1_000),
        /** live: wall-clock timestamps; replay: a synthetic clock from replayStart, as fast as allowed. */
        mode: z.enum(['live', 'replay']).default('live'),
        replayStart: z.coerce.date().default(new Date('2026-01-05T14:30:00Z')),
        /** Event-time density of replay mode: trades per second of synthetic time. */
        replayTradesPerSecond: num().positive().default(1_000),
        /** Stop after this many trades (0: run until stopped). */
        maxTrades: int().min(0).default(0),
        /** Unique per instance; defaults to POD_NAME or HOSTNAME. */
        instanceId: z
          .string()
          .regex(/^[a-zA-Z0-9._-]{1,40}$/, 'letters, digits, ".", "_" or "-", at most 40')
          .optional(),
        batchSize: int().min(1).max(100_000).default(2_000),
        /** Bytes per partition per request (before compression): below the broker's max.message.bytes (1 MiB). */
        batchBytes: int().min(1_024).max(100_000_000).default(900_000),
        lingerMs: int().min(0).max(10_000).default(10),
        maxInFlight: int().min(1).max(64).default(8),
        compression: z.enum(['none', 'gzip', 'lz4', 'zstd']).default('none'),
        acks: z.enum(['all', 'leader', 'none']).default('all'),
        idempotent: bool().default(true),
        metricsPort: int().min(0).max(65_535).default(9464),
      })
      .prefault({}),

    kafka: z
      .object({
        brokers: list().default(['127.0.0.1:9092']),
        /**
         * How clients reach the brokers: plaintext, or SCRAM-SHA-512 over TLS verified against caFile (the
         * password comes from KAFKA_PASSWORD only, never from config). Kubernetes always uses sasl_ssl.
         */
        securityProtocol: z.enum(['plaintext', 'sasl_ssl']).default('plaintext'),
        /** PEM file of the CA that signed the brokers' certificates (sasl_ssl). */
        caFile: z.string().min(1).optional(),
        /** The SCRAM user (sasl_ssl). */
        username: z
          .string()
          .regex(/^[a-zA-Z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"')
          .optional(),
        clientId: z.string().default('tradestream'),
        tradeTopicCount: int().min(1).max(1_000).default(8),
        tradeTopicPrefix: topicName().default('trades'),
        partitionsPerTopic: int().min(1).max(1_000).default(6),
        replicationFactor: int().min(1).max(5).default(1),
        alertsTopic: topicName().default('alerts'),
        deadLetterTopic: topicName().default('trades-dlq'),
      })
      .prefault({}),

    alerts: z
      .object({
        /** The seed's rule: a single trade above this many shares. */
        volumeThreshold: int().min(1).default(10_000),
        /** The relative rule: volume at least this many times the ticker's trailing average. */
        relativeFactor: num().min(1).default(20),
        /** How many previous trades of the ticker make the trailing average. */
        trailingTrades: int().min(1).max(10_000).default(100),
        /**
         * The anomaly score (analytics/anomaly-score.ts): how many typical deviations the recent market (the
         * last anomalyFastSeconds) of a ticker may stand from its usual one (the last anomalySlowSeconds) in
         * log price and log volume before it alerts; a ticker scores once it has seen anomalyWarmupTrades
         * trades and anomalySlowSeconds, and alerts again once its score stayed low for anomalyRearmSeconds.
         */
        anomalyThreshold: num().positive().default(8),
        anomalyFastSeconds: num().positive().max(3_600).default(2),
        anomalySlowSeconds: num().positive().max(86_400).default(120),
        anomalyWarmupTrades: int().min(0).max(1_000_000).default(1_000),
        anomalyRearmSeconds: num().min(0).max(86_400).default(20),
      })
      .prefault({}),

    windows: z
      .object({
        vwapSeconds: int().min(1).default(60),
        /** Sliding (HOP) windows: this long, starting every slideSeconds (a whole multiple of it). */
        slidingSeconds: int().min(1).default(300),
        slideSeconds: int().min(1).default(60),
        /** Bound for out-of-order events: the watermark trails the highest event time by this much. */
        watermarkDelayMs: int().min(0).default(5_000),
        /** A source partition silent this long no longer holds the watermark back. */
        idleTimeoutMs: int().min(0).default(10_000),
        /**
         * A trade stamped further than this ahead of its Kafka record's (broker) time is dead-lettered. At most
         * watermarkDelayMs - market.outOfOrderMaxMs, so that an accepted early trade cannot make the ordinary
         * out-of-order trades behind it late (docs/strict-decoding.md).
         */
        maxEventAheadMs: int().min(0).default(1_000),
      })
      .prefault({}),

    /**
     * Pattern detection (analytics/patterns.ts) on short per-ticker bars. A bar counts only with minBarTrades
     * trades or more (a thin bar's VWAP is noise). The trailing high is the highest price of a bar and its
     * lookbackBars predecessors; nearHigh is how close to it a momentum run must start and a V must recover.
     */
    patterns: z
      .object({
        barSeconds: int().min(1).max(3_600).default(5),
        minBarTrades: int().min(1).default(20),
        lookbackBars: int().min(1).max(1_000).default(12),
        nearHigh: num().min(0).max(1).default(0.01),
        /** Momentum: this many bars in a row, each VWAP above the one before by at least momentumStep. */
        momentumBars: int().min(2).max(100).default(5),
        momentumStep: num().min(0).max(1).default(0.0005),
        /** V-shape: bars whose low is crashDrop under the trailing high, back near it within recoveryBars. */
        crashDrop: num().positive().max(1).default(0.035),
        recoveryBars: int().min(0).max(100).default(6),
        /**
         * Volume burst: a bar with burstFactor times the mean volume of the lookbackBars bars before it (without
         * its largest print), whose trades are also burstSizeFactor times larger than theirs (geometric mean
         * size: most prints large, not two blocks in a quiet bar).
         */
        burstFactor: num().min(1).default(6),
        burstSizeFactor: num().min(1).default(2.5),
      })
      .prefault({}),

    /** Each analytic beyond the raw trades, the tumbling VWAP and the volume rules can be switched off. */
    analytics: z
      .object({
        slidingWindows: bool().default(true),
        anomalyScore: bool().default(true),
        patterns: bool().default(true),
      })
      .prefault({}),

    flink: z
      .object({
        parallelism: int().min(1).max(256).default(2),
        checkpointIntervalMs: int().min(100).default(10_000),
        /** Alerts sink guarantee. exactly-once adds up to one checkpoint interval of latency. */
        deliveryGuarantee: z.enum(['at-least-once', 'exactly-once']).default('at-least-once'),
      })
      .prefault({}),

    /** `npm start` on one machine. */
    local: z
      .object({
        /** Loopback port of the live dashboard page (src/local/dashboard/); 0: any free port, printed. */
        dashboardPort: int().min(0).max(65_535).default(0),
      })
      .prefault({}),

    kubernetes: kubernetesSchema,
  })
  .superRefine((c, ctx) => {
    // Here rather than in the producer, so that every command loading the config (npm run synth included)
    // refuses it, with the same one line and exit code 2 as a bad field.
    if (c.producer.idempotent && c.producer.acks !== 'all')
      ctx.addIssue({
        code: 'custom',
        path: ['producer', 'acks'],
        message: 'an idempotent producer needs acks=all (or set producer.idempotent=false)',
      });
    if (c.alerts.anomalyFastSeconds >= c.alerts.anomalySlowSeconds)
      ctx.addIssue({
        code: 'custom',
        path: ['alerts', 'anomalyFastSeconds'],
        message: `must be shorter than alerts.anomalySlowSeconds (${c.alerts.anomalySlowSeconds})`,
      });
    if (c.windows.slidingSeconds % c.windows.slideSeconds !== 0)
      ctx.addIssue({
        code: 'custom',
        path: ['windows', 'slidingSeconds'],
        message: `must be a whole multiple of windows.slideSeconds (${c.windows.slideSeconds})`,
      });
    const room = c.windows.watermarkDelayMs - c.market.outOfOrderMaxMs;
    if (c.windows.maxEventAheadMs > room)
      ctx.addIssue({
        code: 'custom',
        path: ['windows', 'maxEventAheadMs'],
        message: `must be at most windows.watermarkDelayMs - market.outOfOrderMaxMs (${room}), or an early trade makes on-time trades late`,
      });
  });

export type PipelineConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/**
 * The config sections the producer process reads (the market simulator included), so the only ones its pods
 * and the local stack's producer get by environment. `windows` because the schema's cross-field check above
 * reads it with `market`: without it a pod could refuse a config that synth accepted.
 */
export const PRODUCER_SECTIONS = [
  'profile',
  'logLevel',
  'market',
  'producer',
  'kafka',
  'alerts',
  'windows',
] as const satisfies readonly (keyof PipelineConfig)[];
/** What the producer may read: the type checker keeps TradeProducer within PRODUCER_SECTIONS. */
export type ProducerConfig = Pick<PipelineConfig, (typeof PRODUCER_SECTIONS)[number]>;
