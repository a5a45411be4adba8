/**
 * The decoding rules of a trade record: the one table both strict decoders implement, generated from the
 * schema. The Flink decoder (flink/, format `tradestream-json`) gets it as its `tradestream-json.rules` option
 * beside the physical row type of the source table; the TypeScript reference check (strict.ts) reads it too.
 * The policy both follow is docs/strict-decoding.md.
 *
 * What the row type already says (DECIMAL(p, s), BIGINT, INT, DOUBLE, BOOLEAN, STRING) is not repeated here;
 * the rules carry only what a type cannot: whether the field is required, text lengths and closed sets,
 * lower bounds, and which BIGINT columns are instants (epoch milliseconds).
 */
import type { Column } from './column.ts';
import { flinkWireType } from './derive.ts';

export interface FieldRule {
  /** Absent or JSON null is refused ("missing field <name>"). */
  required: boolean;
  /** Text: at most this many Unicode code points (PostgreSQL's varchar(n) counts code points), at least 1. */
  maxLength?: number;
  /** Text: exactly one of these values. */
  values?: readonly string[];
  /** Numbers: the lower bound, as decimal text; exclusive when `exclusiveMin`. */
  min?: string;
  exclusiveMin?: boolean;
  /** BIGINT holding epoch milliseconds in [0, MAX_EPOCH_MS]. */
  timestamp?: boolean;
}

/** 9999-12-31T23:59:59.999Z: the last instant PostgreSQL, Flink and JavaScript all print the same way. */
export const MAX_EPOCH_MS = 253_402_300_799_999;
/** BIGINT columns hold integers JavaScript reads exactly (zod's .int() is the same bound). */
export const MAX_SAFE_BIGINT = Number.MAX_SAFE_INTEGER;
/** A number literal longer than this is refused as out of range (no column needs more; it bounds the work). */
export const MAX_NUMBER_LITERAL = 100;

/** The rule of one column. */
export function fieldRule(c: Column): FieldRule {
  const t = c.type;
  const rule: FieldRule = { required: !c.nullable };
  if (t.kind === 'string') {
    if (t.values) rule.values = t.values;
    else rule.maxLength = t.maxLength;
  }
  if ((t.kind === 'decimal' || t.kind === 'bigint' || t.kind === 'int') && t.min !== undefined) {
    rule.min = String(t.min);
    if (t.kind === 'decimal' && t.exclusiveMin) rule.exclusiveMin = true;
  }
  if (t.kind === 'timestamp') rule.timestamp = true;
  return rule;
}

/** The rules of every column, keyed by name in schema order. */
export function decodeRules(columns: readonly Column[]): Record<string, FieldRule> {
  return Object.fromEntries(columns.map((c) => [c.name, fieldRule(c)]));
}

/** The physical row type the decoder fills, as Flink column definitions (all nullable: see the policy). */
export function decodedRowType(columns: readonly Column[]): { name: string; type: string }[] {
  return columns.map((c) => ({ name: c.name, type: flinkWireType(c.type) }));
}
