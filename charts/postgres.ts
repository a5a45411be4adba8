/**
 * PostgreSQL on CloudNativePG: one Cluster, and the schema migration (src/pipeline/migration.ts) that creates and
 * updates the tables. The initdb bootstrap runs it once, when the cluster is created (a ConfigMap, via
 * postInitApplicationSQLRefs); the migration Job runs the same SQL on every schema change, on a running
 * cluster, before the Flink job (the Tiltfile orders it). The operator generates the application user's
 * password into the `<cluster>-app` Secret; nothing here ever holds it.
 */
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { PipelineConfig } from '../src/config/index.ts';
import { DASHBOARD_READER_ROLE, migrationSql } from '../src/pipeline/migration.ts';
import { TRADE_TIME, TRADES_TABLE } from '../src/schema/index.ts';
import {
  Cluster,
  ClusterSpecManagedRolesEnsure,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
} from './imports/cnpg-postgresql.cnpg.io.ts';
import { names, POSTGRES_CA_DIR } from './names.ts';
import { crdResources } from './resources.ts';

/** The uid of `postgres` in CloudNativePG's images (the operator's default PostgresUID). */
export const POSTGRES_UID = 26;

/**
 * The bootstrap SQL: the migration itself. It runs once, as the superuser, in the app database (FACTS.md), so
 * the tables would belong to `postgres`: the migration hands them to the owner, which the Flink sink and the
 * migration Job connect as.
 */
export function bootstrapSql(config: PipelineConfig): string {
  return migrationSql(config, config.kubernetes.postgres.owner);
}

/**
 * Sink freshness: seconds from the newest stored trade's event time to now (the column holds the UTC wall
 * clock). `max()` of an indexed column is the index's last entry (TRADE_TIME_INDEX of the migration), so a
 * scrape reads a page or two, never the table. An empty table gives no row, so no series (not a huge number).
 */
export const SINK_FRESHNESS_SQL =
  `SELECT EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - max(${TRADE_TIME}))::float8 AS freshness_seconds ` +
  `FROM ${TRADES_TABLE} HAVING max(${TRADE_TIME}) IS NOT NULL`;
/** The custom query's name: CloudNativePG exports its columns as `cnpg_<name>_<column>`. */
export const SINK_QUERY_NAME = 'tradestream_sink';
export const SINK_FRESHNESS_METRIC = `cnpg_${SINK_QUERY_NAME}_freshness_seconds`;

/** CloudNativePG's custom queries (its postgres_exporter-style format), run on the primary, in the app database. */
export function customQueries(config: PipelineConfig) {
  return {
    [SINK_QUERY_NAME]: {
      query: SINK_FRESHNESS_SQL,
      primary: true,
      target_databases: [config.kubernetes.postgres.database],
      metrics: [
        {
          freshness_seconds: {
            usage: 'GAUGE',
            description: `Seconds since the newest trade stored in ${TRADES_TABLE} (its ${TRADE_TIME})`,
          },
        },
      ],
    },
  };
}

/** The migration Job and the labels of its pod (what a NetworkPolicy peer must select to let it reach 5432). */
export function migrationJob(config: PipelineConfig) {
  const cluster = config.kubernetes.postgres.cluster;
  return { name: `${cluster}-migrate`, podLabels: { 'app.kubernetes.io/name': `${cluster}-migrate` } };
}

