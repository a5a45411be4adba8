/**
 * The Market dashboard's datasource credentials on a real API server (charts/apiserver/): the read-only role's
 * Secret made once with a random password and kept, Grafana's datasource Secret made from it and the database's
 * CA only once that CA exists, labelled for Grafana's sidecar in the monitoring namespace.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { type ControlPlane, startControlPlane } from '../charts/apiserver/control-plane.ts';
import { POSTGRES } from '../charts/dashboards/shared.ts';
import { DATASOURCE_SECRET, syncDatasource } from '../charts/grafana-datasource.ts';
import { KUBE_PROMETHEUS_STACK, names } from '../charts/names.ts';
import { loadConfig } from '../src/config/index.ts';
import { DASHBOARD_READER_ROLE } from '../src/pipeline/migration.ts';

const config = loadConfig({ env: {} });
const n = names(config);
const monitoring = config.kubernetes.operatorNamespaces.monitoring;
const text = (secret: V1Secret, key: string) =>
  Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');

describe('Grafana datasource Secrets on a real API server', () => {
  let plane: ControlPlane;
  let core: CoreV1Api;
  const lines: string[] = [];
  const sync = (datasource: boolean, timeoutSeconds = 900) =>
    syncDatasource(core, config, { datasource, timeoutSeconds, log: (l) => lines.push(l) });

  before(async () => {
    plane = await startControlPlane();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfig);
    core = kubeConfig.makeApiClient(CoreV1Api);
    for (const name of [n.namespace, monitoring])
      await core.createNamespace({ body: { metadata: { name } } });
  });
  after(async () => plane?.stop());

  it("makes the reader's basic-auth Secret once, with a random password, and keeps it", async () => {
    await sync(false);
    const first = await core.readNamespacedSecret({ name: n.postgres.readerSecret, namespace: n.namespace });
    assert.equal(first.type, 'kubernetes.io/basic-auth');
    assert.equal(text(first, 'username'), DASHBOARD_READER_ROLE);
    assert.ok(text(first, 'password').length >= 32);
    await sync(false);
    const again = await core.readNamespacedSecret({ name: n.postgres.readerSecret, namespace: n.namespace });
    assert.equal(text(again, 'password'), text(first, 'password'));
    assert.ok(
      lines.every((l) => !l.includes(text(first, 'password'))),
      'the password is never logged',
    );
  });

  it("writes Grafana's datasource only once the database's CA exists", async () => {
    await assert.rejects(sync(true, 1), new RegExp(`no ${n.postgres.caSecret} Secret`));
    // A real PEM certificate: the control plane's own CA stands in for CloudNativePG's.
    const ca = readFileSync(join(plane.dir, 'ca.crt'), 'utf8');
    await core.createNamespacedSecret({
      namespace: n.namespace,
      body: { metadata: { name: n.postgres.caSecret }, stringData: { 'ca.crt': ca } },
    });
    await sync(true);
    await sync(true); // replaces it, same content
    const reader = await core.readNamespacedSecret({ name: n.postgres.readerSecret, namespace: n.namespace });
    const secret = await core.readNamespacedSecret({ name: DATASOURCE_SECRET, namespace: monitoring });
    assert.deepEqual(secret.metadata?.labels, KUBE_PROMETHEUS_STACK.datasourceLabel);
    const [file] = Object.keys(secret.data ?? {});
    const provisioning = parse(text(secret, file as string));
    const [ds] = provisioning.datasources;
    assert.deepEqual({ type: ds.type, uid: ds.uid }, POSTGRES);
    assert.equal(ds.url, `${n.postgres.rwHost}:5432`);
    assert.equal(ds.user, DASHBOARD_READER_ROLE);
    assert.equal(ds.jsonData.sslmode, 'verify-full');
    assert.equal(ds.secureJsonData.password, text(reader, 'password'));
    assert.equal(ds.secureJsonData.tlsCACert, ca);
    assert.ok(lines.every((l) => !l.includes(ds.secureJsonData.password)));
  });
});
