/**
 * The strict reference check of a trade record: docs/strict-decoding.md, in TypeScript, over the record's bytes.
 * The Flink decoder (flink/, format `tradestream-json`) implements the same policy in Java; both read the same
 * table, the physical row type (`decodedRowType`) and the rules (`decodeRules`), and both are run over the
 * corpus of corpus.ts.
 *
 * zod (derive.ts) judges what JSON.parse made of a record, which is lossy: it cannot see duplicate keys,
 * invalid UTF-8, lone surrogates or numbers beyond a double. This check reads the bytes itself with a small
 * iterative tokenizer (no recursion: nesting depth is not limited), judges number literals exactly (digit
 * strings, never a rounded double, except for DOUBLE columns) and counts text in code points.
 */
import type { Column } from './column.ts';
import {
  decodedRowType,
  decodeRules,
  type FieldRule,
  MAX_EPOCH_MS,
  MAX_NUMBER_LITERAL,
  MAX_SAFE_BIGINT,
} from './rules.ts';

/** A decoded value: DECIMAL as exact text at the column scale ("10.5000"), integers and instants as numbers. */
export type DecodedValue = string | number | boolean | null;
/** A valid record: every column in schema order, an absent nullable column as null. */
export type DecodedRecord = Record<string, DecodedValue>;
export interface Verdict {
  /** null when the record is valid, else the one reason of the policy. */
  reason: string | null;
  record?: DecodedRecord;
}

/** How a column's value is judged, read from its row type and its rule. */
export type ValueKind = 'text' | 'enum' | 'decimal' | 'bigint' | 'int' | 'instant' | 'double' | 'boolean';

const WRONG_TYPE: Record<ValueKind, string> = {
  text: 'a string',
  enum: 'a string',
  decimal: 'a decimal',
  bigint: 'an integer',
  int: 'a 32-bit integer',
  instant: 'epoch milliseconds',
  double: 'a number',
  boolean: 'a boolean',
};

/** An unknown field's name is printed only when it matches this. */
export const PRINTABLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The reasons of the policy, worded once (the corpus and the tests use these too). */
export const reasons = {
  empty: 'empty record',
  encoding: 'not valid UTF-8',
  syntax: 'not valid JSON',
  shape: 'not a JSON object',
  unknownField: (name: string) =>
    PRINTABLE_NAME.test(name) ? `unknown field ${name}` : 'unknown field (unprintable name)',
  duplicateField: (name: string) => `duplicate field ${name}`,
  missingField: (name: string) => `missing field ${name}`,
  /** The first refusal of every type: not a string, not a decimal, not an integer (a fraction included), ... */
  wrongType: (name: string, kind: ValueKind) => `${name} is not ${WRONG_TYPE[kind]}`,
  controlCharacter: (name: string) => `${name} contains a control character`,
  loneSurrogate: (name: string) => `${name} contains a lone surrogate`,
  length: (name: string, maxLength: number) => `${name} is empty or longer than ${maxLength}`,
  notOneOf: (name: string, values: readonly string[]) => `${name} is not one of ${values.join(', ')}`,
  decimals: (name: string, scale: number) => `${name} has more than ${scale} decimals`,
  outOfRange: (name: string) => `${name} is out of range`,
  belowMin: (name: string, min: string, exclusive: boolean) =>
    exclusive ? `${name} must be above ${min}` : `${name} must be at least ${min}`,
  negative: (name: string) => `${name} is negative`,
} as const;

/** The kind of a column, from its physical type (as decodedRowType writes it) and its rule. */
export function valueKind(type: string, rule: FieldRule): ValueKind {
  if (type === 'STRING') {
    if (rule.values) return 'enum';
    if (rule.maxLength === undefined) throw new Error('a STRING column needs maxLength or values');
    return 'text';
  }
  if (type === 'BIGINT') return rule.timestamp ? 'instant' : 'bigint';
  if (type === 'INT') return 'int';
  if (type === 'DOUBLE') return 'double';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^DECIMAL\(\d+, ?\d+\)$/.test(type)) return 'decimal';
  throw new Error(`no strict decoding for the type ${type}`);
}

// ---------------------------------------------------------------------------------------------------------
// Exact decimals: value = (neg ? -1 : 1) * digits * 10^exp, digits without leading or trailing zeros.

