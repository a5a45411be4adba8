/**
 * A JSON encoder compiled from the schema's column list: one string concatenation per record, in column order,
 * giving exactly `JSON.stringify(record)` for records of the profile (what the tests check) at a fraction of the
 * cost for wide records.
 */
import { type Column, columnsOf, type ProfileName } from '../schema/index.ts';

export type Encoder<T> = (record: T) => string;

// Enum values that need no JSON escaping can be written between quotes as they are.
const plain = (s: string) => /^[\x20-\x7e]*$/.test(s) && !s.includes('"') && !s.includes('\\');

function valueExpression(c: Column, v: string): string {
  const t = c.type;
  let e: string;
  if (t.kind === 'string') e = t.values?.every(plain) ? `'"' + ${v} + '"'` : `JSON.stringify(${v})`;
  // Finite numbers and booleans print the same with String() as with JSON.stringify().
  else e = `String(${v})`;
  return c.nullable ? `(${v} === null || ${v} === undefined ? 'null' : ${e})` : e;
}

/** Compiles the encoder of a column list (column names are validated snake_case identifiers). */
export function compileEncoder<T>(columns: readonly Column[]): Encoder<T> {
  const parts = columns.map((c, i) => {
    if (!/^[a-z][a-z0-9_]*$/.test(c.name)) throw new Error(`column name ${c.name} is not snake_case`);
    return `${JSON.stringify(`${i === 0 ? '{' : ','}"${c.name}":`)} + ${valueExpression(c, `r.${c.name}`)}`;
  });
  return new Function('r', `return ${parts.join(' + ')} + '}';`) as Encoder<T>;
}

const encoders = new Map<ProfileName, Encoder<never>>();

/** The JSON encoder of a trade profile. */
export function encoderFor<T>(profile: ProfileName): Encoder<T> {
  let encoder = encoders.get(profile);
  if (!encoder) {
    encoder = compileEncoder<never>(columnsOf(profile));
    encoders.set(profile, encoder);
  }
  return encoder as Encoder<T>;
}
