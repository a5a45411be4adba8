/**
 * The corpus of strict decoding: edge-case and malformed records of a profile, generated from its columns, each
 * with the verdict docs/strict-decoding.md gives it, stated here by hand (never computed by the check under
 * test). The TypeScript check (strict.ts) is run over it by corpus.test.ts; `npm run corpus` writes it to
 * flink/src/test/resources/corpus/<profile>.json for the Java decoder's test.
 *
 * Every case but the record-level ones is a base record, one valid trade built from the columns (values vary by
 * column so that a decoder mixing columns up is seen), with one field changed. Each column gets the cases of
 * its rule; columns that share a type and rule with an earlier column (the wide profile's prices, sizes, ...)
 * get a shorter set, and tokenizer cases (escapes, number syntax) are made once, on the first column of a kind.
 */
import { Buffer } from 'node:buffer';
import type { Column } from './column.ts';
import { columnsOf, type ProfileName } from './index.ts';
import { decodedRowType, decodeRules, MAX_EPOCH_MS } from './rules.ts';
import { type DecodedRecord, type DecodedValue, reasons, type ValueKind } from './strict.ts';

export interface CorpusCase {
  name: string;
  /** The Kafka record value; null for a tombstone. */
  payload: Uint8Array | null;
  /** The expected reason, null for a valid record. */
  reason: string | null;
  /** A valid record's decoded row, as strict.ts returns it (decimals as text at the column scale). */
  row?: DecodedRecord;
}

interface Col {
  name: string;
  index: number;
  kind: ValueKind;
  required: boolean;
  /** The base record's value: its JSON text and its decoded value. */
  lit: string;
  value: DecodedValue;
  maxLength: number;
  values: readonly string[];
  precision: number;
  scale: number;
  min: number | undefined;
  exclusiveMin: boolean;
  /** Type, rule and nullability: columns with the same signature decode alike. */
  signature: string;
}

/** A member of a record: the key as written between the quotes (escapes allowed) and the value's JSON text. */
type Member = readonly [key: string, lit: string];