export class PostgresChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    const n = names(config);
    const pg = config.kubernetes.postgres;

    new kplus.ConfigMap(this, 'schema', {
      metadata: { name: n.postgres.schemaConfigMap },
      data: { [n.postgres.schemaKey]: bootstrapSql(config) },
    });

    // `cnpg.io/reload`: the instances reload the queries when the ConfigMap changes, without a restart.
    new kplus.ConfigMap(this, 'monitoring', {
      metadata: { name: n.postgres.monitoringConfigMap, labels: { 'cnpg.io/reload': '' } },
      data: { [n.postgres.monitoringKey]: stringify(customQueries(config)) },
    });

    new Cluster(this, 'cluster', {
      metadata: { name: n.postgres.cluster },
      spec: {
        instances: pg.instances,
        // Pinned here rather than left to the operator's default, which moves with every operator upgrade.
        imageName: pg.image,
        // A disruption budget on a single instance would only block node drains.
        enablePdb: pg.instances > 1,
        storage: { size: pg.storageSize },
        resources: crdResources(pg.resources, ClusterSpecResourcesLimits, ClusterSpecResourcesRequests),
        // The exporter (9187, `metrics`) always runs; these add the sink-freshness query to its defaults. No
        // enablePodMonitor (deprecated): charts/monitoring.ts has the PodMonitor.
        monitoring: {
          customQueriesConfigMap: [{ name: n.postgres.monitoringConfigMap, key: n.postgres.monitoringKey }],
        },
        // Grafana's read-only role: CloudNativePG creates it and keeps its password equal to the Secret's (which
        // must exist: the Tiltfile makes it first); the migration grants it SELECT on the job's tables.
        managed: {
          roles: [
            {
              name: DASHBOARD_READER_ROLE,
              ensure: ClusterSpecManagedRolesEnsure.PRESENT,
              login: true,
              inherit: false,
              connectionLimit: 10,
              comment: 'Grafana: SELECT on the tradestream tables only',
              passwordSecret: { name: n.postgres.readerSecret },
            },
          ],
        },
        bootstrap: {
          initdb: {
            database: pg.database,
            owner: pg.owner,
            postInitApplicationSqlRefs: {
              configMapRefs: [{ name: n.postgres.schemaConfigMap, key: n.postgres.schemaKey }],
            },
          },
        },
      },
    });

    // psql of the cluster's own image, as the owner, over TLS verified against the cluster's CA. The SQL is in
    // the pod template itself, so a changed schema is a changed Job: Tilt re-creates a Job on every change of
    // its spec (a plain `kubectl apply` refuses to, the template being immutable: `kubectl replace --force`).
    // Until the database accepts connections the pod fails and the Job retries, with backoff.
    const secret = (key: string) => ({ valueFrom: { secretKeyRef: { name: n.postgres.appSecret, key } } });
    const job = migrationJob(config);
    new kplus.k8s.KubeJob(this, 'migrate', {
      metadata: { name: job.name },
      spec: {
        backoffLimit: 10,
        template: {
          metadata: { labels: job.podLabels },
          spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: POSTGRES_UID,
              runAsGroup: POSTGRES_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'migrate',
                image: pg.image,
                command: [
                  'psql',
                  '--no-psqlrc',
                  '--single-transaction',
                  '--set=ON_ERROR_STOP=1',
                  `--command=${bootstrapSql(config)}`,
                ],
                env: [
                  { name: 'PGHOST', ...secret('host') },
                  { name: 'PGPORT', ...secret('port') },
                  { name: 'PGDATABASE', ...secret('dbname') },
                  { name: 'PGUSER', ...secret('username') },
                  { name: 'PGPASSWORD', ...secret('password') },
                  { name: 'PGSSLMODE', value: 'verify-full' },
                  { name: 'PGSSLROOTCERT', value: n.postgres.caFile },
                  { name: 'PGCONNECT_TIMEOUT', value: '10' },
                  { name: 'PGAPPNAME', value: job.name },
                ],
                volumeMounts: [{ name: 'ca', mountPath: POSTGRES_CA_DIR, readOnly: true }],
                resources: {
                  requests: {
                    cpu: kplus.k8s.Quantity.fromString('50m'),
                    memory: kplus.k8s.Quantity.fromString('64Mi'),
                  },
                  limits: {
                    cpu: kplus.k8s.Quantity.fromString('500m'),
                    memory: kplus.k8s.Quantity.fromString('64Mi'),
                  },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            // Only the certificate: CloudNativePG's `<cluster>-ca` Secret also holds the CA's private key.
            volumes: [
              {
                name: 'ca',
                secret: {
                  secretName: n.postgres.caSecret,
                  items: [{ key: 'ca.crt', path: 'ca.crt' }],
                },
              },
            ],
          },
        },
      },
    });
  }
}
