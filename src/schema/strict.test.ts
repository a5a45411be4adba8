import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { MarketSimulator } from '../market/index.ts';
import { encoderFor } from '../producer/encode.ts';
import { decimal, instant, integer, orNull, ratio, text } from './column.ts';
import { type Column, columnsOf, PROFILE_NAMES, type ProfileName, tradeValidator } from './index.ts';
import { decodedRowType, decodeRules, MAX_EPOCH_MS } from './rules.ts';
import { checkTrade, checkTradeText, reasons, strictCheck, valueKind } from './strict.ts';

const replay = loadConfig({ env: {}, overrides: { producer: { mode: 'replay' } } });
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('strict check', () => {
  it('words its reasons as docs/strict-decoding.md does', () => {
    const doc = readFileSync(new URL('../../docs/strict-decoding.md', import.meta.url), 'utf8');
    const n = '<n>';
    const max = '<max>' as unknown as number;
    const s = '<s>' as unknown as number;
    const worded: string[] = [
      reasons.empty,
      reasons.encoding,
      reasons.syntax,
      reasons.shape,
      reasons.unknownField('\u0000'),
      reasons.unknownField('<name>').replace('(unprintable name)', '<name>'),
      reasons.duplicateField('<name>'),
      reasons.missingField('<name>'),
      reasons.wrongType(n, 'text'),
      reasons.controlCharacter(n),
      reasons.loneSurrogate(n),
      reasons.length(n, max),
      reasons.notOneOf(n, ['<A', 'B', '...>']),
      reasons.wrongType(n, 'decimal'),
      reasons.decimals(n, s),
      reasons.outOfRange(n),
      reasons.belowMin(n, '<min>', true),
      reasons.belowMin(n, '<min>', false),
      reasons.wrongType(n, 'bigint'),
      reasons.wrongType(n, 'int'),
      reasons.wrongType(n, 'instant'),
      reasons.negative(n),
      reasons.wrongType(n, 'double'),
      reasons.wrongType(n, 'boolean'),
    ];
    for (const reason of worded)
      assert.ok(doc.includes(`\`${reason}\``), `the doc does not say \`${reason}\``);
    assert.equal(reasons.unknownField('x.y-Z_0'), 'unknown field x.y-Z_0');
    assert.equal(reasons.unknownField('a'.repeat(65)), 'unknown field (unprintable name)');
    assert.equal(reasons.notOneOf('side', ['BUY', 'SELL']), 'side is not one of BUY, SELL');
  });

  it('agrees with JSON.parse on syntax, over random mutations of valid records', () => {
    const sim = new MarketSimulator(replay);
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      '-',
      '+',
      '.',
      'e',
      '0',
      '1',
      ' ',
      '\n',
      'u',
      'n',
      't',
    ];
    let seed = 12345;
    const rand = (k: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % k;
    };
    let refused = 0;
    for (let n = 0; n < 6_000; n++) {
      const profile: ProfileName = n % 4 === 0 ? 'wide' : 'narrow';
      let s = encoderFor(profile)(sim.trade(profile, 'fuzz', n));
      for (let m = 1 + rand(3); m > 0; m--) {
        const at = rand(s.length + 1);
        const op = rand(4);
        const ch = alphabet[rand(alphabet.length)] as string;
        if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
        else if (op === 1) s = s.slice(0, at) + ch + s.slice(at);
        else if (op === 2) s = s.slice(0, at) + ch + s.slice(at + 1);
        else s = s.slice(0, at) + s.slice(at, at + rand(20)) + s.slice(at);
      }
      if (s.length === 0) continue;
      let parses = true;
      try {
        JSON.parse(s);
      } catch {
        parses = false;
      }
      const reason = checkTrade(bytes(s), columnsOf(profile)).reason;
      assert.equal(reason === reasons.syntax, !parses, `${s}: ${reason}`);
      if (!parses) refused++;
    }
    assert.ok(refused > 1_000, `only ${refused} mutations were not JSON`);
  });

  it('judges the string form as its UTF-8 bytes', () => {
    const columns = columnsOf('narrow');
    const record = encoderFor('narrow')(new MarketSimulator(replay).trade('narrow', 'p0', 3));
    assert.deepEqual(checkTradeText(record, columns), checkTrade(bytes(record), columns));
    assert.equal(checkTradeText('', columns).reason, reasons.empty);
    // A raw lone surrogate cannot be written in UTF-8: encoding the string writes U+FFFD in its place.
    const lone = record.replace('"ticker":"', '"ticker":"\ud800');
    assert.deepEqual(checkTradeText(lone, columns), checkTrade(bytes(lone), columns));
    assert.equal(checkTradeText(lone, columns).record?.ticker, `\ufffd${JSON.parse(record).ticker}`);
  });

  it('reads the table the Flink decoder is given (row type and rules as JSON)', () => {
    for (const profile of PROFILE_NAMES) {
      const columns = columnsOf(profile);
      const check = strictCheck(
        JSON.parse(JSON.stringify(decodedRowType(columns))),
        JSON.parse(JSON.stringify(decodeRules(columns))),
      );
      const record = encoderFor(profile)(new MarketSimulator(replay).trade(profile, 'p0', 11));
      assert.deepEqual(check(bytes(record)), checkTrade(bytes(record), columns));
    }
    assert.equal(valueKind('BIGINT', { required: true, timestamp: true }), 'instant');
    assert.equal(valueKind('DECIMAL(20, 4)', { required: true }), 'decimal');
    assert.throws(() => valueKind('TIMESTAMP(3)', { required: true }), /no strict decoding/);
    assert.throws(() => valueKind('STRING', { required: true }), /maxLength or values/);
  });

  it('handles decimals of any size and scale, integers without bounds, nullable numbers', () => {
    const columns: Column[] = [
      decimal(4, 4)('frac', 'below 1'),
      decimal(10, 0)('whole', 'no decimals'),
      decimal(38, 10)('huge', 'Flink at its widest'),
      integer('signed', 'no lower bound'),
      orNull(ratio('maybe', 'a nullable double')),
      orNull(instant('when', 'a nullable instant')),
      text(4)('note', 'short text'),
    ];
    const base: Record<string, string> = { frac: '0.5', whole: '7', huge: '1', signed: '-3', note: '"n"' };
    /** The verdict of the base record with some members changed (or added) and `more` written after it. */
    const check = (changes: Record<string, string>, more = '') => {
      const members = Object.entries({ ...base, ...changes }).map(([k, v]) => `"${k}":${v}`);
      return checkTrade(bytes(`{${members.join(',')}${more}}`), columns);
    };
    const row = (changes: Record<string, string>) => check(changes).record;
    const reason = (changes: Record<string, string>, more = '') => check(changes, more).reason;
    assert.deepEqual(row({ maybe: 'null' }), {
      frac: '0.5000',
      whole: '7',
      huge: '1.0000000000',
      signed: -3,
      maybe: null,
      when: null,
      note: 'n',
    });
    assert.equal(row({ frac: '0.9999' })?.frac, '0.9999');
    assert.equal(row({ frac: '-0.9999e0' })?.frac, '-0.9999');
    assert.equal(row({ frac: '0' })?.frac, '0.0000');
    assert.equal(reason({ frac: '1' }), 'frac is out of range');
    assert.equal(reason({ frac: '0.00001' }), 'frac has more than 4 decimals');
    assert.equal(row({ whole: '9999999999' })?.whole, '9999999999');
    assert.equal(row({ whole: '-1.0e9' })?.whole, '-1000000000');
    assert.equal(row({ whole: '-0' })?.whole, '0');
    assert.equal(reason({ whole: '0.5' }), 'whole has more than 0 decimals');
    assert.equal(reason({ whole: '1e10' }), 'whole is out of range');
    const wide = '-1234567890123456789012345678.0123456789';
    assert.equal(row({ huge: wide })?.huge, wide);
    assert.equal(
      row({ huge: '12345678901234567890123456789e-1' })?.huge,
      '1234567890123456789012345678.9000000000',
    );
    assert.equal(reason({ huge: '1e28' }), 'huge is out of range');
    assert.equal(row({ signed: '-9007199254740991' })?.signed, -Number.MAX_SAFE_INTEGER);
    assert.equal(reason({ signed: '-9007199254740992' }), 'signed is out of range');
    assert.equal(row({ maybe: '-0.5' })?.maybe, -0.5);
    assert.equal(row({ when: String(MAX_EPOCH_MS) })?.when, MAX_EPOCH_MS);
    assert.equal(reason({ when: '-1' }), 'when is negative');
    assert.equal(reason({ when: 'null' }, ',"when":1'), 'duplicate field when');
    assert.equal(reason({ note: '"abcde"' }), 'note is empty or longer than 4');
  });

  it('checks a record nested a million levels deep without overflowing the stack', () => {
    const deep = 1_000_000;
    const columns = columnsOf('narrow');
    assert.equal(checkTrade(bytes(`${'['.repeat(deep)}${']'.repeat(deep)}`), columns).reason, reasons.shape);
    assert.equal(
      checkTrade(bytes(`{"x":${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}}`), columns).reason,
      'unknown field x',
    );
    assert.equal(
      checkTrade(bytes(`${'['.repeat(deep)}${']'.repeat(deep - 1)}`), columns).reason,
      reasons.syntax,
    );
  });

  it('agrees with the zod validator wherever JSON.parse represents the record exactly', () => {
    const sim = new MarketSimulator(replay);
    for (const profile of PROFILE_NAMES) {
      const columns = columnsOf(profile);
      const validate = tradeValidator(profile);
      const encode = encoderFor(profile);
      let agreedValid = 0;
      let agreedInvalid = 0;
      const total = 3_000;
      for (let n = 0; n < total; n++) {
        const trade = sim.trade(profile, 'agree', n) as Record<string, unknown>;
        const texts = [encode(trade)];
        // One mutation of one field: the column and the candidate value rotate with n.
        const column = columns[n % columns.length] as Column;
        const candidates = mutationsOf(column);
        const value = candidates[Math.floor(n / columns.length) % candidates.length];
        const mutated = { ...trade, [column.name]: value };
        if (value === ABSENT) delete mutated[column.name];
        texts.push(JSON.stringify(mutated));
        if (n % 100 === 0) texts.push(JSON.stringify({ ...trade, extra_field: 1 }));
        for (const text of texts) {
          const parsed = JSON.parse(text);
          const zod = validate.safeParse(parsed);
          const strict = checkTrade(bytes(text), columns);
          assert.equal(
            zod.success,
            strict.reason === null,
            `${text}\nzod: ${zod.error?.issues[0]?.path} ${zod.error?.issues[0]?.message}; strict: ${strict.reason}`,
          );
          const record = strict.record;
          if (record) {
            agreedValid++;
            // The exact row is the value JSON.parse read (decimals as text at the column scale).
            for (const c of columns) {
              const got: unknown = record[c.name];
              const want = parsed[c.name] ?? null;
              assert.equal(c.type.kind === 'decimal' ? Number(got) : got, want, `${c.name} of ${text}`);
            }
          } else agreedInvalid++;
        }
      }
      assert.ok(
        agreedValid > total && agreedInvalid > total / 3,
        `${profile}: ${agreedValid}/${agreedInvalid}`,
      );
    }
  });

  it('judges what zod cannot see after JSON.parse', () => {
    // zod, given JSON.parse's value, accepts all of these but the emoji (it counts UTF-16 units, where
    // PostgreSQL's varchar(n) counts code points); the agreement above therefore leaves them out.
    const columns = columnsOf('wide');
    const trade = new MarketSimulator(replay).trade('wide', 'p0', 5);
    for (const [record, reason] of [
      [{ ...trade, sip_timestamp: MAX_EPOCH_MS + 1 }, 'sip_timestamp is out of range'],
      [{ ...trade, ticker: 'a\u0000b' }, 'ticker contains a control character'],
      [{ ...trade, ticker: 'a\u0085b' }, 'ticker contains a control character'],
      [{ ...trade, ticker: '\ud800' }, 'ticker contains a lone surrogate'],
      [{ ...trade, ticker: '\u{1f600}'.repeat(12) }, null],
    ] as const)
      assert.equal(checkTrade(bytes(JSON.stringify(record)), columns).reason, reason);
    const text = JSON.stringify(trade);
    assert.equal(
      checkTrade(bytes(`${text.slice(0, -1)},"ticker":"AAPL"}`), columns).reason,
      'duplicate field ticker',
    );
    assert.equal(
      checkTrade(bytes(text.replace(/"volume":\d+/, '"volume":9007199254740993')), columns).reason,
      'volume is out of range',
    );
  });
});