/** The JSON text of a record of these members, compact. */
const json = (members: readonly Member[]) => `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
const quote = (s: string) => `"${s}"`;

const EPOCH_2026 = Date.UTC(2026, 0, 1);
const SAFE = '9007199254740991';
const EMOJI = '\u{1f600}';
const EMOJI_ESCAPED = String.raw`\ud83d\ude00`;
const DEEP = 100_000;

function kindOf(c: Column): ValueKind {
  const t = c.type;
  if (t.kind === 'string') return t.values ? 'enum' : 'text';
  if (t.kind === 'timestamp') return 'instant';
  return t.kind;
}

/** The base record's value of the column at `index`: valid, and different from its neighbours'. */
function baseValue(c: Column, index: number): { lit: string; value: DecodedValue } {
  const t = c.type;
  switch (t.kind) {
    case 'string': {
      const v = t.values ? (t.values[index % t.values.length] as string) : c.name.slice(0, t.maxLength);
      return { lit: JSON.stringify(v), value: v };
    }
    case 'decimal': {
      if (t.precision - t.scale < 3 || t.scale < 1)
        throw new Error(`${c.name}: no base value for this decimal`);
      return {
        lit: `${10 + index}.5`,
        value: `${10 + index}.5`.padEnd(String(10 + index).length + 1 + t.scale, '0'),
      };
    }
    case 'bigint':
      return { lit: String(100 + index), value: 100 + index };
    case 'int':
      return { lit: String(index), value: index };
    case 'double':
      return { lit: `${index}.25`, value: index + 0.25 };
    case 'boolean':
      return { lit: String(index % 2 === 0), value: index % 2 === 0 };
    case 'timestamp':
      return { lit: String(EPOCH_2026 + index), value: EPOCH_2026 + index };
  }
}

function describe(columns: readonly Column[]): Col[] {
  return columns.map((c, index) => {
    const t = c.type;
    const min = 'min' in t ? t.min : undefined;
    if (min !== undefined && !Number.isInteger(min))
      throw new Error(`${c.name}: the corpus expects integer bounds`);
    return {
      name: c.name,
      index,
      kind: kindOf(c),
      required: !c.nullable,
      ...baseValue(c, index),
      maxLength: t.kind === 'string' ? t.maxLength : 0,
      values: t.kind === 'string' ? (t.values ?? []) : [],
      precision: t.kind === 'decimal' ? t.precision : 0,
      scale: t.kind === 'decimal' ? t.scale : 0,
      min,
      exclusiveMin: t.kind === 'decimal' && t.exclusiveMin === true,
      signature: JSON.stringify([t, c.nullable]),
    };
  });
}

const utf8 = new TextEncoder();

function bytesOf(payload: string | Uint8Array): Uint8Array {
  if (typeof payload !== 'string') return payload;
  // A lone surrogate in the generator's text would silently become U+FFFD: write escapes or bytes instead.
  if (!(payload as unknown as { isWellFormed(): boolean }).isWellFormed())
    throw new Error('corpus text with a raw lone surrogate');
  return utf8.encode(payload);
}

const concat = (...parts: (string | readonly number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...utf8.encode(p)] : [...p])));

/** A value's expected outcome: a reason, or valid with this decoded value. */
type Expect = string | { value: DecodedValue };
const ok = (value: DecodedValue): Expect => ({ value });

class Corpus {
  readonly cases: CorpusCase[] = [];
  private readonly names = new Set<string>();
  readonly base: Member[];
  readonly baseRow: DecodedRecord;

  constructor(readonly cols: Col[]) {
    this.base = cols.map((k) => [k.name, k.lit]);
    this.baseRow = Object.fromEntries(cols.map((k) => [k.name, k.value]));
  }

  private add(name: string, payload: string | Uint8Array | null, reason: string | null, row?: DecodedRecord) {
    if (this.names.has(name)) throw new Error(`two corpus cases are named ${name}`);
    this.names.add(name);
    const c: CorpusCase = { name, payload: payload === null ? null : bytesOf(payload), reason };
    if (reason === null) c.row = row ?? this.baseRow;
    this.cases.push(c);
  }

  valid(name: string, payload: string | Uint8Array, changes: DecodedRecord = {}) {
    this.add(name, payload, null, { ...this.baseRow, ...changes });
  }

  invalid(name: string, payload: string | Uint8Array | null, reason: string) {
    this.add(name, payload, reason);
  }

  /** The base record's members with these values changed (same place, same order). */
  with(changes: Record<string, string>): Member[] {
    return this.base.map(([k, v]) => [k, changes[k] ?? v]);
  }

  without(...names: string[]): Member[] {
    return this.base.filter(([k]) => !names.includes(k));
  }

  /** The base record with the column's value written as `lit`. */
  value(k: Col, label: string, lit: string, expect: Expect) {
    const name = `${k.name}: ${label}`;
    const payload = json(this.with({ [k.name]: lit }));
    if (typeof expect === 'string') this.invalid(name, payload, expect);
    else this.valid(name, payload, { [k.name]: expect.value });
  }

  /** A record with bytes in place of the marker in its text. */
  spliced(name: string, text: string, bytes: readonly number[], reason: string) {
    const [before, after, ...rest] = text.split('@BYTES@');
    if (before === undefined || after === undefined || rest.length) throw new Error('one marker expected');
    this.invalid(name, concat(before, bytes, after), reason);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Value cases by kind. `full` is the set of the first column of a signature; the others get a few cases.

function textCases(g: Corpus, k: Col, full: boolean) {
  const m = k.maxLength;
  const wrong = reasons.wrongType(k.name, k.kind);
  const length = reasons.length(k.name, m);
  const control = reasons.controlCharacter(k.name);
  const lone = reasons.loneSurrogate(k.name);
  g.value(k, 'a number', '123', wrong);
  g.value(k, `${m + 1} ASCII characters`, quote('x'.repeat(m + 1)), length);
  if (!full) {
    g.value(k, 'an escaped NUL', String.raw`"a\u0000"`, control);
    return;
  }
  g.value(k, 'true', 'true', wrong);
  g.value(k, 'an object', '{}', wrong);
  g.value(k, 'an array', '["x"]', wrong);
  g.value(k, 'one character', '"x"', ok('x'));
  g.value(k, `${m} ASCII characters`, quote('x'.repeat(m)), ok('x'.repeat(m)));
  g.value(k, 'the empty string', '""', length);
  // Length counts code points, as PostgreSQL's varchar(n): an emoji is one (two UTF-16 units, four bytes).
  g.value(k, `${m} emoji`, quote(EMOJI.repeat(m)), ok(EMOJI.repeat(m)));
  g.value(k, `${m + 1} emoji`, quote(EMOJI.repeat(m + 1)), length);
  g.value(k, `${m} emoji as escaped surrogate pairs`, quote(EMOJI_ESCAPED.repeat(m)), ok(EMOJI.repeat(m)));
  g.value(k, `${m + 1} emoji as escaped surrogate pairs`, quote(EMOJI_ESCAPED.repeat(m + 1)), length);
  g.value(k, `${m} three-byte characters`, quote('\u4e2d'.repeat(m)), ok('\u4e2d'.repeat(m)));
  g.value(k, `${m + 1} three-byte characters`, quote('\u4e2d'.repeat(m + 1)), length);
  g.value(k, `${m} two-byte characters`, quote('\u00e9'.repeat(m)), ok('\u00e9'.repeat(m)));
  g.value(k, 'an escaped NUL', String.raw`"a\u0000"`, control);
  g.value(k, 'an escaped newline', String.raw`"a\nb"`, control);
  g.value(k, 'a raw DEL', '"a\x7fb"', control);
  g.value(k, 'a raw C1 control (U+0085)', '"a\u0085b"', control);
  g.value(k, 'an escaped C1 control (U+009F)', String.raw`"a\u009f"`, control);
  g.value(k, 'an escaped lone high surrogate', String.raw`"a\ud800"`, lone);
  // Refusals in the order of the policy: control, then lone surrogate, then length.
  g.value(k, `${m + 1} characters and a control character`, quote(`${'x'.repeat(m + 1)}\\u0001`), control);
  g.value(k, `${m + 1} characters and a lone surrogate`, quote(`\\ud800${'x'.repeat(m + 1)}`), lone);
  g.value(k, 'a lone surrogate before a control character', String.raw`"\ud800\u0001"`, control);
}

/** Tokenizer cases of strings, once per profile. */
function stringSyntaxCases(g: Corpus, k: Col) {
  const control = reasons.controlCharacter(k.name);
  const lone = reasons.loneSurrogate(k.name);
  for (const [label, lit] of [
    ['escaped U+0001', String.raw`"\u0001"`],
    ['escaped U+001F', String.raw`"a\u001F"`],
    ['escaped backspace', String.raw`"a\bb"`],
    ['escaped form feed', String.raw`"a\fb"`],
    ['escaped carriage return', String.raw`"a\rb"`],
    ['escaped tab', String.raw`"a\tb"`],
    ['escaped NUL in the middle', String.raw`"a\u0000b"`],
    ['escaped DEL', String.raw`"a\u007F"`],
    ['escaped U+0080', String.raw`"a\u0080"`],
    ['escaped U+0085', String.raw`"\u0085"`],
    ['raw U+0080', '"a\u0080"'],
    ['raw U+009F', '"\u009fa"'],
  ])
    g.value(k, `control: ${label}`, lit as string, control);
  for (const [label, lit, value] of [
    ['escaped space', String.raw`"\u0020a"`, ' a'],
    ['tilde (U+007E)', '"a~"', 'a~'],
    ['raw U+00A0', '"a\u00a0"', 'a\u00a0'],
    ['escaped U+00A0', String.raw`"a\u00A0"`, 'a\u00a0'],
    ['raw U+FEFF inside the text', '"\ufeffa"', '\ufeffa'],
    ['raw U+2028', '"a\u2028b"', 'a\u2028b'],
    ['escaped solidus, backslash and quote', String.raw`"a\/b\\c\"d"`, 'a/b\\c"d'],
    ['escaped letters', String.raw`"\u0041\u00e9"`, 'A\u00e9'],
  ])
    g.value(k, `not a control: ${label}`, lit as string, ok(value as string));
  for (const [label, lit] of [
    ['high U+DBFF', String.raw`"\udbff"`],
    ['low U+DC00', String.raw`"\udc00"`],
    ['low U+DFFF', String.raw`"a\uDFFF"`],
    ['a low then a high (reversed pair)', String.raw`"\ude00\ud83d"`],
    ['a high then a letter', String.raw`"\ud83dx"`],
    ['a high at the end', String.raw`"x\ud83d"`],
    ['two highs then a low', String.raw`"\ud83d\ud83d\ude00"`],
    ['a high then an escaped letter', String.raw`"\ud83d\u0041"`],
    ['a high then a raw emoji', `"\\ud83d${EMOJI}"`],
  ])
    g.value(k, `lone surrogate: ${label}`, lit as string, lone);
  g.value(k, 'a high surrogate then an escaped newline', String.raw`"\ud83d\n"`, control);
  for (const [label, lit, value] of [
    ['U+10000 escaped', String.raw`"\ud800\udc00"`, '\u{10000}'],
    ['U+10FFFF escaped', String.raw`"\udbff\udfff"`, '\u{10ffff}'],
    ['an emoji escaped in upper case', String.raw`"\uD83D\uDE00"`, EMOJI],
  ])
    g.value(k, `surrogate pair: ${label}`, lit as string, ok(value as string));
  for (const [label, lit] of [
    ['raw NUL', '"a\x00b"'],
    ['raw U+0001', '"a\x01"'],
    ['raw U+001F', '"\x1fa"'],
    ['raw tab', '"a\tb"'],
    ['raw newline', '"a\nb"'],
    ['raw carriage return', '"a\rb"'],
    ['escape \\x41', String.raw`"\x41"`],
    ['escape \\u with a non-hex digit', String.raw`"\u00g0"`],
    ['escape \\u with three digits', String.raw`"\u123"`],
    ['escape \\U0041', String.raw`"\U0041"`],
    ['escaped single quote', String.raw`"\'"`],
    ['escape \\a', String.raw`"\a"`],
    ['escape \\0', String.raw`"\0"`],
    ['a backslash before a space', String.raw`"a\ b"`],
    ['a short escape after a high surrogate', String.raw`"\ud800\u12"`],
    ['single quotes', "'abc'"],
    ['no closing quote before the next member', '"abc,'],
  ])
    g.value(k, `syntax: ${label}`, lit as string, reasons.syntax);
}

function enumCases(g: Corpus, k: Col, full: boolean) {
  const v = k.values[0] as string;
  const notOneOf = reasons.notOneOf(k.name, k.values);
  const lower = v.toLowerCase() === v ? `${v}${v}` : v.toLowerCase();
  g.value(k, 'a number', '1', reasons.wrongType(k.name, k.kind));
  g.value(k, `${lower} (not a value)`, quote(lower), notOneOf);
  if (!full) return;
  g.value(k, 'true', 'true', reasons.wrongType(k.name, k.kind));
  g.value(k, 'an array', `[${quote(v)}]`, reasons.wrongType(k.name, k.kind));
  g.value(k, 'the empty string', '""', notOneOf);
  g.value(k, 'a value and a space', quote(`${v} `), notOneOf);
  g.value(k, 'a space and a value', quote(` ${v}`), notOneOf);
  g.value(k, 'a value and a letter', quote(`${v}X`), notOneOf);
  const longest = k.values.reduce((a, b) => (b.length > a.length ? b : a));
  if (longest.length > 1) g.value(k, 'a prefix of a value', quote(longest.slice(0, -1)), notOneOf);
  g.value(k, 'a value and an escaped NUL', quote(`${v}\\u0000`), reasons.controlCharacter(k.name));
  g.value(k, 'a value and a lone surrogate', quote(`${v}\\udc00`), reasons.loneSurrogate(k.name));
  g.value(k, 'a value written with an escape', quote(`\\u${hex(v)}${v.slice(1)}`), ok(v));
}

const hex = (s: string) => (s.codePointAt(0) as number).toString(16).padStart(4, '0');

function decimalCases(g: Corpus, k: Col, full: boolean) {
  const S = k.scale;
  const W = k.precision - k.scale;
  /** The decoded text of a decimal with these whole digits and decimals. */
  const text = (whole: string, decimals = '') => `${whole}.${decimals.padEnd(S, '0')}`;
  const wrong = reasons.wrongType(k.name, k.kind);
  const decimals = reasons.decimals(k.name, S);
  const range = reasons.outOfRange(k.name);
  const below = k.min === undefined ? '' : reasons.belowMin(k.name, String(k.min), k.exclusiveMin);
  const max = `${'9'.repeat(W)}.${'9'.repeat(S)}`;
  g.value(k, 'a number as a string "10.5"', '"10.5"', wrong);
  g.value(k, `${S + 1} decimals`, `1.${'5'.repeat(S + 1)}`, decimals);
  g.value(k, `10^${W}`, `1${'0'.repeat(W)}`, range);
  if (k.min !== undefined) g.value(k, String(k.min - 1), String(k.min - 1), below);
  if (!full) return;
  g.value(k, 'true', 'true', wrong);
  g.value(k, 'an object', '{"value":10.5}', wrong);
  g.value(k, 'an array', '[10.5]', wrong);
  // The scale counts after dropping trailing zeros; the decoders never round.
  g.value(k, `${S} decimals`, `1.${'5'.repeat(S)}`, ok(text('1', '5'.repeat(S))));
  g.value(k, `${S} decimals and 4 trailing zeros`, `1.${'5'.repeat(S)}0000`, ok(text('1', '5'.repeat(S))));
  g.value(k, `${S + 4} zero decimals`, `1.${'0'.repeat(S + 4)}`, ok(text('1')));
  g.value(k, 'an integer', '7', ok(text('7')));
  g.value(k, `1e-${S}`, `1e-${S}`, ok(text('0', `${'0'.repeat(S - 1)}1`)));
  g.value(k, `1E-${S + 1}`, `1E-${S + 1}`, decimals);
  g.value(k, `15e-${S + 1} (${S + 1} decimals by exponent)`, `15e-${S + 1}`, decimals);
  g.value(k, '1.5e2', '1.5e2', ok(text('150')));
  g.value(k, '0.5E+1', '0.5E+1', ok(text('5')));
  g.value(k, '1e-400', '1e-400', decimals);
  g.value(k, 'a 101-character literal of 99 decimals', `0.${'1'.repeat(99)}`, decimals);
  g.value(
    k,
    `10^${W} with ${S + 1} decimals (decimals before range)`,
    `1${'0'.repeat(W)}.${'0'.repeat(S)}1`,
    decimals,
  );
  g.value(k, 'the largest value', max, ok(max));
  g.value(k, 'the largest value and trailing zeros', `${max}000`, ok(max));
  g.value(k, 'the largest value by exponent', `${'9'.repeat(W + S)}e-${S}`, ok(max));
  g.value(k, `1e${W}`, `1e${W}`, range);
  g.value(k, `10^${W} and zero decimals`, `1${'0'.repeat(W)}.${'0'.repeat(S + 2)}`, range);
  g.value(k, `-10^${W} (range before the minimum)`, `-1${'0'.repeat(W)}`, range);
  g.value(k, '1e400', '1e400', range);
  g.value(k, '-1e400', '-1e400', range);
  g.value(k, 'an exponent of 20 digits', '1e99999999999999999999', range);
  g.value(k, 'a 101-character literal', `1.${'0'.repeat(99)}`, range);
  g.value(k, 'a 100-character literal', `1.${'0'.repeat(98)}`, ok(text('1')));
  // Exact beyond a double: 2^53 + 1 is not 2^53.
  g.value(
    k,
    '9007199254740993 (2^53 + 1)',
    '9007199254740993',
    W >= 16 ? ok(text('9007199254740993')) : range,
  );
  if (W >= 16)
    g.value(k, '9007199254740993.0001', '9007199254740993.0001', ok(text('9007199254740993', '0001')));
  if (k.min === undefined) {
    g.value(k, 'a negative value', '-1.5', ok(`-${text('1', '5')}`));
    g.value(k, 'the smallest value', `-${max}`, ok(`-${max}`));
  } else if (k.exclusiveMin) {
    g.value(k, `${k.min} (the exclusive minimum)`, String(k.min), below);
    if (k.min === 0) {
      g.value(k, '-0', '-0', below);
      g.value(k, '0.0', '0.0', below);
      g.value(k, '0e5', '0e5', below);
      g.value(k, `-1e-${S}`, `-1e-${S}`, below);
      g.value(
        k,
        `1e-${S} (the smallest above 0)`,
        `0.${'0'.repeat(S - 1)}1`,
        ok(text('0', `${'0'.repeat(S - 1)}1`)),
      );
    }
  } else {
    g.value(k, `${k.min} (the minimum)`, String(k.min), ok(text(String(k.min))));
    if (k.min === 0) {
      g.value(k, '-0', '-0', ok(text('0')));
      g.value(k, '-0.0e3', '-0.0e3', ok(text('0')));
      g.value(k, `-1e-${S}`, `-1e-${S}`, below);
    }
  }
}

/** Tokenizer cases of numbers, once per profile. */
function numberSyntaxCases(g: Corpus, k: Col) {
  for (const lit of [
    '01.5',
    '00',
    '-01',
    '.5',
    '1.',
    '+1',
    '1.5e',
    '1e+',
    '1e-',
    '0x10',
    '1_000',
    '1.5.3',
    '1e5e5',
    '-',
    '--1',
    '- 1',
    'NaN',
    'Infinity',
    '-Infinity',
    'undefined',
  ])
    g.value(k, `syntax: ${lit}`, lit, reasons.syntax);
}

function integerCases(g: Corpus, k: Col, full: boolean) {
  const wrong = reasons.wrongType(k.name, k.kind);
  const range = reasons.outOfRange(k.name);
  const below = k.min === undefined ? '' : reasons.belowMin(k.name, String(k.min), false);
  const v = k.value as number;
  const int = k.kind === 'int';
  const [lo, hi] = int ? [-(2 ** 31), 2 ** 31 - 1] : [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  g.value(k, `a number as a string "${v}"`, quote(String(v)), wrong);
  g.value(k, '1.5', '1.5', wrong);
  g.value(k, String(hi + 1), String(hi + 1), range);
  if (k.min !== undefined) g.value(k, String(k.min - 1), String(k.min - 1), below);
  if (!full) return;
  g.value(k, 'true', 'true', wrong);
  g.value(k, 'an object', '{}', wrong);
  g.value(k, '15e-1', '15e-1', wrong);
  g.value(k, '1e-400', '1e-400', wrong);
  g.value(k, `${hi}.5`, `${hi}.5`, wrong);
  g.value(
    k,
    'a 101-character literal with a fraction (fraction before range)',
    `1.${'0'.repeat(98)}1`,
    wrong,
  );
  // Integral values in any form are integers.
  g.value(k, `${v}.0`, `${v}.0`, ok(v));
  g.value(k, `${v}.000`, `${v}.000`, ok(v));
  g.value(k, `${v} in exponent notation`, scientific(v), ok(v));
  g.value(k, `${v}0e-1`, `${v}0e-1`, ok(v));
  g.value(k, `${v}E+0`, `${v}E+0`, ok(v));
  g.value(k, 'a 100-character literal', `1.${'0'.repeat(98)}`, ok(1));
  g.value(k, String(hi), String(hi), ok(hi));
  g.value(k, `${hi} in exponent notation`, scientific(hi), ok(hi));
  g.value(k, `${hi}0e-1`, `${hi}0e-1`, ok(hi));
  const hiPlus2 = String(BigInt(hi) + 2n);
  g.value(k, hiPlus2, hiPlus2, range);
  g.value(k, `${hiPlus2}.0`, `${hiPlus2}.0`, range);
  g.value(k, '1e16', '1e16', range);
  g.value(k, '2^64', '18446744073709551616', range);
  g.value(k, '1e400', '1e400', range);
  g.value(k, 'a 101-character literal', `1.${'0'.repeat(99)}`, range);
  g.value(k, `${lo - 1} (range before the minimum)`, String(lo - 1), range);
  g.value(k, '-1e400', '-1e400', range);
  if (int) g.value(k, '2^53 + 1', '9007199254740993', range);
  if (k.min === undefined) {
    g.value(k, String(lo), String(lo), ok(lo));
    g.value(k, '-1', '-1', ok(-1));
  } else {
    g.value(k, `${k.min} (the minimum)`, String(k.min), ok(k.min));
    g.value(k, `${lo} (below the minimum)`, String(lo), below);
    if (k.min === 0) {
      g.value(k, '-0', '-0', ok(0));
      g.value(k, '-0.0', '-0.0', ok(0));
      g.value(k, '0 with an exponent of 20 digits', '0e99999999999999999999', ok(0));
      g.value(k, '-1e0', '-1e0', below);
    }
    if (k.min === 1) {
      g.value(k, '-0', '-0', below);
      g.value(k, '0.0', '0.0', below);
      g.value(k, '1e0', '1e0', ok(1));
    }
  }
}

/** A positive integer as JSON's exponent notation: 117 as 1.17e2. */
function scientific(v: number): string {
  const s = String(v);
  return `${s[0]}${s.length > 1 ? `.${s.slice(1)}` : ''}e${s.length - 1}`;
}

function instantCases(g: Corpus, k: Col, full: boolean) {
  const wrong = reasons.wrongType(k.name, k.kind);
  const range = reasons.outOfRange(k.name);
  const negative = reasons.negative(k.name);
  g.value(k, 'an ISO-8601 string', '"2026-01-01T00:00:00.000Z"', wrong);
  g.value(k, '-1', '-1', negative);
  g.value(k, `${MAX_EPOCH_MS + 1} (10000-01-01)`, String(MAX_EPOCH_MS + 1), range);
  if (!full) return;
  g.value(k, 'a number as a string', quote(String(EPOCH_2026)), wrong);
  g.value(k, 'true', 'true', wrong);
  g.value(k, '1.5', '1.5', wrong);
  g.value(k, `${EPOCH_2026}.5`, `${EPOCH_2026}.5`, wrong);
  g.value(k, '-1.5 (fraction before negative)', '-1.5', wrong);
  g.value(k, '0', '0', ok(0));
  g.value(k, '-0', '-0', ok(0));
  g.value(k, '0.0', '0.0', ok(0));
  g.value(k, `${EPOCH_2026}.000`, `${EPOCH_2026}.000`, ok(EPOCH_2026));
  g.value(k, '1.7672256e12', '1.7672256e12', ok(EPOCH_2026));
  g.value(k, `${MAX_EPOCH_MS} (9999-12-31T23:59:59.999Z)`, String(MAX_EPOCH_MS), ok(MAX_EPOCH_MS));
  g.value(k, `${MAX_EPOCH_MS} in exponent notation`, scientific(MAX_EPOCH_MS), ok(MAX_EPOCH_MS));
  g.value(k, `-${EPOCH_2026}`, `-${EPOCH_2026}`, negative);
  g.value(k, '-1e400', '-1e400', negative);
  g.value(k, '-(2^53 + 1)', '-9007199254740993', negative);
  g.value(k, 'a negative 101-character literal (negative before range)', `-1.${'0'.repeat(98)}`, negative);
  g.value(k, '1e15', '1e15', range);
  g.value(k, '2^53', '9007199254740992', range);
  g.value(k, '2^53 + 1', '9007199254740993', range);
  g.value(k, '1e400', '1e400', range);
  g.value(k, 'a 101-character literal', `1.${'0'.repeat(99)}`, range);
  g.value(k, 'a 100-character literal', `1.${'0'.repeat(98)}`, ok(1));
}

function doubleCases(g: Corpus, k: Col, full: boolean) {
  const wrong = reasons.wrongType(k.name, k.kind);
  const range = reasons.outOfRange(k.name);
  g.value(k, 'a number as a string "0.5"', '"0.5"', wrong);
  g.value(k, '1e400', '1e400', range);
  if (!full) return;
  g.value(k, 'true', 'true', wrong);
  g.value(k, 'an array', '[0.5]', wrong);
  g.value(k, '-1e400', '-1e400', range);
  g.value(k, '1.8e308', '1.8e308', range);
  g.value(k, '1.7976931348623159e308 (rounds up to infinity)', '1.7976931348623159e308', range);
  g.value(k, 'a 101-character literal', `1.${'0'.repeat(99)}`, range);
  for (const [lit, value] of [
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['-1.7976931348623157e308', -1.7976931348623157e308],
    ['2.2250738585072014e-308', 2.2250738585072014e-308],
    ['5e-324', 5e-324],
    ['1e-400', 0],
    ['9007199254740993', 9007199254740992],
    ['0.1', 0.1],
    ['0.30000000000000004', 0.30000000000000004],
    ['-2.5', -2.5],
    ['1E2', 100],
    ['1e+2', 100],
    ['123456789012345678901234567890', 1.2345678901234568e29],
    [`1.${'0'.repeat(98)}`, 1],
  ] as const)
    g.value(k, lit.length > 40 ? 'a 100-character literal' : lit, lit, ok(value));
}

function booleanCases(g: Corpus, k: Col, full: boolean) {
  const wrong = reasons.wrongType(k.name, k.kind);
  g.value(k, 'a string "true"', '"true"', wrong);
  g.value(k, '1', '1', wrong);
  g.value(k, String(!k.value), String(!k.value), ok(!k.value));
  if (!full) return;
  g.value(k, '0', '0', wrong);
  g.value(k, 'a string "false"', '"false"', wrong);
  g.value(k, 'an object', '{}', wrong);
  for (const lit of ['True', 'FALSE', 'tru', 'truee', 'nul', 'nulll'])
    g.value(k, `syntax: ${lit}`, lit, reasons.syntax);
}

function columnCases(g: Corpus, k: Col, full: boolean) {
  if (k.required) {
    g.invalid(`${k.name}: absent`, json(g.without(k.name)), reasons.missingField(k.name));
    g.value(k, 'null', 'null', reasons.missingField(k.name));
  } else {
    g.valid(`${k.name}: absent (nullable)`, json(g.without(k.name)), { [k.name]: null });
    g.value(k, 'null (nullable)', 'null', ok(null));
  }
  switch (k.kind) {
    case 'text':
      return textCases(g, k, full);
    case 'enum':
      return enumCases(g, k, full);
    case 'decimal':
      return decimalCases(g, k, full);
    case 'bigint':
    case 'int':
      return integerCases(g, k, full);
    case 'instant':
      return instantCases(g, k, full);
    case 'double':
      return doubleCases(g, k, full);
    case 'boolean':
      return booleanCases(g, k, full);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Valid variants of the whole record: every column of a kind at once.

function variantCases(g: Corpus) {
  const cols = g.cols;
  const of = (...kinds: ValueKind[]) => cols.filter((k) => kinds.includes(k.kind));
  /** The base record with some columns rewritten: `f` gives the literal and the decoded value of a column. */
  const variant = (name: string, targets: Col[], f: (k: Col) => [string, DecodedValue] | undefined) => {
    const lits: Record<string, string> = {};
    const row: DecodedRecord = {};
    for (const k of targets) {
      const r = f(k);
      if (!r) continue;
      lits[k.name] = r[0];
      row[k.name] = r[1];
    }
    if (Object.keys(lits).length) g.valid(`valid: ${name}`, json(g.with(lits)), row);
  };
  const base = g.base;
  g.valid('valid: the base record', json(base));
  g.valid('valid: keys in reverse order', json([...base].reverse()));
  g.valid(
    'valid: whitespace around every token',
    ` \n\t{\r\n  ${base.map(([k, v]) => `"${k}" \t:\r\n ${v}`).join(' ,\n  ')}\n}\r\n `,
  );
  g.valid('valid: trailing whitespace', `${json(base)} \n\t\r`);
  g.valid(
    'valid: key names written with escapes',
    json(base.map(([k, v]) => [`\\u${hex(k)}${k.slice(1)}`, v])),
  );
  const nullable = cols.filter((k) => !k.required);
  if (nullable.length) {
    g.valid(
      'valid: nullable columns null',
      json(g.with(Object.fromEntries(nullable.map((k) => [k.name, 'null'])))),
      Object.fromEntries(nullable.map((k) => [k.name, null])),
    );
    g.valid(
      'valid: nullable columns absent',
      json(g.without(...nullable.map((k) => k.name))),
      Object.fromEntries(nullable.map((k) => [k.name, null])),
    );
  }
  const text = of('text');
  variant('text at its maximum length in ASCII', text, (k) => {
    const v = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(10).slice(0, k.maxLength);
    return [quote(v), v];
  });
  variant('text at its maximum length in emoji', text, (k) => [
    quote(EMOJI.repeat(k.maxLength)),
    EMOJI.repeat(k.maxLength),
  ]);
  variant('text at its maximum length in escaped surrogate pairs', text, (k) => [
    quote(EMOJI_ESCAPED.repeat(k.maxLength)),
    EMOJI.repeat(k.maxLength),
  ]);
  variant('text of one character', text, () => ['"x"', 'x']);
  // Eight code points (every text column allows 8): the neighbours of the control ranges and UTF-8's edges.
  variant('text next to the control ranges', text, () => [
    `"\\u0020~\u00a0\ufeff\u2028\ufffd\u{10ffff}\\ue000"`,
    ' ~\u00a0\ufeff\u2028\ufffd\u{10ffff}\ue000',
  ]);
  variant('text at the edges of UTF-8 sequence lengths', text, () => [
    '"\u007e\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}"',
    '\u007e\u07ff\u0800\ud7ff\ue000\uffff\u{10000}\u{10ffff}',
  ]);
  const enums = of('enum');
  const most = Math.max(0, ...enums.map((k) => k.values.length));
  for (let j = 0; j < most; j++)
    variant(`enum values, number ${j + 1} of each`, enums, (k) => {
      const v = k.values[j % k.values.length] as string;
      return [quote(v), v];
    });
  variant('enum values written with escapes', enums, (k) => {
    const v = k.values[k.values.length - 1] as string;
    return [quote(`\\u${hex(v).toUpperCase()}${v.slice(1)}`), v];
  });
  const decimals = of('decimal');
  const whole = (k: Col) => k.precision - k.scale;
  variant('decimals at their maximum', decimals, (k) => {
    const max = `${'9'.repeat(whole(k))}.${'9'.repeat(k.scale)}`;
    return [max, max];
  });
  variant('decimals at their smallest', decimals, (k) => {
    if (k.min === undefined) {
      const max = `-${'9'.repeat(whole(k))}.${'9'.repeat(k.scale)}`;
      return [max, max];
    }
    const v = k.exclusiveMin ? `${k.min}.${'0'.repeat(k.scale - 1)}1` : `${k.min}.${'0'.repeat(k.scale)}`;
    return [v, v];
  });
  variant('decimals with trailing zeros beyond the scale', decimals, (k) => [`${k.lit}0000000000`, k.value]);
  variant('decimals in exponent notation', decimals, (k) => [`${k.lit.replace('.', '')}e-1`, k.value]);
  variant('decimals in upper-case exponent notation with a sign', decimals, (k) => [
    `0.${k.lit.replace('.', '')}E+${k.lit.indexOf('.')}`,
    k.value,
  ]);
  variant('decimals written as integers', decimals, (k) => {
    const v = String(10 + k.index);
    return [v, `${v}.${'0'.repeat(k.scale)}`];
  });
  const integers = of('bigint', 'int', 'instant');
  variant('integers written with a zero fraction', integers, (k) => [`${k.lit}.0`, k.value]);
  variant('integers written with three zero decimals', integers, (k) => [`${k.lit}.000`, k.value]);
  variant('integers in exponent notation', integers, (k) => [scientific(k.value as number), k.value]);
  variant('integers as a fraction times a power of ten', integers, (k) => [`${k.lit}0e-1`, k.value]);
  variant('integers at their maximum', integers, (k) => {
    const v = k.kind === 'int' ? 2 ** 31 - 1 : k.kind === 'instant' ? MAX_EPOCH_MS : Number.MAX_SAFE_INTEGER;
    return [String(v), v];
  });
  variant('integers at their minimum', integers, (k) => {
    const v =
      k.kind === 'instant' ? 0 : (k.min ?? (k.kind === 'int' ? -(2 ** 31) : -Number.MAX_SAFE_INTEGER));
    return [String(v), v];
  });
  variant('zero written -0', [...integers, ...decimals], (k) => {
    const zeroOk = k.kind === 'instant' || (k.min !== undefined ? k.min <= 0 && !k.exclusiveMin : true);
    if (!zeroOk) return undefined;
    return ['-0', k.kind === 'decimal' ? `0.${'0'.repeat(k.scale)}` : 0];
  });
  variant('numbers of 100 characters', [...integers, ...decimals, ...of('double')], (k) => [
    `1.${'0'.repeat(98)}`,
    k.kind === 'decimal' ? `1.${'0'.repeat(k.scale)}` : 1,
  ]);
  variant('integers beyond 2^53 where exact decimals allow', decimals, (k) =>
    whole(k) >= 16 ? [SAFE.replace(/1$/, '3'), `9007199254740993.${'0'.repeat(k.scale)}`] : undefined,
  );
  const extremes = [
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['-1.7976931348623157e308', -1.7976931348623157e308],
    ['5e-324', 5e-324],
    ['1e-400', 0],
  ] as const;
  for (let j = 0; j < extremes.length; j++)
    variant(`doubles at their extremes, number ${j + 1}`, of('double'), (k) => {
      const [lit, v] = extremes[(j + k.index) % extremes.length] as (typeof extremes)[number];
      return [lit, v];
    });
  variant('booleans flipped', of('boolean'), (k) => [String(!k.value), !k.value]);
}

// ---------------------------------------------------------------------------------------------------------
// Record-level cases: encoding, syntax, shape, unknown, duplicate and missing fields, and their order.

function recordCases(g: Corpus) {
  const base = g.base;
  const record = json(base);
  const first = g.cols[0] as Col;
  const last = g.cols[g.cols.length - 1] as Col;
  const text = g.cols.find((k) => k.kind === 'text') as Col;
  const numeric = g.cols.find((k) => k.kind === 'decimal' || k.kind === 'bigint') as Col;
  const firstRequired = g.cols.find((k) => k.required) as Col;
  const syntax = reasons.syntax;

  // Empty.
  g.invalid('empty: a null record (tombstone)', null, reasons.empty);
  g.invalid('empty: zero bytes', '', reasons.empty);

  // Encoding: bytes in the first text column's value, then elsewhere. Encoding is judged before syntax.
  const inText = json(g.with({ [text.name]: '"a@BYTES@b"' }));
  for (const [label, bytes] of [
    ['overlong 2-byte "/" (C0 AF)', [0xc0, 0xaf]],
    ['overlong 2-byte (C1 BF)', [0xc1, 0xbf]],
    ['overlong NUL (C0 80, modified UTF-8)', [0xc0, 0x80]],
    ['overlong 3-byte (E0 80 AF)', [0xe0, 0x80, 0xaf]],
    ['overlong 4-byte (F0 80 80 AF)', [0xf0, 0x80, 0x80, 0xaf]],
    ['encoded high surrogate U+D800 (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['encoded low surrogate U+DFFF (ED BF BF)', [0xed, 0xbf, 0xbf]],
    ['a surrogate pair encoded as CESU-8', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['truncated 2-byte sequence (C3)', [0xc3]],
    ['truncated 3-byte sequence (E2 82)', [0xe2, 0x82]],
    ['truncated 4-byte sequence (F0 9F 98)', [0xf0, 0x9f, 0x98]],
    ['a lone continuation byte (80)', [0x80]],
    ['a lone continuation byte (BF)', [0xbf]],
    ['byte FF', [0xff]],
    ['byte FE', [0xfe]],
    ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
    ['lead byte F5 (F5 80 80 80)', [0xf5, 0x80, 0x80, 0x80]],
    ['a 5-byte sequence (F8 88 80 80 80)', [0xf8, 0x88, 0x80, 0x80, 0x80]],
    ['Latin-1 text ("caf" E9)', [0xe9]],
  ] as const)
    g.spliced(`encoding: ${label}`, inText, bytes, reasons.encoding);
  g.spliced('encoding: in an unknown key', json([['x@BYTES@', '1'], ...base]), [0xff], reasons.encoding);
  g.spliced(
    'syntax: a no-break space (U+00A0) between tokens',
    `{@BYTES@${record.slice(1)}`,
    [0xc2, 0xa0],
    syntax,
  );
  g.spliced('encoding: between tokens', `{@BYTES@${record.slice(1)}`, [0xa0], reasons.encoding);
  g.spliced('encoding: after the record', `${record}@BYTES@`, [0xe2, 0x82], reasons.encoding);
  g.spliced(
    'encoding: in a truncated record (encoding before syntax)',
    `${record.slice(0, 20)}@BYTES@`,
    [0xff],
    reasons.encoding,
  );
  g.spliced(
    'encoding: in the value of an unknown field',
    json([...base, ['note', '"@BYTES@"']]),
    [0xed, 0xa0, 0x80],
    reasons.encoding,
  );

  // Syntax, over the whole record.
  g.invalid('syntax: whitespace only', ' \n\t\r ', syntax);
  g.invalid('syntax: a byte-order mark before the record', concat([0xef, 0xbb, 0xbf], record), syntax);
  g.invalid('syntax: a byte-order mark alone', concat([0xef, 0xbb, 0xbf]), syntax);
  g.invalid('syntax: the last byte missing', record.slice(0, -1), syntax);
  g.invalid('syntax: cut inside a key', record.slice(0, record.indexOf(`"${base[1]?.[0]}"`) + 3), syntax);
  g.invalid('syntax: cut after a colon', record.slice(0, record.indexOf(':') + 1), syntax);
  g.invalid(
    'syntax: cut inside a number',
    `${json(g.without(numeric.name)).slice(0, -1)},"${numeric.name}":1`,
    syntax,
  );
  g.invalid('syntax: cut inside an escape', `{"${text.name}":"a\\u00`, syntax);
  g.invalid('syntax: a backslash at the end', `{"${text.name}":"a\\`, syntax);
  g.invalid('syntax: an opening brace alone', '{', syntax);
  g.invalid('syntax: a quote alone', '"', syntax);
  g.invalid('syntax: a closing brace alone', '}', syntax);
  g.invalid('syntax: a trailing letter', `${record}x`, syntax);
  g.invalid('syntax: a trailing brace', `${record}}`, syntax);
  g.invalid('syntax: a trailing comma after the record', `${record},`, syntax);
  g.invalid('syntax: a trailing raw NUL', `${record}\x00`, syntax);
  g.invalid('syntax: two records', `${record}${record}`, syntax);
  g.invalid('syntax: two records on two lines', `${record}\n${record}\n`, syntax);
  g.invalid('syntax: a trailing comma inside the record', `${record.slice(0, -1)},}`, syntax);
  g.invalid('syntax: a leading comma inside the record', `{,${record.slice(1)}`, syntax);
  g.invalid('syntax: two commas', record.replace(',', ',,'), syntax);
  g.invalid('syntax: a missing comma', record.replace(',', ' '), syntax);
  g.invalid('syntax: a missing colon', record.replace(':', ' '), syntax);
  g.invalid('syntax: an equals sign for a colon', record.replace(':', '='), syntax);
  g.invalid('syntax: an unquoted key', record.replace(`"${first.name}"`, first.name), syntax);
  g.invalid('syntax: a single-quoted key', record.replace(`"${first.name}"`, `'${first.name}'`), syntax);
  g.invalid('syntax: a block comment before the record', `/* trade */${record}`, syntax);
  g.invalid('syntax: a line comment after the record', `${record}// trade\n`, syntax);
  g.invalid('syntax: a block comment inside the record', `{/* trade */${record.slice(1)}`, syntax);
  g.invalid('syntax: a hash comment', `# trade\n${record}`, syntax);
  g.invalid('syntax: a key without a value', `{"${first.name}"}`, syntax);
  g.invalid('syntax: an array left open', `[${record}`, syntax);

  // Shape: a single valid JSON value that is not an object.
  for (const [label, text] of [
    ['an empty array', '[]'],
    ['an array of the record', `[${record}]`],
    ['a number', '42'],
    ['a number with whitespace', ' -0.5e3 \n'],
    ['a string', '"trade"'],
    ['the record as a JSON string', JSON.stringify(record)],
    ['true', 'true'],
    ['the literal null', 'null'],
  ])
    g.invalid(`shape: ${label}`, text as string, reasons.shape);
  g.invalid('syntax: a number with a leading zero at the top', '042', syntax);
  g.invalid('syntax: NaN at the top', 'NaN', syntax);

  // Deep nesting: no limit, and no stack overflow.
  const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  g.invalid(
    `unknown: a value nested ${DEEP} levels deep`,
    json([['deep', arrays(DEEP)], ...base]),
    reasons.unknownField('deep'),
  );
  g.invalid(`shape: arrays nested ${DEEP} levels deep`, arrays(DEEP), reasons.shape);
  g.invalid(
    'unknown: objects nested 10000 levels deep',
    json([...base, ['deep', `${'{"a":'.repeat(10_000)}null${'}'.repeat(10_000)}`]]),
    reasons.unknownField('deep'),
  );
  g.invalid(
    'syntax: arrays nested 10000 levels deep, one left open',
    json([['deep', `${'['.repeat(10_000)}${']'.repeat(9_999)}`], ...base]),
    syntax,
  );
  g.invalid(
    `${numeric.name}: arrays nested 10000 levels deep`,
    json(g.with({ [numeric.name]: arrays(10_000) })),
    reasons.wrongType(numeric.name, numeric.kind),
  );

  // Unknown fields: the name is printed only when it is [A-Za-z0-9_.-]{1,64}.
  const unknown = (label: string, key: string, reason: string, at: 'start' | 'end' = 'start') => {
    const members: Member[] = at === 'start' ? [[key, '1'], ...base] : [...base, [key, '1']];
    g.invalid(`unknown: ${label}`, json(members), reason);
  };
  const printed = reasons.unknownField;
  const unprintable = reasons.unknownField('\u0000');
  unknown('a name at the start', 'foo', printed('foo'));
  unknown('a name at the end', 'foo', printed('foo'), 'end');
  g.invalid(
    'unknown: a name in the middle',
    json([base[0] as Member, ['foo', '1'], ...base.slice(1)]),
    printed('foo'),
  );
  unknown('a name of every printable kind', 'A-z.0_9', printed('A-z.0_9'));
  unknown('a name of 64 characters', 'n'.repeat(64), printed('n'.repeat(64)));
  unknown('a name of 65 characters', 'n'.repeat(65), unprintable);
  unknown('the empty name', '', unprintable);
  unknown('a name with a space', 'a b', unprintable);
  unknown('a column name and a space', `${first.name} `, unprintable);
  unknown('a column name in upper case', first.name.toUpperCase(), printed(first.name.toUpperCase()));
  unknown('a name with a dollar sign', '$x', unprintable);
  unknown('a name with an accent', 'pr\u00e9', unprintable);
  unknown('a name with an emoji', EMOJI, unprintable);
  unknown('a name with an escaped NUL', String.raw`x\u0000`, unprintable);
  unknown('a name with an escaped newline', String.raw`foo\n`, unprintable);
  unknown('a name with a lone surrogate', String.raw`\ud800`, unprintable);
  unknown('a column name with an escaped NUL', `${first.name}\\u0000`, unprintable);
  g.invalid('unknown: with a null value', json([['foo', 'null'], ...base]), printed('foo'));
  g.invalid(
    'unknown: with an object value',
    json([...base, ['meta', '{"a":[1,2,{"b":null}],"a":"dup"}']]),
    printed('meta'),
  );
  g.invalid(
    'unknown: before an invalid value',
    json([['foo', '1'], ...g.with({ [numeric.name]: '"x"' })]),
    printed('foo'),
  );
  g.invalid(
    'order: an invalid value before an unknown field',
    json([...g.with({ [numeric.name]: '"x"' }), ['foo', '1']]),
    reasons.wrongType(numeric.name, numeric.kind),
  );
  g.invalid(
    'order: a syntax error after an unknown field',
    `${json([['foo', '1'], ...base]).slice(0, -1)},}`,
    syntax,
  );
  g.invalid(
    'order: a syntax error after an invalid value',
    `${json(g.with({ [numeric.name]: '"x"' }))}x`,
    syntax,
  );
  g.invalid(
    'order: a syntax error in a later value',
    json(g.with({ [numeric.name]: '"x"', [last.name]: '01' })),
    syntax,
  );

  // Duplicate fields.
  const dup = (label: string, extra: Member, reason: string, members = base) =>
    g.invalid(`duplicate: ${label}`, json([...members, extra]), reason);
  dup(`${first.name} with the same value`, [first.name, first.lit], reasons.duplicateField(first.name));
  dup(`${first.name} with another value`, [first.name, '"other"'], reasons.duplicateField(first.name));
  dup(
    `${numeric.name} with an invalid value (duplicate before value)`,
    [numeric.name, '"x"'],
    reasons.duplicateField(numeric.name),
  );
  dup(`${last.name}, the last column`, [last.name, last.lit], reasons.duplicateField(last.name));
  dup(
    `${first.name} under an escaped name`,
    [`\\u${hex(first.name)}${first.name.slice(1)}`, first.lit],
    reasons.duplicateField(first.name),
  );
  g.invalid(
    `duplicate: ${numeric.name} invalid, then again`,
    json([...g.with({ [numeric.name]: '"x"' }), [numeric.name, numeric.lit]]),
    reasons.wrongType(numeric.name, numeric.kind),
  );
  g.invalid(
    `duplicate: ${first.name} three times`,
    json([[first.name, first.lit], ...base, [first.name, first.lit]]),
    reasons.duplicateField(first.name),
  );
  g.invalid('duplicate: an unknown name twice', json([...base, ['foo', '1'], ['foo', '1']]), printed('foo'));
  for (const k of g.cols.filter((c) => !c.required)) {
    dup(
      `${k.name} null, then a value`,
      [k.name, k.lit],
      reasons.duplicateField(k.name),
      g.with({ [k.name]: 'null' }),
    );
    dup(`${k.name} a value, then null`, [k.name, 'null'], reasons.duplicateField(k.name));
  }

  // Missing fields, in schema order, after every field check.
  g.invalid('missing: the empty object', '{}', reasons.missingField(firstRequired.name));
  g.invalid(
    'missing: the empty object with whitespace',
    ' { \n } ',
    reasons.missingField(firstRequired.name),
  );
  g.invalid(
    'missing: only the last column',
    json([[last.name, last.lit]]),
    reasons.missingField(firstRequired.name),
  );
  const second = g.cols[1] as Col;
  g.invalid(
    `missing: ${second.name} and ${last.name} from a reversed record (schema order)`,
    json(g.without(second.name, last.name).reverse()),
    reasons.missingField(second.name),
  );
  g.invalid(
    `order: ${first.name} missing and ${numeric.name} invalid (fields before missing)`,
    json(g.with({ [numeric.name]: '"x"' }).filter(([k]) => k !== first.name)),
    reasons.wrongType(numeric.name, numeric.kind),
  );
  g.invalid(
    `order: ${first.name} and ${last.name} invalid, reversed (the first to appear)`,
    json(g.with({ [first.name]: '1', [last.name]: '{}' }).reverse()),
    reasons.wrongType(last.name, last.kind),
  );
  g.invalid(
    `order: ${first.name} null, then ${numeric.name} invalid`,
    json(g.with({ [first.name]: 'null', [numeric.name]: '"x"' })),
    reasons.missingField(first.name),
  );
  g.invalid(
    `order: ${numeric.name} invalid, then ${last.name} null`,
    json(g.with({ [numeric.name]: '"x"', [last.name]: 'null' })),
    last.required
      ? reasons.wrongType(numeric.name, numeric.kind)
      : reasons.wrongType(numeric.name, numeric.kind),
  );
}

/** The corpus of a profile: record-level cases, per-column cases and valid variants. */
export function corpus(profile: ProfileName): CorpusCase[] {
  const cols = describe(columnsOf(profile));
  const g = new Corpus(cols);
  variantCases(g);
  recordCases(g);
  const signatures = new Set<string>();
  const kinds = new Set<ValueKind>();
  for (const k of cols) {
    const full = !signatures.has(k.signature);
    signatures.add(k.signature);
    columnCases(g, k, full);
    if (!kinds.has(k.kind)) {
      kinds.add(k.kind);
      if (k.kind === 'text') stringSyntaxCases(g, k);
      if (k.kind === 'decimal') numberSyntaxCases(g, k);
    }
  }
  return g.cases;
}

// ---------------------------------------------------------------------------------------------------------
// The corpus file the Java test reads.

/** Where `npm run corpus` writes the corpus files. */
export const CORPUS_DIR = new URL('../../flink/src/test/resources/corpus/', import.meta.url);

/**
 * The corpus file of a profile: its physical row type and rules (what the Flink decoder is given), and its
 * cases, payloads in base64, rows in the file's form (BIGINT and INT as decimal strings).
 */
export function corpusFile(profile: ProfileName): string {
  const columns = columnsOf(profile);
  const rowType = decodedRowType(columns);
  const integral = new Set(rowType.filter((c) => c.type === 'BIGINT' || c.type === 'INT').map((c) => c.name));
  const cases = corpus(profile).map((c) => {
    const out: Record<string, unknown> = {
      name: c.name,
      payload: c.payload === null ? null : Buffer.from(c.payload).toString('base64'),
      reason: c.reason,
    };
    if (c.row)
      out.row = Object.fromEntries(
        rowType.map(({ name }) => {
          const v = c.row?.[name] ?? null;
          return [name, v !== null && integral.has(name) ? String(v) : v];
        }),
      );
    return out;
  });
  return `${formatJson({ profile, columns: rowType, rules: decodeRules(columns), cases })}\n`;
}

const LINE_WIDTH = 110;

/** JSON as Biome formats it (biome.json): objects one member a line, arrays of scalars on one line if they fit. */
function formatJson(value: unknown, indent = '', used = 0, trailing = 0): string {
  if (value === null || typeof value !== 'object') return scalar(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const flat = `[${value.map(scalar).join(', ')}]`;
      if (used + flat.length + trailing <= LINE_WIDTH) return flat;
    }
    const items = value.map(
      (v, i) => `${inner}${formatJson(v, inner, inner.length, i < value.length - 1 ? 1 : 0)}`,
    );
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v], i) => {
    const key = `${inner}${JSON.stringify(k)}: `;
    return `${key}${formatJson(v, inner, key.length, i < entries.length - 1 ? 1 : 0)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

function scalar(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a JSON number: ${v}`);
    return String(v).replace('e+', 'e');
  }
  return JSON.stringify(v);
}
