/** What every consumer of trades derives from the column list: validation, PostgreSQL DDL, Flink types. */
import { z } from 'zod';
import type { Column, ColumnType } from './column.ts';
import { MAX_EPOCH_MS } from './rules.ts';

/** The table every raw trade lands in, keyed by trade_id. */
export const TRADES_TABLE = 'stock_trades';
export const TRADE_KEY = 'trade_id';
/** The column that is a trade's event time (every profile has it). */
export const TRADE_TIME = 'trade_timestamp';

/** C0, DEL and C1 controls: refused in text (docs/strict-decoding.md). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the number's shortest decimal form has at most `scale` decimals, as JSON will print it. */
const hasAtMostDecimals = (value: number, scale: number) => Number(value.toFixed(scale)) === value;

function valueValidator(type: ColumnType): z.ZodType {
  switch (type.kind) {
    case 'string':
      return type.values
        ? z.enum(type.values as [string, ...string[]])
        : z
            .string()
            // Code points, as PostgreSQL's varchar(n) counts them (String length counts UTF-16 units).
            .refine(
              (s) => s.length > 0 && [...s].length <= type.maxLength,
              `is empty or longer than ${type.maxLength}`,
            )
            .refine((s) => !CONTROL.test(s), 'contains a control character')
            .refine((s) => !LONE_SURROGATE.test(s), 'contains a lone surrogate');
    case 'decimal': {
      const limit = 10 ** (type.precision - type.scale);
      let n = z.number().lt(limit);
      if (type.min !== undefined) n = type.exclusiveMin ? n.gt(type.min) : n.gte(type.min);
      return n.refine((v) => hasAtMostDecimals(v, type.scale), `has more than ${type.scale} decimals`);
    }
    case 'bigint':
      return type.min === undefined ? z.number().int() : z.number().int().gte(type.min);
    case 'int': {
      const n = z
        .number()
        .int()
        .lte(2 ** 31 - 1);
      return type.min === undefined ? n.gte(-(2 ** 31)) : n.gte(type.min);
    }
    case 'double':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'timestamp':
      return z.number().int().gte(0).lte(MAX_EPOCH_MS);
  }
}

/** A strict zod validator for records of these columns (unknown keys are an error, as in the DLQ rules). */
export function recordValidator(columns: readonly Column[]) {
  const shape = Object.fromEntries(
    columns.map((c) => {
      const v = valueValidator(c.type);
      return [c.name, c.nullable ? v.nullable().optional() : v];
    }),
  );
  return z.strictObject(shape);
}

/** PostgreSQL type of a column. Timestamps are UTC wall-clock `timestamp(3)` (the Flink side: flinkType). */
export function postgresType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return `varchar(${type.maxLength})`;
    case 'decimal':
      return `numeric(${type.precision},${type.scale})`;
    case 'bigint':
      return 'bigint';
    case 'int':
      return 'integer';
    case 'double':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'timestamp(3)';
  }
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

function postgresCheck(c: Column): string | undefined {
  const t = c.type;
  if (t.kind === 'string' && t.values) return `${c.name} IN (${t.values.map(sqlString).join(', ')})`;
  if ((t.kind === 'decimal' || t.kind === 'bigint' || t.kind === 'int') && t.min !== undefined) {
    const op = t.kind === 'decimal' && t.exclusiveMin ? '>' : '>=';
    return `${c.name} ${op} ${t.min}`;
  }
  return undefined;
}

/** CREATE TABLE for the columns, idempotent, with checks, the primary key and column comments. */
/** A column as PostgreSQL declares it (name, type, NOT NULL, CHECK): in CREATE TABLE and in ADD COLUMN alike. */
export function postgresColumnDefinition(c: Column): string {
  const check = postgresCheck(c);
  return `${c.name} ${postgresType(c.type)}${c.nullable ? '' : ' NOT NULL'}${check ? ` CHECK (${check})` : ''}`;
}

export function postgresTableDdl(
  columns: readonly Column[],
  table = TRADES_TABLE,
  key: readonly string[] = [TRADE_KEY],
): string {
  const lines = columns.map((c) => `  ${postgresColumnDefinition(c)}`);
  lines.push(`  PRIMARY KEY (${key.join(', ')})`);
  const comments = columns.map((c) => `COMMENT ON COLUMN ${table}.${c.name} IS ${sqlString(c.description)};`);
  return [`CREATE TABLE IF NOT EXISTS ${table} (`, lines.join(',\n'), ');', ...comments].join('\n');
}

/**
 * Flink SQL type of a column as stored (sink side). Timestamps are TIMESTAMP(3) computed in a UTC session: the
 * UTC wall clock of the PostgreSQL `timestamp(3)` column, written as it is.
 */
export function flinkType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return 'STRING';
    case 'decimal':
      return `DECIMAL(${type.precision}, ${type.scale})`;
    case 'bigint':
      return 'BIGINT';
    case 'int':
      return 'INT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP(3)';
  }
}

/** Flink SQL type of a column's JSON wire value (timestamps travel as epoch milliseconds). */
export function flinkWireType(type: ColumnType): string {
  return type.kind === 'timestamp' ? 'BIGINT' : flinkType(type);
}
