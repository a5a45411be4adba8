/**
 * The schema migration: one SQL script, generated from the analytics registry, that brings a database of any
 * earlier version of the pipeline to the current tables and changes nothing on a current one. CloudNativePG's
 * bootstrap runs SQL only when the cluster is created, so the same script also runs before the job on
 * Kubernetes (the migration Job of charts/postgres.ts) and at every start of the local stack (src/local/postgres.ts).
 *
 * Additive only: missing tables and columns are created, comments and the owner set again. It never drops,
 * retypes or renames a column, nor changes a key or a CHECK of an existing column; those need a hand-written
 * step. A new NOT NULL column cannot be added to a table that has rows (PostgreSQL refuses, and the whole
 * script rolls back): give it a value first, or declare it nullable in the schema.
 * Roles are not created here (the application user may not create roles): declare them in the Cluster's
 * `spec.managed.roles`, which the operator reconciles on a running cluster; GRANTs on the tables belong here.
 */
import type { PipelineConfig } from '../config/index.ts';
import { postgresColumnDefinition, TRADE_TIME, TRADES_TABLE } from '../schema/index.ts';
import { postgresDdl, postgresTables } from './analytics/index.ts';

/**
 * The index on the trades' event time: the sink-freshness metric (charts/postgres.ts) asks for the newest
 * trade's time on every scrape, which this answers from the index's last entry instead of a scan of the table.
 * It costs every insert of the sink one more index entry. Built in the migration's transaction: on a large
 * existing table the first run holds up the sink's writes while it builds (a new table gets it empty).
 */
export const TRADE_TIME_INDEX = `${TRADES_TABLE}_${TRADE_TIME}_idx`;

/**
 * The role CloudNativePG's metrics exporter runs its queries as (1.30: its own login role, by peer
 * authentication on the instance's socket). Only on CloudNativePG: elsewhere (the local stack) it does not
 * exist and the grant is skipped.
 */
export const METRICS_EXPORTER_ROLE = 'cnpg_metrics_exporter';

/**
 * The read-only role of Grafana's PostgreSQL datasource (the Market dashboard): SELECT on the job's tables and
 * nothing else. CloudNativePG creates it (the Cluster's `spec.managed.roles`, charts/postgres.ts) with the
 * password of a Secret made at deploy time (charts/grafana-datasource.ts); elsewhere it does not exist and the
 * grant is skipped, as for the exporter.
 */
export const DASHBOARD_READER_ROLE = 'grafana_reader';

/** GRANTs to a role that may not exist (yet): idempotent, skipped without the role. */
function grantSelectIfRoleExists(role: string, tables: readonly string[]): string[] {
  return [
    'DO $$ BEGIN',
    `  IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN`,
    ...tables.map((table) => `    GRANT SELECT ON ${table} TO ${role};`),
    '  END IF;',
    'END $$;',
  ];
}

/** Any constant of the script's own: concurrent runs queue on it instead of racing CREATE TABLE. */
const MIGRATION_LOCK = 8_402_117;

/**
 * The migration script, to run in one transaction as the tables' owner (or as the superuser, which then hands
 * the tables to the owner). Idempotent: a second run finds everything in place.
 */
export function migrationSql(config: PipelineConfig, owner: string): string {
  return [
    '-- tradestream schema migration: generated from src/pipeline/analytics by src/pipeline/migration.ts; do not edit.',
    '-- Idempotent and additive; run by the CloudNativePG bootstrap, the migration Job and the local stack.',
    // Each run reports every existing column as "already exists, skipping": keep the log to what matters.
    'SET client_min_messages = warning;',
    // ALTER TABLE waits for the job's open transactions and blocks the next ones meanwhile: give up early, retry.
    "SET lock_timeout = '10s';",
    `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});`,
    '',
    ...postgresTables(config).flatMap((table) => [
      // Columns first (a no-op on a missing table), so that the column comments below find them.
      `ALTER TABLE IF EXISTS ${table.name}`,
      // Declared as a fresh table declares them (type, NOT NULL, CHECK), so a column added later is the same.
      `${table.columns.map((c) => `  ADD COLUMN IF NOT EXISTS ${postgresColumnDefinition(c)}`).join(',\n')};`,
      postgresDdl(table),
      // Changes nothing for the owner itself; from the bootstrap's superuser it hands the table over.
      `ALTER TABLE ${table.name} OWNER TO ${owner};`,
      '',
    ]),
    `CREATE INDEX IF NOT EXISTS ${TRADE_TIME_INDEX} ON ${TRADES_TABLE} (${TRADE_TIME});`,
    // The exporter reads the newest trade's time (sink freshness), nothing else. GRANT is idempotent; the role
    // may not exist yet when the bootstrap runs, and the migration Job, later, grants it then.
    ...grantSelectIfRoleExists(METRICS_EXPORTER_ROLE, [TRADES_TABLE]),
    // The dashboards read every table the job writes (a table added later is granted by the next run).
    ...grantSelectIfRoleExists(
      DASHBOARD_READER_ROLE,
      postgresTables(config).map((t) => t.name),
    ),
    '',
  ].join('\n');
}
