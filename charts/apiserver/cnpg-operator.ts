/**
 * The CloudNativePG operator, run out-of-cluster against a test control plane (control-plane.ts): the `manager
 * controller` binary that build.ts builds, with the admin kubeconfig, on loopback ports, logging to a file in a
 * temp dir. `stop()` ends it by its PID (TERM, then KILL) and removes the temp dir.
 *
 * What the manager needs outside its pod, from its source (internal/cmd/manager/controller):
 * - KUBECONFIG: controller-runtime's config lookup; no in-cluster service account.
 * - WEBHOOK_CERT_DIR with apiserver.crt/apiserver.key: it then serves its webhooks with that certificate and skips
 *   its own PKI setup, which would look up its Deployment (none here) to own the webhook Secret and patch the
 *   webhook configurations. The control plane's serving certificate (127.0.0.1, signed by its CA) serves.
 * - `operator/manager_<GOARCH>` under its working directory: the binaries it offers instances for in-place
 *   upgrades, whose hash it writes in each Cluster's status. Without one every reconcile fails there; a symlink
 *   to the manager itself is what the operator image has.
 * - OPERATOR_NAMESPACE: only scopes its plugin discovery (EndpointSlices); PLUGIN_SOCKET_DIR: an empty dir.
 * - Leader election off; metrics on a free loopback port; the webhook server on another.
 *
 * With no webhook configuration the operator still defaults and validates each Cluster in its reconcile loop
 * (its "admission guard", for clusters whose webhooks are disabled), and an invalid one gets the phase "Invalid
 * cluster definition". With `webhooks` (the default) the upstream webhook configurations are registered too,
 * pointed at the manager by URL: the API server itself then calls CloudNativePG's defaulting and validation on
 * every create and update, as in a real installation, and refuses an invalid Cluster at apply time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/local/ports.ts';
import { type KubeObject, parseManifests } from '../manifests.ts';
import { cnpgBuild } from './build.ts';
import type { KubeClient } from './client.ts';
import { type ControlPlane, httpsStatus, stopProcess } from './control-plane.ts';

export interface CnpgOperator {
  /** The temp dir: the operator's working directory, its certificate and its log (manager.log). */
  dir: string;
  log: string;
  /** The names of the webhook configurations registered with the API server (none without `webhooks`). */
  webhookConfigurations: { kind: string; name: string }[];
  /** The last lines of the log. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface CnpgOptions {
  /** Registers the upstream webhook configurations with the API server, pointed at the manager. Default true. */
  webhooks?: boolean;
  /** Where the operator "is installed": OPERATOR_NAMESPACE. */
  namespace?: string;
}

const STOP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 60_000;
/** Prefixed so that they cannot clash with anything else registered on the control plane. */
const WEBHOOK_PREFIX = 'cnpg-';

type Webhook = { clientConfig: { service?: { path?: string }; url?: string; caBundle?: string } };

/** The upstream webhook configurations, each webhook sent to `base` + its path instead of to the Service. */
function webhookConfigurations(file: string, base: string, ca: Buffer): KubeObject[] {
  return parseManifests(readFileSync(file, 'utf8'))
    .filter((o) => o?.kind === 'MutatingWebhookConfiguration' || o?.kind === 'ValidatingWebhookConfiguration')
    .map((o) => {
      const copy = structuredClone(o) as KubeObject & { webhooks: Webhook[] };
      copy.metadata = { name: `${WEBHOOK_PREFIX}${o.metadata.name}` };
      for (const w of copy.webhooks) {
        const path = w.clientConfig.service?.path;
        if (!path) throw new Error(`webhook without a service path in ${file}`);
        w.clientConfig = { url: `${base}${path}`, caBundle: ca.toString('base64') };
      }
      return copy;
    });
}

export async function startCnpgOperator(
  plane: ControlPlane,
  kube: KubeClient,
  { webhooks = true, namespace = 'cnpg-system' }: CnpgOptions = {},
): Promise<CnpgOperator> {
  const cnpg = await cnpgBuild();
  const dir = mkdtempSync(join(tmpdir(), 'tradestream-cnpg-'));
  const log = join(dir, 'manager.log');
  const certs = join(dir, 'webhook-certs');
  mkdirSync(certs);
  copyFileSync(join(plane.dir, 'server.crt'), join(certs, 'apiserver.crt'));
  copyFileSync(join(plane.dir, 'server.key'), join(certs, 'apiserver.key'));
  mkdirSync(join(dir, 'plugins'));
  mkdirSync(join(dir, 'operator'));
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  symlinkSync(cnpg.manager, join(dir, 'operator', `manager_${arch}`));
  const ca = readFileSync(join(plane.dir, 'ca.crt'));

  const logTail = (lines = 20) => {
    try {
      return readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };

  const [webhookPort, metricsPort] = [await freePort(), await freePort()];
  const out = openSync(log, 'a');
  const child: ChildProcess = spawn(
    cnpg.manager,
    [
      'controller',
      '--leader-elect=false',
      `--webhook-port=${webhookPort}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    ],
    {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        KUBECONFIG: plane.kubeconfig,
        OPERATOR_NAMESPACE: namespace,
        WEBHOOK_CERT_DIR: certs,
        PLUGIN_SOCKET_DIR: join(dir, 'plugins'),
      },
    },
  );
  closeSync(out);
  const killNow = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killNow);

  const registered: KubeObject[] = [];
  const stop = async () => {
    process.removeListener('exit', killNow);
    // The API server must not go on calling a stopped manager (failurePolicy Fail).
    for (const o of registered) {
      await kube.request('DELETE', await kube.path(o)).catch(() => undefined);
    }
    await stopProcess(child, STOP_GRACE_MS);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The webhook server answers /readyz once the manager has started (its controllers with it).
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await httpsStatus(`https://127.0.0.1:${webhookPort}/readyz`, { ca })) !== 200) {
      if (child.exitCode !== null) throw new Error(`manager exited with ${child.exitCode}:\n${logTail()}`);
      if (Date.now() > deadline)
        throw new Error(`manager not ready after ${READY_TIMEOUT_MS / 1000} s:\n${logTail()}`);
      await sleep(250);
    }
    if (webhooks) {
      const file = join(cnpg.webhook, 'manifests.yaml');
      for (const o of webhookConfigurations(file, `https://127.0.0.1:${webhookPort}`, ca)) {
        await kube.apply(o);
        registered.push(o);
      }
    }
    return {
      dir,
      log,
      webhookConfigurations: registered.map((o) => ({ kind: o.kind, name: o.metadata.name })),
      logTail,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
