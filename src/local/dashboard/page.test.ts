import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

describe('the dashboard page', () => {
  it('writes data as text only: no HTML sink in page.js, no inline script or handler in page.html', async () => {
    const script = await readFile(new URL('./page.js', import.meta.url), 'utf8');
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
      'new Function',
    ])
      assert.ok(!script.includes(sink), `page.js uses ${sink}`);
    const html = await readFile(new URL('./page.html', import.meta.url), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'an inline event handler');
  });
});
