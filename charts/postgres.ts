/**
 * PostgreSQL on CloudNativePG: one Cluster whose initdb bootstrap creates the trade and VWAP tables from the
 * schema's DDL (a ConfigMap, via postInitApplicationSQLRefs) and hands them to the application user. The
 * operator generates that user's password into the `<cluster>-app` Secret; nothing here ever holds it.
 */
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { postgresDdl, postgresTables } from '../src/pipeline/analytics/index.ts';
import {
  Cluster,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
} from './imports/cnpg-postgresql.cnpg.io.ts';
import { names } from './names.ts';
import { crdResources } from './resources.ts';

/**
 * The bootstrap SQL. It runs once, as the superuser, in the app database (FACTS.md), so the tables would belong
 * to `postgres`: hand them to the owner, which the Flink sink connects as.
 */
export function bootstrapSql(config: PipelineConfig): string {
  const owner = config.kubernetes.postgres.owner;
  const tables = postgresTables(config.profile);
  return [
    '-- tradestream tables: generated from src/schema and src/pipeline by charts/postgres.ts; do not edit.',
    ...tables.flatMap((table) => [postgresDdl(table), '']),
    ...tables.map((table) => `ALTER TABLE ${table.name} OWNER TO ${owner};`),
    '',
  ].join('\n');
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
  }
}
