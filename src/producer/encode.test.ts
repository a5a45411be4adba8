import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { MarketSimulator } from '../market/index.ts';
import { flag, oneOf, orNull, price, text } from '../schema/column.ts';
import { compileEncoder, encoderFor } from './encode.ts';

describe('JSON encoder', () => {
  it('equals JSON.stringify for simulated trades of both profiles', () => {
    const sim = new MarketSimulator(loadConfig({ env: {}, overrides: { producer: { mode: 'replay' } } }));
    for (const profile of ['narrow', 'wide'] as const) {
      const encode = encoderFor(profile);
      for (let n = 0; n < 5_000; n++) {
        const trade = sim.trade(profile, 'p0', n);
        assert.equal(encode(trade), JSON.stringify(trade));
      }
    }
  });

  it('escapes free text, writes nulls and booleans as JSON does', () => {
    const encode = compileEncoder([
      text(20)('note', 'free text'),
      oneOf('A', 'B')('code', 'enum'),
      price('px', 'a price'),
      orNull(text(8)('venue', 'nullable')),
      flag('ok', 'a flag'),
    ]);
    for (const r of [
      { note: 'say "hi"\\\n\u0001é', code: 'A', px: 1e21, venue: null, ok: false },
      { note: '', code: 'B', px: -0, venue: 'X', ok: true },
    ]) {
      assert.equal(encode(r), JSON.stringify(r));
      assert.deepEqual(JSON.parse(encode(r)), JSON.parse(JSON.stringify(r)));
    }
  });
});
