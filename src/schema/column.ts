/**
 * The vocabulary of the trade schema: a column is a name, a logical type, nullability and a meaning.
 * Everything that stores, validates or moves a trade (zod, JSON, PostgreSQL, Flink) is derived from these.
 */

/** Logical column types. The JSON wire form of each is fixed here, once, for every consumer. */
export type ColumnType =
  /** Free text. `values` restricts it to a closed set (an enum). */
  | { kind: 'string'; maxLength: number; values?: readonly string[] }
  /** Exact decimal; JSON carries it as a number with at most `scale` decimals. */
  | { kind: 'decimal'; precision: number; scale: number; min?: number; exclusiveMin?: boolean }
  /** Integer within JavaScript's safe range (BIGINT). */
  | { kind: 'bigint'; min?: number }
  /** 32-bit integer. */
  | { kind: 'int'; min?: number }
  /** IEEE double, for ratios and statistics where exactness is not promised. */
  | { kind: 'double' }
  | { kind: 'boolean' }
  /** An instant with millisecond precision; JSON carries epoch milliseconds (UTC). */
  | { kind: 'timestamp' };

export interface Column<
  N extends string = string,
  T extends ColumnType = ColumnType,
  Null extends boolean = boolean,
> {
  /** snake_case, lower case: the same name in JSON, PostgreSQL and Flink. */
  readonly name: N;
  readonly type: T;
  readonly nullable: Null;
  /** What the column means to a trader; becomes a COMMENT in PostgreSQL. */
  readonly description: string;
}

const column =
  <const T extends ColumnType>(type: T) =>
  <const N extends string>(name: N, description: string): Column<N, T, false> => ({
    name,
    type,
    nullable: false,
    description,
  });

/** Column builders, so a profile reads as a table: `price('bid_price', 'best bid')`. */
export const text = <const L extends number>(maxLength: L) => column({ kind: 'string', maxLength });
export const oneOf = <const V extends readonly string[]>(...values: V) =>
  column({ kind: 'string', maxLength: Math.max(...values.map((v) => v.length)), values });
/** Exact decimals of a given size, for derived figures such as averages and sums. */
export const decimal = <const P extends number, const S extends number>(precision: P, scale: S) =>
  column({ kind: 'decimal', precision, scale });
/** A 64-bit integer with no lower bound, for sums and counts computed by the pipeline. */
export const integer = column({ kind: 'bigint' });
export const price = column({ kind: 'decimal', precision: 12, scale: 4, min: 0, exclusiveMin: true });
export const amount = column({ kind: 'decimal', precision: 20, scale: 4, min: 0 });
export const quantity = column({ kind: 'bigint', min: 0 });
export const positiveQuantity = column({ kind: 'bigint', min: 1 });
export const count = column({ kind: 'int', min: 0 });
export const ratio = column({ kind: 'double' });
export const flag = column({ kind: 'boolean' });
export const instant = column({ kind: 'timestamp' });

/** The same column, allowed to be null (absent in JSON). */
export const orNull = <N extends string, T extends ColumnType>(
  c: Column<N, T, false>,
): Column<N, T, true> => ({
  ...c,
  nullable: true,
});

/** The TypeScript value of a column of type T. */
type ValueOf<T extends ColumnType> = T extends { kind: 'string'; values: readonly (infer V)[] }
  ? V
  : T extends { kind: 'string' }
    ? string
    : T extends { kind: 'boolean' }
      ? boolean
      : number;

/** The record type of a list of columns: `RecordOf<typeof narrowColumns>` is a narrow trade. */
export type RecordOf<Cs extends readonly Column[]> = {
  [C in Cs[number] as C['name']]: C['nullable'] extends true ? ValueOf<C['type']> | null : ValueOf<C['type']>;
};
