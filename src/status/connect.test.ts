import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKubeConfig } from './connect.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HOW = '`npm run up` creates a kind cluster and deploys tradestream, or set KUBECONFIG';

/** A home of its own, so no ~/.kube/config is found. */
const home = mkdtempSync(join(tmpdir(), 'tradestream-status-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** The real command, with no config variables from this shell; its exit code and output. */
function status(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/status/main.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
  });
  return [result.status, result.stdout, result.stderr];
}

/** loadKubeConfig's refusal with this KUBECONFIG (the library reads it and HOME from process.env). */
function refusal(kubeconfig: string, context?: string): string {
  const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
  Object.assign(process.env, { HOME: home, KUBECONFIG: kubeconfig });
  try {
    loadKubeConfig(context);
    return 'loaded';
  } catch (error) {
    return (error as Error).message;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const file = (name: string, text: string) => {
  const path = join(home, name);
  writeFileSync(path, text);
  return path;
};
const kubeconfig = (server: string, current?: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server } }],
    users: [{ name: 'test', user: {} }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    ...(current && { 'current-context': current }),
  });

describe('npm run status without a cluster', () => {
  it('says that no cluster is configured and how to get one, exit 2', () => {
    assert.deepEqual(status({}), [
      2,
      '',
      `no Kubernetes cluster configured (no KUBECONFIG, no ~/.kube/config): ${HOW}\n`,
    ]);
  });

  it('says that no context is configured: an empty or missing kubeconfig, no current context, an unknown one', () => {
    const empty = file('empty', '');
    assert.equal(refusal(empty), `no current context in KUBECONFIG ${empty} (empty): ${HOW}`);
    const missing = join(home, 'missing');
    assert.match(refusal(missing), /^no current context in KUBECONFIG \S+ \(ENOENT: .*\): `npm run up`/);
    const noCurrent = file('no-current', kubeconfig('https://127.0.0.1:6443'));
    assert.equal(refusal(noCurrent), `no current context in KUBECONFIG ${noCurrent}: ${HOW}`);
    assert.equal(
      refusal(noCurrent, 'kind-tradestream'),
      `context kind-tradestream not found in KUBECONFIG ${noCurrent}: ${HOW}`,
    );
    assert.equal(refusal(noCurrent, 'test'), 'loaded');
  });

  it('names the server it cannot reach, exit 1', async () => {
    // A port that was free a moment ago: nothing listens on it, so the connection is refused.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as { port: number };
    await new Promise((done) => probe.close(done));
    const server = `https://127.0.0.1:${port}`;
    assert.deepEqual(status({ KUBECONFIG: file('refused', kubeconfig(server, 'test')) }), [
      1,
      '',
      `cannot reach the API server ${server} (context test): connection refused\n`,
    ]);
  });
});
