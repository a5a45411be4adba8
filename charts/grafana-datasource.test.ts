import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/index.ts';
import { postgresTables } from '../src/pipeline/analytics/index.ts';
import { DASHBOARD_READER_ROLE, migrationSql } from '../src/pipeline/migration.ts';
import { synthYaml } from './app.ts';
import { POSTGRES } from './dashboards/shared.ts';
import { datasourceSecret, readerSecret } from './grafana-datasource.ts';
import { find, parseManifests } from './manifests.ts';
import { KUBE_PROMETHEUS_STACK, names, PORTS } from './names.ts';

const config = loadConfig({ env: {} });
const n = names(config);
const objects = parseManifests(synthYaml(config));

describe("the Market dashboard's read-only PostgreSQL datasource", () => {
  it('keeps every credential out of the manifests: no Secret, the managed role names the deploy-time one', () => {
    assert.deepEqual(
      objects.filter((o) => o.kind === 'Secret'),
      [],
    );
    const cluster = find(objects, 'Cluster', n.postgres.cluster) as unknown as {
      spec: { managed: { roles: { name: string; login: boolean; passwordSecret: { name: string } }[] } };
    };
    const [role] = cluster.spec.managed.roles;
    assert.equal(role?.name, DASHBOARD_READER_ROLE);
    assert.equal(role?.passwordSecret.name, readerSecret(config, 'x').metadata?.name);
    assert.equal(readerSecret(config, 'x').stringData?.username, DASHBOARD_READER_ROLE);
  });

  it('grants the role SELECT on exactly the tables of the registry', () => {
    const sql = migrationSql(config, 'app');
    const granted = [...sql.matchAll(new RegExp(`GRANT (\\w+) ON (\\w+) TO ${DASHBOARD_READER_ROLE};`, 'g'))];
    assert.deepEqual(
      granted.map((g) => g[2]),
      postgresTables(config).map((t) => t.name),
    );
    assert.ok(granted.every((g) => g[1] === 'SELECT'));
  });

  it("admits Grafana's pods to PostgreSQL's port, from the monitoring namespace only", () => {
    const policy = find(objects, 'NetworkPolicy', 'postgres-ingress') as unknown as {
      spec: {
        ingress: {
          from: Record<string, { matchLabels: Record<string, string> }>[];
          ports: { port: number }[];
        }[];
      };
    };
    const rule = policy.spec.ingress.find((r) =>
      r.from.some((p) => p.podSelector?.matchLabels['app.kubernetes.io/name'] === 'grafana'),
    );
    assert.ok(rule);
    assert.deepEqual(
      rule.ports.map((p) => p.port),
      [PORTS.postgres],
    );
    assert.deepEqual(rule.from[0]?.podSelector?.matchLabels, KUBE_PROMETHEUS_STACK.grafanaPodLabels);
    assert.deepEqual(rule.from[0]?.namespaceSelector?.matchLabels, {
      'kubernetes.io/metadata.name': config.kubernetes.operatorNamespaces.monitoring,
    });
  });

  it("provisions the datasource the panels name, verifying the server's certificate", () => {
    const secret = datasourceSecret(config, 'the-password', 'PEM');
    assert.deepEqual(secret.metadata?.labels, KUBE_PROMETHEUS_STACK.datasourceLabel);
    const [file] = Object.values(secret.stringData ?? {});
    const [ds] = parse(file as string).datasources;
    assert.deepEqual({ type: ds.type, uid: ds.uid }, POSTGRES);
    assert.deepEqual(ds.secureJsonData, { password: 'the-password', tlsCACert: 'PEM' });
    assert.equal(ds.jsonData.sslmode, 'verify-full');
    assert.equal(ds.jsonData.database, config.kubernetes.postgres.database);
  });
});
