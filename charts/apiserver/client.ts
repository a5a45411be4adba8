/**
 * A small client for the tests against a real API server: server-side apply with strict field validation, dry-run
 * creates, reads and lists, each returning the server's warnings.
 *
 * The kubeconfig and its TLS material come from @kubernetes/client-node; the requests themselves are sent with
 * node:https, because the library's generic object API re-serializes built-in kinds through its models and so
 * drops unknown fields before the server can see them (a misspelled Deployment field would pass unnoticed).
 */
import { request } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../manifests.ts';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  /** The server's `Warning` headers: unknown or duplicate fields, deprecations, Pod Security warnings. */
  warnings: string[];
}

export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    const message = (body as { message?: string } | undefined)?.message;
    super(`${what}: HTTP ${status}: ${message ?? (typeof body === 'string' ? body : JSON.stringify(body))}`);
  }
}

const FIELD_MANAGER = 'tradestream-tests';

/** `299 - "unknown field \"spec.x\""` -> `unknown field "spec.x"` */
const warningText = (header: string) => header.replace(/^\d{3} \S+ "(.*)"$/, '$1').replace(/\\"/g, '"');

export class KubeClient {
  private readonly kc = new KubeConfig();
  private readonly resources = new Map<
    string,
    Promise<{ kind: string; name: string; namespaced: boolean }[]>
  >();

  constructor(kubeconfig: string) {
    this.kc.loadFromFile(kubeconfig);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json') {
    const server = this.kc.getCurrentCluster()?.server;
    const options: Parameters<typeof request>[1] = { method, headers: { accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload) Object.assign(options.headers as object, { 'content-type': contentType });
    return new Promise<KubeResponse<T>>((resolve, reject) => {
      const req = request(`${server}${path}`, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          // Node joins repeated headers with ", "; each warning is a quoted string, so split on the quotes.
          const header = res.headers.warning;
          const raw = Array.isArray(header) ? header : header ? header.split(/(?<="), (?=\d{3} )/) : [];
          resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings: raw.map(warningText) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The REST path of an object (or of its collection with `collection`), found by the server's discovery. */
  async path(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, collection = false): Promise<string> {
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    let list = this.resources.get(o.apiVersion);
    if (!list) {
      list = this.request<{ resources: { kind: string; name: string; namespaced: boolean }[] }>(
        'GET',
        base,
      ).then((r) => {
        if (r.status !== 200) throw new KubeError(r.status, r.body, `discovery of ${o.apiVersion}`);
        return r.body.resources.filter((x) => !x.name.includes('/'));
      });
      list.catch(() => this.resources.delete(o.apiVersion));
      this.resources.set(o.apiVersion, list);
    }
    const resource = (await list).find((r) => r.kind === o.kind);
    if (!resource) throw new Error(`the server serves no ${o.kind} in ${o.apiVersion}`);
    const ns = resource.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${resource.name}${collection ? '' : `/${o.metadata.name}`}`;
  }

  /** Server-side apply with strict field validation: an unknown or duplicate field is an error, not a warning. */
  async apply<T = KubeObject>(o: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeResponse<T>> {
    const query = new URLSearchParams({
      fieldManager: FIELD_MANAGER,
      fieldValidation: 'Strict',
      force: 'true',
    });
    if (options.dryRun) query.set('dryRun', 'All');
    const path = `${await this.path(o)}?${query}`;
    const r = await this.request<T>('PATCH', path, o, 'application/apply-patch+yaml');
    if (r.status !== 200 && r.status !== 201)
      throw new KubeError(r.status, r.body, `apply ${o.kind} ${o.metadata.name}`);
    return r;
  }

  /** Creates with a server-side dry run: every admission step runs, nothing is stored. Returns errors too. */
  async dryRunCreate<T = KubeObject>(o: KubeObject): Promise<KubeResponse<T>> {
    const query = new URLSearchParams({
      fieldManager: FIELD_MANAGER,
      fieldValidation: 'Strict',
      dryRun: 'All',
    });
    return this.request<T>('POST', `${await this.path(o, true)}?${query}`, o);
  }

  async get<T = KubeObject>(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<T> {
    const r = await this.request<T>('GET', await this.path(o));
    if (r.status !== 200) throw new KubeError(r.status, r.body, `get ${o.kind} ${o.metadata.name}`);
    return r.body;
  }

  async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string) {
    const path = await this.path({ apiVersion, kind, metadata: { name: '', namespace } }, true);
    const query = labelSelector ? `?${new URLSearchParams({ labelSelector })}` : '';
    const r = await this.request<{ items: T[] }>('GET', `${path}${query}`);
    if (r.status !== 200) throw new KubeError(r.status, r.body, `list ${kind}`);
    return r.body.items;
  }
}
