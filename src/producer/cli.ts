/**
 * The producer command line: flags override the environment (PRODUCER_RATE, KAFKA_BROKERS, ...), and both go
 * through the config module's validation, so a bad value ends the command with one line naming the field.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, type ConfigOverrides, loadConfig, type PipelineConfig } from '../config/index.ts';

/** Flag -> config path. Flag values are strings; the config schema coerces and validates them. */
const FLAGS: [flag: string, path: [string, string] | [string], help: string][] = [
  ['--brokers <list>', ['kafka', 'brokers'], 'Kafka bootstrap servers, comma-separated (KAFKA_BROKERS)'],
  ['--topics <n>', ['kafka', 'tradeTopicCount'], 'number of trade topics (KAFKA_TRADE_TOPIC_COUNT)'],
  ['--profile <name>', ['profile'], 'trade profile: narrow or wide (PROFILE)'],
  ['--rate <n>', ['producer', 'rate'], 'target trades per second, 0 for unlimited (PRODUCER_RATE)'],
  ['--mode <mode>', ['producer', 'mode'], 'live (wall clock) or replay (synthetic clock) (PRODUCER_MODE)'],
  ['--replay-start <iso>', ['producer', 'replayStart'], 'replay clock start (PRODUCER_REPLAY_START)'],
  ['--replay-tps <n>', ['producer', 'replayTradesPerSecond'], 'replay trades per synthetic second'],
  [
    '--max-trades <n>',
    ['producer', 'maxTrades'],
    'stop after this many trades, 0 for never (PRODUCER_MAX_TRADES)',
  ],
  ['--instance-id <id>', ['producer', 'instanceId'], 'trade id prefix (default: pod name + incarnation)'],
  ['--batch-size <n>', ['producer', 'batchSize'], 'records per partition per request (PRODUCER_BATCH_SIZE)'],
  ['--batch-bytes <n>', ['producer', 'batchBytes'], 'bytes per partition per request (PRODUCER_BATCH_BYTES)'],
  ['--linger-ms <n>', ['producer', 'lingerMs'], 'longest wait for a batch to fill (PRODUCER_LINGER_MS)'],
  ['--max-in-flight <n>', ['producer', 'maxInFlight'], 'requests in flight (PRODUCER_MAX_IN_FLIGHT)'],
  ['--compression <codec>', ['producer', 'compression'], 'none, gzip, lz4 or zstd (PRODUCER_COMPRESSION)'],
  ['--acks <acks>', ['producer', 'acks'], 'all, leader or none (PRODUCER_ACKS)'],
  ['--idempotent <bool>', ['producer', 'idempotent'], 'idempotent producer (PRODUCER_IDEMPOTENT)'],
  ['--metrics-port <n>', ['producer', 'metricsPort'], 'port of /metrics, /healthz, /readyz; 0 for any'],
  ['--seed <n>', ['market', 'seed'], 'market simulator seed (MARKET_SEED)'],
  ['--tickers <n>', ['market', 'tickerCount'], 'number of tickers (MARKET_TICKER_COUNT)'],
  ['--log-level <level>', ['logLevel'], 'log level (LOG_LEVEL)'],
];

const optionKey = (flag: string) =>
  (flag.split(' ')[0] as string).replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Parses producer flags (argv without node and script) over the environment into a validated config. */
export function parseProducerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): PipelineConfig {
  const program = new Command('produce')
    .description('Simulated stock trades into Kafka (tradestream producer)')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .allowExcessArguments(false);
  for (const [flag, , help] of FLAGS) program.option(flag, help);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.helpDisplayed') throw error;
    if (error instanceof CommanderError) throw new ConfigError(error.message.replace(/^error: /, ''));
    throw error;
  }
  const options = program.opts<Record<string, string>>();
  const overrides: Record<string, unknown> = {};
  for (const [flag, path] of FLAGS) {
    const value = options[optionKey(flag)];
    if (value === undefined) continue;
    if (path.length === 1) overrides[path[0]] = value;
    else {
      const section = (overrides[path[0]] ?? {}) as Record<string, unknown>;
      section[path[1]] = value;
      overrides[path[0]] = section;
    }
  }
  return loadConfig({ env, overrides: overrides as ConfigOverrides });
}

/** The help text, for `--help`. */
export function isHelp(error: unknown): boolean {
  return error instanceof CommanderError && error.code === 'commander.helpDisplayed';
}
