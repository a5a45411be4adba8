/**
 * A real Kubernetes control plane for tests, envtest-style: etcd, kube-apiserver and kube-controller-manager on
 * free loopback ports, with certificates made by openssl in a temp dir, and a kubeconfig for a `system:masters`
 * client. No kubelet and no scheduler: a Deployment's ReplicaSet creates Pods (and Pod Security admission judges
 * them), but no Pod ever runs. `stop()` ends each process by its PID (TERM, then KILL) and removes the temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertificateAuthority } from '../../src/local/certificates.ts';
import { freePort } from '../../src/local/ports.ts';
import { kubeBinaries } from './build.ts';

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** A kubeconfig file for an admin (system:masters) client certificate. */
  kubeconfig: string;
  /** The temp dir: certificates, data, and each process's log (<name>.log). */
  dir: string;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 20_000;

/** Ends a child by its PID: TERM, then KILL after `graceMs` (kube-apiserver can hang in its shutdown). */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A CA, a serving certificate for 127.0.0.1, an admin client certificate and the service-account key pair. */
function makeCertificates(dir: string): void {
  const ca = CertificateAuthority.create(dir, 'tradestream-test-ca');
  ca.issue('server', '/CN=kube-apiserver', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
  ]);
  ca.issue('admin', '/O=system:masters/CN=admin', ['extendedKeyUsage=clientAuth']);
  // The API server signs service-account tokens with this key and checks them with its public half.
  ca.key('sa');
  ca.openssl('pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

function writeKubeconfig(dir: string, server: string): string {
  const b64 = (file: string) => readFileSync(join(dir, file)).toString('base64');
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64('ca.crt') } }],
      users: [
        {
          name: 'admin',
          user: { 'client-certificate-data': b64('admin.crt'), 'client-key-data': b64('admin.key') },
        },
      ],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
      'current-context': 'test',
    }),
  );
  return path;
}

/** GET over TLS verified against `tls.ca` (with a client certificate when given); the status, or 0 while nothing listens. */
export function httpsStatus(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, timeout: 5000 });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** GET with the admin certificate. */
const get = (dir: string, url: string) =>
  httpsStatus(url, {
    ca: readFileSync(join(dir, 'ca.crt')),
    cert: readFileSync(join(dir, 'admin.crt')),
    key: readFileSync(join(dir, 'admin.key')),
  });

export async function startControlPlane(): Promise<ControlPlane> {
  const bins = await kubeBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'tradestream-kube-'));
  const processes: { name: string; child: ChildProcess }[] = [];
  // If the test process dies without stop(), its children must not outlive it.
  const killAll = () => {
    for (const { child } of processes) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const logTail = (name: string) => {
    try {
      return readFileSync(join(dir, `${name}.log`), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      return '';
    }
  };
  const start = (name: string, bin: string, args: string[]) => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', log, log] });
    closeSync(log);
    processes.push({ name, child });
    return child;
  };
  const waitFor = async (
    name: string,
    child: ChildProcess,
    ready: () => Promise<boolean>,
    timeoutMs: number,
  ) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (child.exitCode !== null)
        throw new Error(`${name} exited with ${child.exitCode}:\n${logTail(name)}`);
      if (Date.now() > deadline)
        throw new Error(`${name} not ready after ${timeoutMs / 1000} s:\n${logTail(name)}`);
      await sleep(250);
    }
  };

  const stop = async () => {
    process.removeListener('exit', killAll);
    for (const { child } of processes.reverse()) await stopProcess(child, STOP_GRACE_MS);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    makeCertificates(dir);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = start('etcd', bins.etcd, [
      '--name=test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
      // A test cluster: losing it on a crash costs nothing, and fsync costs seconds per test.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor(
      'etcd',
      etcd,
      async () => {
        try {
          return (await fetch(`${etcdUrl}/health`)).ok;
        } catch {
          return false;
        }
      },
      30_000,
    );

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = start('kube-apiserver', bins.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${dir}`,
      '--tls-cert-file=server.crt',
      '--tls-private-key-file=server.key',
      '--client-ca-file=ca.crt',
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-account-key-file=sa.pub',
      '--service-account-signing-key-file=sa.key',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      // No kubelet ever registers: without this the server logs an error every 10 s about its own endpoint.
      '--endpoint-reconciler-type=none',
      // The default admission plugins stay on: PodSecurity, ServiceAccount, NamespaceLifecycle, ...
    ]);
    await waitFor(
      'kube-apiserver',
      apiserver,
      async () => (await get(dir, `${server}/readyz`)) === 200,
      90_000,
    );
    const kubeconfig = writeKubeconfig(dir, server);

    start('kube-controller-manager', bins.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      // No one scrapes or probes it: no serving port, so no delegated authentication to set up.
      '--secure-port=0',
      // Published into every namespace as kube-root-ca.crt, which service-account token volumes refer to.
      '--root-ca-file=ca.crt',
    ]);
    return { server, kubeconfig, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
