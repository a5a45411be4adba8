/**
 * Producer identity, the prefix of every trade id. Explicit (producer.instanceId) it is used as given, so a
 * replay is reproducible. Otherwise it is the pod name (POD_NAME, else HOSTNAME) plus an incarnation stamp:
 * a container restarted in the same pod keeps its pod name but counts its trades from 0 again, and without
 * the stamp its ids would collide with those of its previous life (and overwrite them in stock_trades).
 */
import { hostname } from 'node:os';
import type { PipelineConfig } from '../config/index.ts';

/** Longest identity: a trade id is `${identity}-${n}` and must fit the schema's 64 characters. */
export const MAX_IDENTITY = 40;

export function producerIdentity(
  config: Pick<PipelineConfig, 'producer'>,
  env: NodeJS.ProcessEnv = process.env,
  now: number = Date.now(),
): string {
  if (config.producer.instanceId) return config.producer.instanceId;
  const pod = (env.POD_NAME || env.HOSTNAME || hostname() || 'producer').replace(/[^a-zA-Z0-9._-]/g, '-');
  const incarnation = now.toString(36);
  // Pod names end in their unique part: keep the tail when they are long.
  return `${pod.slice(-(MAX_IDENTITY - incarnation.length - 1))}.${incarnation}`;
}
