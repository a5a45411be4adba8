/**
 * What an analytic is: one output of the job, with its sink's columns, its DDL (PostgreSQL and Flink from one
 * column list) and its INSERT. The generator (../sql.ts) assembles the registered analytics (./index.ts)
 * into one script; the local stack and the charts take their tables from the same registry.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { type Column, type ProfileName, postgresTableDdl } from '../../schema/index.ts';

/** A PostgreSQL table an analytic writes, upserted on `key`. */
export interface PostgresTable {
  readonly name: string;
  readonly columns: readonly Column[];
  readonly key: readonly string[];
  /** What one row means; becomes the table's COMMENT. */
  readonly comment: string;
}

export interface Analytic {
  /** Short name, for logs and tests. */
  readonly name: string;
  /** The PostgreSQL table it writes, if it writes one (created even while the analytic is off). */
  table?(profile: ProfileName): PostgresTable;
  /** Whether the config runs it (default: always). */
  enabled?(config: PipelineConfig): boolean;
  /** Flink DDL of its sink (and any view only it reads). */
  sinkDdl(config: PipelineConfig): string;
  /** Its INSERT, one statement of the job's statement set. */
  insert(config: PipelineConfig): string;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** PostgreSQL DDL of a table, idempotent, with its checks, key and comments. */
export function postgresDdl(table: PostgresTable): string {
  return [
    postgresTableDdl(table.columns, table.name, table.key),
    `COMMENT ON TABLE ${table.name} IS ${sqlString(table.comment)};`,
  ].join('\n');
}
