/**
 * What an analytic is: one output of the job, with its sink's columns, its DDL (PostgreSQL and Flink from one
 * column list) and its INSERT. The generator (../sql.ts) assembles the registered analytics (./index.ts)
 * into one script; the local stack and the charts take their tables from the same registry.
 */
import type { PipelineConfig } from '../../config/index.ts';
import { type Column, postgresTableDdl } from '../../schema/index.ts';
import type { TickerFeature } from '../ticker-features.ts';

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
  table?(config: PipelineConfig): PostgresTable;
  /** Whether the config runs it (default: always). */
  enabled?(config: PipelineConfig): boolean;
  /** The per-ticker aggregates it reads from TICKER_VIEW (../ticker-features.ts), if any. */
  tickerFeatures?(config: PipelineConfig): TickerFeature[];
  /** Flink DDL of its sink (and any view only it reads). */
  sinkDdl(config: PipelineConfig): string;
  /** Its INSERT, one statement of the job's statement set. */
  insert(config: PipelineConfig): string;
}

/**
 * A window length as a table name says it: 60 -> "1m", 30 -> "30s", 7200 -> "2h", 90 -> "90s". The windows are
 * configurable, so a window table's name carries its length: a changed length writes a new table rather than
 * mixing two lengths in one (the migration never drops the old one).
 */
export function durationName(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** PostgreSQL DDL of a table, idempotent, with its checks, key and comments. */
export function postgresDdl(table: PostgresTable): string {
  return [
    postgresTableDdl(table.columns, table.name, table.key),
    `COMMENT ON TABLE ${table.name} IS ${sqlString(table.comment)};`,
  ].join('\n');
}
