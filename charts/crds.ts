/** Where the operators' CRD files are (vendored in ../shared/crds), for the imports and the schema tests. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** CRD files per import prefix; each prefix is one API group, so one generated file. */
export const CRD_FILES = {
  strimzi: [
    'strimzi-kafka.yaml',
    'strimzi-kafkanodepool.yaml',
    'strimzi-kafkatopic.yaml',
    'strimzi-kafkauser.yaml',
  ],
  cnpg: ['cnpg-cluster.yaml'],
  flink: ['flink-flinkdeployment.yaml'],
  /** The prometheus-operator's PodMonitor (kube-prometheus-stack 88.5.3 installs it). */
  prometheus: ['prometheus-podmonitors.yaml'],
} as const;

/** TRADESTREAM_CRDS, else ../shared/crds beside the repository; undefined when the directory is absent. */
export function crdDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.TRADESTREAM_CRDS ?? resolve(import.meta.dirname, '..', '..', 'shared', 'crds');
  return existsSync(dir) ? dir : undefined;
}