interface Decimal {
  zero: boolean;
  neg: boolean;
  digits: string;
  exp: number;
}

/** -1, 0 or 1 as a < b, exactly. */
function compareDecimals(a: Decimal, b: Decimal): number {
  const sa = a.zero ? 0 : a.neg ? -1 : 1;
  const sb = b.zero ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // Same sign: compare magnitudes, first by the position of the leading digit, then digit by digit.
  let m = 0;
  const oa = a.digits.length + a.exp;
  const ob = b.digits.length + b.exp;
  if (oa !== ob) m = oa < ob ? -1 : 1;
  else {
    const n = Math.max(a.digits.length, b.digits.length);
    for (let k = 0; k < n && m === 0; k++) {
      const da = k < a.digits.length ? a.digits.charCodeAt(k) : 48;
      const db = k < b.digits.length ? b.digits.charCodeAt(k) : 48;
      if (da !== db) m = da < db ? -1 : 1;
    }
  }
  return sa * m;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A plain decimal text (a rule's bound, "0" or "-1.5") as a Decimal. */
function parseDecimalText(text: string): Decimal {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) throw new Error(`not a plain decimal: ${text}`);
  const all = `${m[2]}${m[3] ?? ''}`;
  let first = 0;
  while (first < all.length && all[first] === '0') first++;
  if (first === all.length) return { zero: true, neg: false, digits: '', exp: 0 };
  let last = all.length - 1;
  while (all[last] === '0') last--;
  return {
    zero: false,
    neg: m[1] === '-',
    digits: all.slice(first, last + 1),
    exp: all.length - 1 - last - (m[3]?.length ?? 0),
  };
}

/** The decimal as plain text with exactly `scale` decimals (it has at most that many). */
function decimalText(d: Decimal, scale: number): string {
  let whole: string;
  let fraction: string;
  if (d.zero) {
    whole = '0';
    fraction = '';
  } else if (d.exp >= 0) {
    whole = d.digits + '0'.repeat(d.exp);
    fraction = '';
  } else {
    const k = -d.exp;
    if (d.digits.length > k) {
      whole = d.digits.slice(0, d.digits.length - k);
      fraction = d.digits.slice(d.digits.length - k);
    } else {
      whole = '0';
      fraction = '0'.repeat(k - d.digits.length) + d.digits;
    }
  }
  const sign = d.neg && !d.zero ? '-' : '';
  return scale > 0 ? `${sign}${whole}.${fraction.padEnd(scale, '0')}` : `${sign}${whole}`;
}

// ---------------------------------------------------------------------------------------------------------
// The compiled table.

interface Field {
  name: string;
  /** The name needs no escape in JSON: a key can be matched in place. */
  plainName: boolean;
  index: number;
  kind: ValueKind;
  required: boolean;
  maxLength: number;
  values: ReadonlySet<string> | null;
  scale: number;
  /** DECIMAL(p, s): p - s, the digits before the point. */
  wholeDigits: number;
  min: Decimal | null;
  /** No bound, or the bound 0: the decimal fast path compares signs only. */
  minIsZero: boolean;
  minNumber: number;
  exclusiveMin: boolean;
  // The field's reasons, built once.
  wrongType: string;
  control: string;
  lone: string;
  invalidText: string;
  tooManyDecimals: string;
  outOfRange: string;
  belowMin: string;
  negative: string;
  missing: string;
  duplicate: string;
}

interface Table {
  fields: Field[];
  byName: Map<string, Field>;
  /** The record of the decoded values (absent ones null), built as one object literal of a fixed shape. */
  record: (values: (DecodedValue | undefined)[]) => DecodedRecord;
}

function compileField(name: string, type: string, rule: FieldRule, index: number): Field {
  const kind = valueKind(type, rule);
  const decimal = /^DECIMAL\((\d+), ?(\d+)\)$/.exec(type);
  const precision = decimal ? Number(decimal[1]) : 0;
  const scale = decimal ? Number(decimal[2]) : 0;
  const min = rule.min === undefined ? null : parseDecimalText(rule.min);
  const minNumber = rule.min === undefined ? Number.NEGATIVE_INFINITY : Number(rule.min);
  if (min && (kind === 'bigint' || kind === 'int') && !Number.isSafeInteger(minNumber))
    throw new Error(`${name}: the bound of an integer column must be an integer, not ${rule.min}`);
  if (min && kind !== 'decimal' && kind !== 'bigint' && kind !== 'int')
    throw new Error(`${name}: a bound on a ${kind} column`);
  const exclusiveMin = rule.exclusiveMin === true;
  return {
    name,
    plainName: PRINTABLE_NAME.test(name),
    index,
    kind,
    required: rule.required,
    maxLength: rule.maxLength ?? 0,
    values: rule.values ? new Set(rule.values) : null,
    scale,
    wholeDigits: precision - scale,
    min,
    minIsZero: min === null || min.zero,
    minNumber,
    exclusiveMin,
    wrongType: reasons.wrongType(name, kind),
    control: reasons.controlCharacter(name),
    lone: reasons.loneSurrogate(name),
    invalidText: rule.values
      ? reasons.notOneOf(name, rule.values)
      : reasons.length(name, rule.maxLength ?? 0),
    tooManyDecimals: reasons.decimals(name, scale),
    outOfRange: reasons.outOfRange(name),
    belowMin: rule.min === undefined ? '' : reasons.belowMin(name, rule.min, exclusiveMin),
    negative: reasons.negative(name),
    missing: reasons.missingField(name),
    duplicate: reasons.duplicateField(name),
  };
}

function compileTable(
  rowType: readonly { name: string; type: string }[],
  rules: Readonly<Record<string, FieldRule>>,
): Table {
  const fields = rowType.map(({ name, type }, i) => {
    const rule = rules[name];
    if (!rule) throw new Error(`no rule for the column ${name}`);
    return compileField(name, type, rule, i);
  });
  // Computed keys: a column named __proto__ would otherwise set the prototype.
  const literal = fields.map((f, i) => `[${JSON.stringify(f.name)}]: v[${i}] === undefined ? null : v[${i}]`);
  const record = new Function('v', `return { ${literal.join(', ')} };`) as Table['record'];
  return { fields, byName: new Map(fields.map((f) => [f.name, f])), record };
}

// ---------------------------------------------------------------------------------------------------------
// The tokenizer.

/** Thrown (never with a stack) on the first syntax error; the verdict is then `not valid JSON`. */
const SYNTAX_ERROR = Object.freeze({ syntax: true });

/** JSON's exponents beyond this are clamped: exact, as no digit count of a record comes near it. */
const EXPONENT_CLAMP = 1e15;

function hex4(s: string, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = s.charCodeAt(k);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isControl = (u: number) => u < 0x20 || (u >= 0x7f && u <= 0x9f);

class Scanner {
  i = 0;
  // The last string read: whether it has a control character or a lone surrogate, and its surrogate pairs.
  control = false;
  lone = false;
  pairs = 0;
  // The last number read: positions in s.
  numStart = 0;
  numEnd = 0;
  neg = false;
  intStart = 0;
  intEnd = 0;
  fracStart = 0;
  fracEnd = 0;
  expStart = 0;
  expEnd = 0;
  expNeg = false;

  constructor(readonly s: string) {}

  /** Skips JSON whitespace; the code of the next character, or -1 at the end. */
  ws(): number {
    const s = this.s;
    const n = s.length;
    let i = this.i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else {
        this.i = i;
        return c;
      }
    }
    this.i = i;
    return -1;
  }

  /** Reads the string at i (its opening quote) and decodes it, setting control, lone and pairs. */
  readString(): string {
    const s = this.s;
    const n = s.length;
    const start = this.i + 1;
    let control = false;
    let highs = 0;
    for (let i = start; ; i++) {
      if (i >= n) throw SYNTAX_ERROR;
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        this.control = control;
        this.lone = false;
        this.pairs = highs;
        return s.slice(start, i);
      }
      if (c === 92) return this.readEscaped(start, i, control, highs);
      if (c < 32) throw SYNTAX_ERROR;
      // Raw surrogates come in pairs: the text was decoded from valid UTF-8.
      if (c >= 0x7f) {
        if (c <= 0x9f) control = true;
        else if (c >= 0xd800 && c <= 0xdbff) highs++;
      }
    }
  }

  private readEscaped(start: number, at: number, control: boolean, pairs: number): string {
    const s = this.s;
    const n = s.length;
    let out = '';
    let lone = false;
    let chunk = start;
    let i = at;
    for (;;) {
      if (i >= n) throw SYNTAX_ERROR;
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        this.control = control;
        this.lone = lone;
        this.pairs = pairs;
        return out + s.slice(chunk, i);
      }
      if (c === 92) {
        out += s.slice(chunk, i);
        const e = s.charCodeAt(i + 1);
        i += 2;
        if (e === 34) out += '"';
        else if (e === 92) out += '\\';
        else if (e === 47) out += '/';
        else if (e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          out += e === 98 ? '\b' : e === 102 ? '\f' : e === 110 ? '\n' : e === 114 ? '\r' : '\t';
          control = true;
        } else if (e === 117) {
          const u = hex4(s, i);
          if (u < 0) throw SYNTAX_ERROR;
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff) {
            const low = s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 117 ? hex4(s, i + 2) : -1;
            if (low >= 0xdc00 && low <= 0xdfff) {
              out += String.fromCharCode(u, low);
              i += 6;
              pairs++;
            } else {
              // Not followed by an escaped low surrogate (a raw one cannot follow: see readString).
              out += String.fromCharCode(u);
              lone = true;
            }
          } else {
            if (u >= 0xdc00 && u <= 0xdfff) lone = true;
            else if (isControl(u)) control = true;
            out += String.fromCharCode(u);
          }
        } else throw SYNTAX_ERROR;
        chunk = i;
        continue;
      }
      if (c < 32) throw SYNTAX_ERROR;
      if (c >= 0x7f) {
        if (c <= 0x9f) control = true;
        else if (c >= 0xd800 && c <= 0xdbff) pairs++;
      }
      i++;
    }
  }

  /** Checks the syntax of the string at i, decoding nothing. */
  skipString(): void {
    const s = this.s;
    const n = s.length;
    let i = this.i + 1;
    for (;;) {
      if (i >= n) throw SYNTAX_ERROR;
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.i = i + 1;
        return;
      }
      if (c === 92) {
        const e = s.charCodeAt(i + 1);
        if (e === 117) {
          if (hex4(s, i + 2) < 0) throw SYNTAX_ERROR;
          i += 6;
        } else if (
          e === 34 ||
          e === 92 ||
          e === 47 ||
          e === 98 ||
          e === 102 ||
          e === 110 ||
          e === 114 ||
          e === 116
        )
          i += 2;
        else throw SYNTAX_ERROR;
        continue;
      }
      if (c < 32) throw SYNTAX_ERROR;
      i++;
    }
  }

  /** Reads the number literal at i by RFC 8259's grammar, recording where its parts are. */
  readNumber(): void {
    const s = this.s;
    let i = this.i;
    this.numStart = i;
    let c = s.charCodeAt(i);
    this.neg = c === 45;
    if (this.neg) c = s.charCodeAt(++i);
    this.intStart = i;
    if (c === 48) i++;
    else if (c >= 49 && c <= 57) {
      i++;
      while (isDigit(s.charCodeAt(i))) i++;
    } else throw SYNTAX_ERROR;
    this.intEnd = i;
    c = s.charCodeAt(i);
    if (c === 46) {
      const from = ++i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === from) throw SYNTAX_ERROR;
      this.fracStart = from;
      this.fracEnd = i;
      c = s.charCodeAt(i);
    } else {
      this.fracStart = i;
      this.fracEnd = i;
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++i);
      this.expNeg = c === 45;
      if (c === 45 || c === 43) i++;
      const from = i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === from) throw SYNTAX_ERROR;
      this.expStart = from;
      this.expEnd = i;
    } else {
      this.expNeg = false;
      this.expStart = i;
      this.expEnd = i;
    }
    this.numEnd = i;
    this.i = i;
  }

  /** The exact value of the last number read. */
  decimal(): Decimal {
    const s = this.s;
    const { intStart, intEnd, fracStart, fracEnd } = this;
    // The integer part is "0" or starts with a non-zero digit (no leading zeros in JSON).
    let first = -1;
    if (s.charCodeAt(intStart) !== 48) first = intStart;
    else
      for (let j = fracStart; j < fracEnd; j++)
        if (s.charCodeAt(j) !== 48) {
          first = j;
          break;
        }
    if (first < 0) return { zero: true, neg: this.neg, digits: '', exp: 0 };
    let last = -1;
    let exp = 0;
    for (let j = fracEnd - 1; j >= fracStart; j--)
      if (s.charCodeAt(j) !== 48) {
        last = j;
        break;
      }
    if (last >= 0) exp = fracStart - 1 - last;
    else {
      last = intEnd - 1;
      while (s.charCodeAt(last) === 48) last--;
      exp = intEnd - 1 - last;
    }
    const digits =
      first < intEnd && last >= fracStart
        ? s.slice(first, intEnd) + s.slice(fracStart, last + 1)
        : s.slice(first, last + 1);
    if (this.expEnd > this.expStart) {
      let k = this.expStart;
      while (k < this.expEnd - 1 && s.charCodeAt(k) === 48) k++;
      const e = this.expEnd - k > 15 ? EXPONENT_CLAMP : Number(s.slice(k, this.expEnd));
      exp += this.expNeg ? -e : e;
    }
    return { zero: false, neg: this.neg, digits, exp };
  }

  literal(word: string): void {
    if (!this.s.startsWith(word, this.i)) throw SYNTAX_ERROR;
    this.i += word.length;
  }

  /** Checks the syntax of any value starting at i (first character c), without recursion. */
  skipValue(c: number): void {
    const stack: boolean[] = []; // true: in an object
    for (;;) {
      // One value.
      if (c === 123 || c === 91) {
        this.i++;
        const object = c === 123;
        c = this.ws();
        if (c === (object ? 125 : 93)) this.i++;
        else {
          stack.push(object);
          if (object) c = this.member(c);
          continue;
        }
      } else if (c === 34) this.skipString();
      else if (c === 45 || isDigit(c)) this.readNumber();
      else if (c === 116) this.literal('true');
      else if (c === 102) this.literal('false');
      else if (c === 110) this.literal('null');
      else throw SYNTAX_ERROR;
      // What follows it: a comma and the next value, or the end of containers.
      for (;;) {
        const depth = stack.length;
        if (depth === 0) return;
        const object = stack[depth - 1];
        c = this.ws();
        if (c === 44) {
          this.i++;
          c = this.ws();
          if (object) c = this.member(c);
          break;
        }
        if (c !== (object ? 125 : 93)) throw SYNTAX_ERROR;
        this.i++;
        stack.pop();
      }
    }
  }

  /** A member's name and colon in an object whose content is not judged; the first character of its value. */
  private member(c: number): number {
    if (c !== 34) throw SYNTAX_ERROR;
    this.skipString();
    if (this.ws() !== 58) throw SYNTAX_ERROR;
    this.i++;
    return this.ws();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Verdicts.

/** Judges the value of a column starting at i (first character c): a reason, or null with values[f.index] set. */
function judge(sc: Scanner, f: Field, c: number, values: (DecodedValue | undefined)[]): string | null {
  if (c === 34) {
    if (f.kind !== 'text' && f.kind !== 'enum') {
      sc.skipString();
      return f.wrongType;
    }
    const v = sc.readString();
    if (sc.control) return f.control;
    if (sc.lone) return f.lone;
    if (f.values) {
      if (!f.values.has(v)) return f.invalidText;
    } else {
      const codePoints = v.length - sc.pairs;
      if (codePoints < 1 || codePoints > f.maxLength) return f.invalidText;
    }
    values[f.index] = v;
    return null;
  }
  if (c === 45 || isDigit(c)) {
    sc.readNumber();
    return judgeNumber(sc, f, values);
  }
  if (c === 116 || c === 102) {
    sc.literal(c === 116 ? 'true' : 'false');
    if (f.kind !== 'boolean') return f.wrongType;
    values[f.index] = c === 116;
    return null;
  }
  if (c === 110) {
    sc.literal('null');
    if (f.required) return f.missing;
    values[f.index] = null;
    return null;
  }
  sc.skipValue(c);
  return f.wrongType;
}

// Local copies: module bindings of imported constants can be getters once transpiled.
const MAX_LITERAL = MAX_NUMBER_LITERAL;
const MAX_BIGINT = MAX_SAFE_BIGINT;
const MAX_INSTANT = MAX_EPOCH_MS;
const ZEROS = Array.from({ length: 40 }, (_, k) => '0'.repeat(k));
const zeros = (k: number) => ZEROS[k] ?? '0'.repeat(k);

function judgeNumber(sc: Scanner, f: Field, values: (DecodedValue | undefined)[]): string | null {
  const kind = f.kind;
  const s = sc.s;
  const tooLong = sc.numEnd - sc.numStart > MAX_LITERAL;
  if (kind === 'double') {
    if (tooLong) return f.outOfRange;
    const v = Number(s.slice(sc.numStart, sc.numEnd));
    if (!Number.isFinite(v)) return f.outOfRange;
    values[f.index] = v;
    return null;
  }
  const plainExponent = sc.expStart === sc.expEnd;
  const fractionDigits = sc.fracEnd - sc.fracStart;
  const wholeDigits = sc.intEnd - sc.intStart;
  if (kind === 'decimal') {
    // Fast path, the literal as it stands: no exponent, at most `scale` decimals, in range, bound 0 or none.
    if (
      plainExponent &&
      fractionDigits <= f.scale &&
      wholeDigits <= f.wholeDigits &&
      !tooLong &&
      f.minIsZero
    ) {
      let zero = s.charCodeAt(sc.intStart) === 48;
      for (let j = sc.fracStart; zero && j < sc.fracEnd; j++) zero = s.charCodeAt(j) === 48;
      const negative = sc.neg && !zero;
      if (f.min && (f.exclusiveMin ? negative || zero : negative)) return f.belowMin;
      const digits = s.slice(sc.intStart, fractionDigits > 0 ? sc.fracEnd : sc.intEnd);
      const point = fractionDigits > 0 || f.scale === 0 ? '' : '.';
      values[f.index] = `${negative ? '-' : ''}${digits}${point}${zeros(f.scale - fractionDigits)}`;
      return null;
    }
    const d = sc.decimal();
    if (!d.zero && -d.exp > f.scale) return f.tooManyDecimals;
    if (tooLong || (!d.zero && d.digits.length + d.exp > f.wholeDigits)) return f.outOfRange;
    if (f.min) {
      const cmp = compareDecimals(d, f.min);
      if (f.exclusiveMin ? cmp <= 0 : cmp < 0) return f.belowMin;
    }
    values[f.index] = decimalText(d, f.scale);
    return null;
  }
  if (kind !== 'bigint' && kind !== 'int' && kind !== 'instant') return f.wrongType;
  let v: number;
  if (plainExponent && fractionDigits === 0 && wholeDigits <= 15) {
    // Fast path, a plain integer of at most 15 digits: exact by accumulation.
    v = 0;
    for (let j = sc.intStart; j < sc.intEnd; j++) v = v * 10 + (s.charCodeAt(j) - 48);
    if (sc.neg && v !== 0) {
      if (kind === 'instant') return f.negative;
      v = -v;
    }
  } else {
    const d = sc.decimal();
    if (!d.zero && d.exp < 0) return f.wrongType;
    if (kind === 'instant' && d.neg && !d.zero) return f.negative;
    // The number of digits bounds the value first: every bound below has at most 16 digits.
    if (tooLong || (!d.zero && d.digits.length + d.exp > 16)) return f.outOfRange;
    // Exact: at most 16 digits, and every integer up to 2^53 - 1 is a double (larger ones round to >= 2^53).
    v = d.zero ? 0 : Number(d.digits) * 10 ** d.exp;
    if (d.neg && !d.zero) v = -v;
  }
  if (kind === 'bigint') {
    if (v > MAX_BIGINT || v < -MAX_BIGINT) return f.outOfRange;
  } else if (kind === 'int') {
    if (v > 2_147_483_647 || v < -2_147_483_648) return f.outOfRange;
  } else if (v > MAX_INSTANT) return f.outOfRange;
  if (f.min && (f.exclusiveMin ? v <= f.minNumber : v < f.minNumber)) return f.belowMin;
  values[f.index] = v;
  return null;
}

function judgeText(table: Table, s: string): Verdict {
  const sc = new Scanner(s);
  let c = sc.ws();
  if (c !== 123) {
    if (c < 0) return { reason: reasons.syntax };
    sc.skipValue(c);
    return { reason: sc.ws() < 0 ? reasons.shape : reasons.syntax };
  }
  sc.i++;
  const fields = table.fields;
  const values: (DecodedValue | undefined)[] = new Array(fields.length);
  let error: string | null = null;
  let next = 0;
  let name = '';
  c = sc.ws();
  if (c === 125) sc.i++;
  else
    for (;;) {
      if (c !== 34) throw SYNTAX_ERROR;
      if (error === null) {
        // Keys mostly come in schema order: the next column's name is matched in place, without decoding.
        let f = fields[next];
        if (f?.plainName && s.charCodeAt(sc.i + 1 + f.name.length) === 34 && s.startsWith(f.name, sc.i + 1))
          sc.i += f.name.length + 2;
        else {
          name = sc.readString();
          f = table.byName.get(name);
        }
        if (sc.ws() !== 58) throw SYNTAX_ERROR;
        sc.i++;
        c = sc.ws();
        if (f === undefined) {
          error = reasons.unknownField(name);
          sc.skipValue(c);
        } else if (values[f.index] !== undefined) {
          error = f.duplicate;
          sc.skipValue(c);
        } else {
          error = judge(sc, f, c, values);
          next = f.index + 1;
        }
      } else {
        // A field has failed: the rest of the record is only checked for syntax.
        sc.skipString();
        if (sc.ws() !== 58) throw SYNTAX_ERROR;
        sc.i++;
        sc.skipValue(sc.ws());
      }
      c = sc.ws();
      if (c === 44) {
        sc.i++;
        c = sc.ws();
        continue;
      }
      if (c !== 125) throw SYNTAX_ERROR;
      sc.i++;
      break;
    }
  if (sc.ws() >= 0) throw SYNTAX_ERROR;
  if (error !== null) return { reason: error };
  for (const f of fields) if (f.required && values[f.index] === undefined) return { reason: f.missing };
  return { reason: null, record: table.record(values) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function verdictOfText(table: Table, text: string): Verdict {
  try {
    return judgeText(table, text);
  } catch (e) {
    if (e === SYNTAX_ERROR) return { reason: reasons.syntax };
    throw e;
  }
}

/** A check of records, compiled from the table the Flink decoder gets: the physical row type and the rules. */
export interface StrictCheck {
  (payload: Uint8Array | null): Verdict;
  /** The record as the UTF-8 bytes of this text (a lone surrogate in it would be written as U+FFFD). */
  text(text: string): Verdict;
}

export function strictCheck(
  rowType: readonly { name: string; type: string }[],
  rules: Readonly<Record<string, FieldRule>>,
): StrictCheck {
  const table = compileTable(rowType, rules);
  const check = (payload: Uint8Array | null): Verdict => {
    if (payload === null || payload.length === 0) return { reason: reasons.empty };
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return { reason: reasons.encoding };
    }
    return verdictOfText(table, text);
  };
  check.text = (text: string): Verdict => {
    if (text.length === 0) return { reason: reasons.empty };
    // Skips the round trip through bytes: the decoded bytes of a well-formed string are the string itself.
    const s = text as unknown as { isWellFormed(): boolean; toWellFormed(): string };
    return verdictOfText(table, s.isWellFormed() ? text : s.toWellFormed());
  };
  return check;
}

const checks = new WeakMap<readonly Column[], StrictCheck>();

/** The strict check of a column list (compiled once per list). */
export function strictCheckOf(columns: readonly Column[]): StrictCheck {
  let check = checks.get(columns);
  if (!check) {
    check = strictCheck(decodedRowType(columns), decodeRules(columns));
    checks.set(columns, check);
  }
  return check;
}

/** The verdict of one record (its Kafka value, null for a tombstone) by docs/strict-decoding.md. */
export function checkTrade(payload: Uint8Array | null, columns: readonly Column[]): Verdict {
  return strictCheckOf(columns)(payload);
}

/** The verdict of the record whose value is the UTF-8 encoding of `text`. */
export function checkTradeText(text: string, columns: readonly Column[]): Verdict {
  return strictCheckOf(columns).text(text);
}
