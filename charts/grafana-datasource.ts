/**
 * Grafana's PostgreSQL datasource, made at deploy time so that its password is in no manifest (Tilt runs
 * grafana-datasource-main.ts):
 *   (always)      the read-only role's Secret in the app namespace (basic-auth: username, password), with a
 *                 random password, made once and kept; CloudNativePG creates the role from it (postgres.ts
 *                 `spec.managed.roles`) and the migration grants it SELECT on the job's tables;
 *   --datasource  Grafana's datasource provisioning file, as a Secret in the monitoring namespace labelled for
 *                 Grafana's datasource sidecar: that password, and CloudNativePG's CA certificate so that
 *                 Grafana verifies the server (verify-full), waiting for that CA to exist.
 * The password is never printed or logged.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, type CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { PipelineConfig } from '../src/config/index.ts';
import { DASHBOARD_READER_ROLE } from '../src/pipeline/migration.ts';
import { POSTGRES } from './dashboards/shared.ts';
import { KUBE_PROMETHEUS_STACK, names, PORTS } from './names.ts';

/** The datasource Secret's name and its one key (a provisioning file, any name ending in .yaml). */
export const DATASOURCE_SECRET = 'tradestream-grafana-datasource';
const DATASOURCE_FILE = 'tradestream-postgres.yaml';

/** The reader's Secret, as CloudNativePG's managed roles read it (kubernetes.io/basic-auth). */
export function readerSecret(config: PipelineConfig, password: string): V1Secret {
  const n = names(config);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/basic-auth',
    // cnpg.io/reload: the operator reconciles the role's password when the Secret changes.
    metadata: { name: n.postgres.readerSecret, namespace: n.namespace, labels: { 'cnpg.io/reload': 'true' } },
    stringData: { username: DASHBOARD_READER_ROLE, password },
  };
}

/** Grafana's provisioning file for the Market dashboard's datasource (uid and type as the panels name them). */
export function datasourceProvisioning(config: PipelineConfig, password: string, caCert: string): string {
  const n = names(config);
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: 'tradestream PostgreSQL',
        type: POSTGRES.type,
        uid: POSTGRES.uid,
        url: `${n.postgres.rwHost}:${PORTS.postgres}`,
        user: DASHBOARD_READER_ROLE,
        editable: false,
        jsonData: {
          database: config.kubernetes.postgres.database,
          sslmode: 'verify-full',
          tlsConfigurationMethod: 'file-content',
          maxOpenConns: 5,
        },
        secureJsonData: { password, tlsCACert: caCert },
      },
    ],
  });
}

export function datasourceSecret(config: PipelineConfig, password: string, caCert: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: DATASOURCE_SECRET,
      namespace: config.kubernetes.operatorNamespaces.monitoring,
      labels: KUBE_PROMETHEUS_STACK.datasourceLabel,
    },
    stringData: { [DATASOURCE_FILE]: datasourceProvisioning(config, password, caCert) },
  };
}

async function read(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

const decoded = (secret: V1Secret | undefined, key: string) => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

async function ensureReader(core: CoreV1Api, config: PipelineConfig): Promise<string> {
  const n = names(config);
  const existing = decoded(await read(core, n.namespace, n.postgres.readerSecret), 'password');
  if (existing) return existing;
  const password = randomBytes(24).toString('base64url');
  await core.createNamespacedSecret({ namespace: n.namespace, body: readerSecret(config, password) });
  return password;
}

export interface SyncOptions {
  /** Also write Grafana's datasource Secret (else only the reader's). */
  datasource: boolean;
  timeoutSeconds: number;
  log: (line: string) => void;
}

/** Makes the reader's Secret if missing and, with `datasource`, Grafana's datasource Secret from it. */
export async function syncDatasource(
  core: CoreV1Api,
  config: PipelineConfig,
  options: SyncOptions,
): Promise<void> {
  const n = names(config);
  const password = await ensureReader(core, config);
  options.log(`secret ${n.namespace}/${n.postgres.readerSecret} ready`);
  if (!options.datasource) return;

  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const ca = async () => decoded(await read(core, n.namespace, n.postgres.caSecret), 'ca.crt');
  let caCert = await ca();
  while (!caCert) {
    if (Date.now() > deadline)
      throw new Error(`no ${n.postgres.caSecret} Secret after ${options.timeoutSeconds}s`);
    options.log(`waiting for ${n.namespace}/${n.postgres.caSecret}`);
    await sleep(5000);
    caCert = await ca();
  }
  const body = datasourceSecret(config, password, caCert);
  const namespace = body.metadata?.namespace as string;
  if (await read(core, namespace, DATASOURCE_SECRET))
    await core.replaceNamespacedSecret({ name: DATASOURCE_SECRET, namespace, body });
  else await core.createNamespacedSecret({ namespace, body });
  options.log(`secret ${namespace}/${DATASOURCE_SECRET} written (Grafana's sidecar loads it)`);
}
