import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { MAX_IDENTITY, producerIdentity } from './identity.ts';

describe('producer identity', () => {
  const config = loadConfig({ env: {} });

  it('uses an explicit instance id as given', () => {
    const explicit = loadConfig({ env: {}, overrides: { producer: { instanceId: 'replay-1' } } });
    assert.equal(producerIdentity(explicit, { POD_NAME: 'x' }), 'replay-1');
  });

  it('derives from the pod name, with an incarnation so a restarted container never reuses ids', () => {
    const first = producerIdentity(config, { POD_NAME: 'producer-7d9f8b6c5-x2x8z' }, 1_800_000_000_000);
    const restarted = producerIdentity(config, { POD_NAME: 'producer-7d9f8b6c5-x2x8z' }, 1_800_000_000_001);
    assert.match(first, /^producer-7d9f8b6c5-x2x8z\./);
    assert.notEqual(first, restarted);
    assert.match(producerIdentity(config, { HOSTNAME: 'host-1' }), /^host-1\./);
  });

  it('keeps the unique tail of long pod names, within the trade id budget', () => {
    const id = producerIdentity(config, { POD_NAME: `${'very-long-deployment-name-'.repeat(3)}abcde` }, 1);
    assert.ok(id.length <= MAX_IDENTITY, id);
    assert.match(id, /abcde\.1$/);
    // The result is a valid explicit instance id too.
    assert.doesNotThrow(() => loadConfig({ env: {}, overrides: { producer: { instanceId: id } } }));
  });
});
