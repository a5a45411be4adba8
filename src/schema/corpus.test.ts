import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { CORPUS_DIR, corpus, corpusFile } from './corpus.ts';
import { columnsOf, PROFILE_NAMES } from './index.ts';
import { checkTrade, checkTradeText, reasons } from './strict.ts';

describe('strict decoding corpus', () => {
  for (const profile of PROFILE_NAMES) {
    const columns = columnsOf(profile);
    const cases = corpus(profile);

    it(`${profile}: every case gets exactly its expected reason and row`, () => {
      const failures: string[] = [];
      for (const c of cases) {
        const verdict = checkTrade(c.payload, columns);
        if (verdict.reason !== c.reason)
          failures.push(`${c.name}: expected ${c.reason}, got ${verdict.reason}`);
        else if (c.reason === null && !isDeepStrictEqual(verdict.record, c.row))
          failures.push(
            `${c.name}: expected ${JSON.stringify(c.row)}, got ${JSON.stringify(verdict.record)}`,
          );
      }
      assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases fail`);
    });

    it(`${profile}: the string form of each UTF-8 payload gets the same verdict`, () => {
      const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      for (const c of cases) {
        if (c.payload === null || c.reason === reasons.encoding) continue;
        assert.deepEqual(
          checkTradeText(utf8.decode(c.payload), columns),
          checkTrade(c.payload, columns),
          c.name,
        );
      }
    });

    it(`${profile}: cases are well formed and cover every column and every reason`, () => {
      const names = new Set(cases.map((c) => c.name));
      assert.equal(names.size, cases.length, 'case names are unique');
      for (const c of cases) {
        if (c.reason !== null) assert.equal(c.row, undefined, `${c.name}: an invalid case has no row`);
        else
          assert.deepEqual(
            Object.keys(c.row ?? {}),
            columns.map((k) => k.name),
            `${c.name}: the row names every column`,
          );
      }
      const seen = new Set(cases.map((c) => c.reason));
      for (const k of columns) {
        assert.ok(
          [...names].some((n) => n.startsWith(`${k.name}: `)),
          `no case of column ${k.name}`,
        );
        if (!k.nullable) assert.ok(seen.has(reasons.missingField(k.name)), `${k.name} is never missing`);
      }
      const templates = [...seen].map((r) =>
        (r ?? 'valid').replace(/^[a-z0-9_]+ (?=is |has |must |contains )/, '<n> '),
      );
      for (const template of [
        'valid',
        reasons.empty,
        reasons.encoding,
        reasons.syntax,
        reasons.shape,
        'unknown field (unprintable name)',
        '<n> is not a string',
        '<n> contains a control character',
        '<n> contains a lone surrogate',
        '<n> is not a decimal',
        '<n> is out of range',
        '<n> must be above 0',
        '<n> must be at least 1',
        '<n> is not an integer',
        '<n> is not epoch milliseconds',
        '<n> is negative',
      ])
        assert.ok(templates.includes(template), `no case refused with ${template}`);
      for (const prefix of [
        'unknown field ',
        'duplicate field ',
        'missing field ',
        '<n> is not one of ',
        '<n> is empty or longer than ',
        '<n> has more than ',
      ])
        assert.ok(
          templates.some((t) => t.startsWith(prefix)),
          `no case refused with ${prefix}...`,
        );
    });

    it(`${profile}: the corpus file for the Java decoder is up to date`, () => {
      let committed = '';
      try {
        committed = readFileSync(new URL(`${profile}.json`, CORPUS_DIR), 'utf8');
      } catch {}
      assert.ok(
        committed === corpusFile(profile),
        `flink/src/test/resources/corpus/${profile}.json differs from what src/schema/corpus.ts generates: run npm run corpus`,
      );
    });
  }
});
