/**
 * Loading the pipeline config: defaults, then environment variables, then explicit overrides (flags, tests).
 * An env variable is the field's path in upper snake case: producer.rate <- PRODUCER_RATE,
 * kafka.tradeTopicCount <- KAFKA_TRADE_TOPIC_COUNT, profile <- PROFILE.
 */
import { z } from 'zod';
import {
  type ConfigInput,
  configSchema,
  type PipelineConfig,
  PRODUCER_SECTIONS,
  type ProducerConfig,
} from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const envName = (path: readonly string[]) =>
  path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');

type Shape = Record<string, z.ZodType>;

/** The object shape inside defaults and optionals, or undefined for a leaf. */
function objectShape(schema: z.ZodType): Shape | undefined {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
    s = s.def.innerType as z.ZodType;
  }
  return s instanceof z.ZodObject ? (s.shape as Shape) : undefined;
}

/** Every config field's path and env variable name, for docs and the charts. */
export function configFields(shape: Shape = configSchema.shape, prefix: string[] = []) {
  const fields: { path: string[]; env: string }[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const inner = objectShape(schema);
    const path = [...prefix, key];
    if (inner) fields.push(...configFields(inner, path));
    else fields.push({ path, env: envName(path) });
  }
  return fields;
}

/**
 * The config as the environment variables that load it again (what a pod's env says), limited to `sections`
 * (top-level keys) when given.
 */
export function configEnv(
  config: Partial<PipelineConfig>,
  sections?: readonly (keyof PipelineConfig)[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { path, env: name } of configFields()) {
    if (sections && !sections.includes(path[0] as keyof PipelineConfig)) continue;
    let value: unknown = config;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    if (value === undefined) continue;
    env[name] =
      value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

/** The producer's environment: its sections only (PRODUCER_SECTIONS), for its pods and the local stack. */
export function producerConfigEnv(config: ProducerConfig): Record<string, string> {
  return configEnv(config, PRODUCER_SECTIONS);
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const { path, env: name } of configFields()) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = input;
    for (const key of path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = value;
  }
  return input;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? merge(b, v) : v;
  }
  return out;
}

export type ConfigOverrides = {
  [K in keyof ConfigInput]?: Partial<NonNullable<ConfigInput[K]>> | ConfigInput[K];
};

/** Validates defaults <- env <- overrides; throws ConfigError naming the first bad field. */
export function loadConfig(
  options: { env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {},
): PipelineConfig {
  const input = merge(
    fromEnv(options.env ?? process.env),
    (options.overrides ?? {}) as Record<string, unknown>,
  );
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.map(String);
  let value: unknown = input;
  for (const key of path) value = isPlainObject(value) ? value[key] : undefined;
  const field = path.join('.');
  const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)}; env ${envName(path)})`;
  throw new ConfigError(`invalid config ${field}: ${issue.message}${shown}`);
}

/** Runs a command's main; a ConfigError ends it with one line on stderr and exit code 2. */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