const ABSENT = Symbol('absent');

/** Values of a column that JSON.stringify writes and JSON.parse reads back exactly, valid or not. */
function mutationsOf(c: Column): unknown[] {
  const common = [null, ABSENT, true, {}, [1]];
  const t = c.type;
  switch (t.kind) {
    case 'string': {
      const long = 'x'.repeat(t.maxLength);
      if (t.values) {
        const v = t.values[0] as string;
        return [...common, v, v.toLowerCase(), `${v} `, '', 7, t.values[t.values.length - 1]];
      }
      return [...common, '', 'x', long, `${long}x`, 'caf\u00e9', 12, 'a"b\\c'];
    }
    case 'decimal': {
      const limit = 10 ** (t.precision - t.scale);
      return [
        ...common,
        '10.5',
        0,
        -0.0001,
        0.0001,
        1.23456,
        1e-7,
        limit,
        limit - 0.0001,
        -1,
        1.5,
        2 ** 53,
        0.5,
      ];
    }
    case 'bigint':
      return [...common, '7', 0, -1, 1, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53 - 1), 1e21, 12345];
    case 'int':
      return [...common, '7', 0, -1, 1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 99];
    case 'timestamp':
      return [...common, '7', 0, -1, 1.5, 2 ** 53, MAX_EPOCH_MS, Date.UTC(2030, 0, 1)];
    case 'double':
      return [...common, '0.5', 0, -0.5, 1e308, 5e-324, 2 ** 60];
    case 'boolean':
      return [...common, 'true', 0, 1, false];
  }
}
