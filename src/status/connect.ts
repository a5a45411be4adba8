/**
 * Which cluster `npm run status` reads, and one line saying why it cannot: no kubeconfig or no context (exit 2,
 * nothing to retry), or an API server that cannot be reached or refuses the request (exit 1, --wait retries).
 */
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../config/index.ts';

const HOW = '`npm run up` creates a kind cluster and deploys tradestream, or set KUBECONFIG';

/**
 * No cluster to ask: the kubeconfig is absent, empty, or names no (or an unknown) context. A ConfigError, so
 * runMain prints its one line and exits 2; --wait does not retry it, as waiting cannot make a kubeconfig appear.
 */
export class NoClusterError extends ConfigError {
  override name = 'NoClusterError';
}

const firstLine = (error: unknown) => String((error as Error)?.message ?? error).split('\n')[0] ?? '';

/** The kubeconfig as kubectl finds it (KUBECONFIG, else ~/.kube/config, else in-cluster), with `context` chosen. */
export function loadKubeConfig(context?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  const source = process.env.KUBECONFIG ? `KUBECONFIG ${process.env.KUBECONFIG}` : '~/.kube/config';
  let unreadable = '';
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    // kubectl reads a missing or empty file as an empty config; the library throws on both (a TypeError for an
    // empty file, which parses to nothing).
    unreadable = error instanceof TypeError ? ' (empty)' : ` (${firstLine(error)})`;
  }
  // When it finds no kubeconfig and runs outside a pod, the library makes up a context for http://localhost:8080,
  // which it then refuses to call ("HTTP protocol is not allowed when skipTLSVerify is not set or false").
  if (
    kubeConfig.getCurrentContext() === 'loaded-context' &&
    kubeConfig.getCurrentCluster()?.server === 'http://localhost:8080'
  ) {
    throw new NoClusterError(`no Kubernetes cluster configured (no KUBECONFIG, no ~/.kube/config): ${HOW}`);
  }
  if (context) kubeConfig.setCurrentContext(context);
  if (!kubeConfig.getCurrentCluster()) {
    const what = context ? `context ${context} not found` : 'no current context';
    throw new NoClusterError(`${what} in ${source}${unreadable}: ${HOW}`);
  }
  return kubeConfig;
}

/** One line for an error reading the cluster, naming the server and the context. */
export function clusterError(error: unknown, kubeConfig: KubeConfig): string {
  const where = `${kubeConfig.getCurrentCluster()?.server} (context ${kubeConfig.getCurrentContext()})`;
  if (error instanceof ApiException) {
    let message = '';
    try {
      message = (JSON.parse(String(error.body)) as { message?: string }).message ?? '';
    } catch {
      // not a Kubernetes Status body: the code alone
    }
    return `the API server ${where} answered HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  // The library's fetch errors read "request to <url> failed, reason: connect ECONNREFUSED 127.0.0.1:6443".
  const code = (error as { code?: string }).code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : firstLine(error).replace(/^request to \S+ failed, reason: /, '');
  return `cannot reach the API server ${where}: ${reason}`;
}
