/**
 * `npm run status`'s figures through a real API server's service proxy (charts/apiserver/): a real Prometheus
 * (Debian's) stands behind a Service named and ported as kube-prometheus-stack's, on this machine's own address
 * (the API server refuses to proxy to loopback), with the Endpoints and the Pod a selectorless Service needs. It scrapes only
 * itself, so the pipeline's figures have no series: what is proven is the path, the port name and the answer's
 * shape.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from '../charts/apiserver/control-plane.ts';
import { KUBE_PROMETHEUS_STACK } from '../charts/names.ts';
import { loadConfig } from '../src/config/index.ts';
import { freePort } from '../src/local/ports.ts';
import { ClusterStatus } from '../src/status/cluster.ts';
import { describeFigures, readFigures, vectorOf } from '../src/status/figures.ts';
import { poll } from './poll.ts';

const config = loadConfig({ env: {} });
const namespace = config.kubernetes.operatorNamespaces.monitoring;
const address = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

describe("npm run status's figures through the API server's service proxy", {
  skip: address ? false : 'no non-loopback IPv4 address to serve Prometheus on',
}, () => {
  let plane: ControlPlane;
  let prometheus: ChildProcess;
  let dir: string;
  let status: ClusterStatus;

  before(async () => {
    const port = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'tradestream-prometheus-'));
    const scrape = {
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: [`${address}:${port}`] }] }],
    };
    await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(scrape));
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${address}:${port}`,
      ],
      { stdio: 'ignore' },
    );
    plane = await startControlPlane();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfig);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const portName = KUBE_PROMETHEUS_STACK.prometheusPortName;
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: KUBE_PROMETHEUS_STACK.prometheusService },
        spec: { ports: [{ name: portName, port: 9090, targetPort: port }] },
      },
    });
    // The proxy takes a Service's addresses from its Endpoints, and only those whose target is a Pod with that
    // IP (the endpoints controller's doing on a real cluster): a Pod stands in, its status set as a kubelet would.
    const pod = 'prometheus-stand-in-0';
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: pod }, spec: { containers: [{ name: 'prometheus', image: 'prometheus' }] } },
    });
    const created = await core.readNamespacedPod({ name: pod, namespace });
    await core.replaceNamespacedPodStatus({
      name: pod,
      namespace,
      body: { ...created, status: { phase: 'Running', podIP: address, podIPs: [{ ip: address as string }] } },
    });
    await core.createNamespacedEndpoints({
      namespace,
      body: {
        metadata: { name: KUBE_PROMETHEUS_STACK.prometheusService },
        subsets: [
          {
            addresses: [{ ip: address as string, targetRef: { kind: 'Pod', name: pod, namespace } }],
            ports: [{ name: portName, port }],
          },
        ],
      },
    });
    status = new ClusterStatus(kubeConfig, config);
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("queries kube-prometheus-stack's Prometheus by its Service and port name", async () => {
    const up = await poll(
      'Prometheus scraping itself, through the proxy',
      async () => {
        // Until Prometheus has scraped itself once (and answers at all), no series.
        const answer = await status.prometheusQuery('up == 1').catch(() => undefined);
        const samples = answer ? vectorOf(answer) : [];
        return samples.length > 0 ? samples : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(up[0]?.labels.job, 'prometheus');
    assert.throws(() => vectorOf({ status: 'error' }));
    await assert.rejects(async () => vectorOf(await status.prometheusQuery('sum(')), /parse error/);
  });

  it('reads every figure, none of which has series here', async () => {
    const figures = await readFigures(config, (expr) => status.prometheusQuery(expr));
    assert.ok(Object.values(figures).every((f) => Array.isArray(f) && f.length === 0));
    assert.equal(
      describeFigures(figures),
      'lag n/a, group lag n/a; produced n/a; stored n/a; dead letters n/a',
    );
  });
});
