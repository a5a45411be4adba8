/**
 * Builds etcd, kube-apiserver, kube-controller-manager and the CloudNativePG operator's manager from the Go module
 * proxy, once per machine and version: the binaries live under ~/.cache/tradestream/kube/<version>/, outside the
 * clone, so every later run finds them.
 *
 * No binary of these is packaged anywhere these machines reach, and `go install k8s.io/kubernetes/cmd/...@v`
 * refuses a module with replace directives. So each is built in a small wrapper module that requires the upstream
 * module and turns its local replaces (Kubernetes' staging modules, etcd's sibling modules) into the published
 * module versions. Each build has its own module and build caches in its temp dir, removed afterwards: only the
 * binaries (about 230 MB) stay. Cold: about 9 minutes on 2 cores (downloads and compiling); warm: nothing to do.
 * CloudNativePG's go.mod replaces nothing, so its wrapper only requires it, and the build list is its own go.mod's.
 * (`go install <pkg>@<version>` would need no wrapper, but it reads the module's version list to look for a
 * deprecation, and the proxy these machines reach refuses version lists: 403.) Its manager: 64 MB, about 7 more
 * minutes cold on 2 cores; its CRDs and webhook configurations are kept beside it, from the same module.
 *
 *   npm run kube:build    builds what is missing and prints where the binaries are
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KUBERNETES_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const CNPG_VERSION = 'v1.30.0';
/** Only for a Go older than 1.21, which knows no toolchain directive (Debian 12's golang is 1.19). */
const BOOTSTRAP_GO = '1.26.8';

export const KUBE_CACHE = join(homedir(), '.cache', 'tradestream', 'kube');

export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

interface Component {
  /** The cache directory's name: the version key. */
  key: string;
  module: string;
  version: string;
  /**
   * The published version of each module the upstream go.mod replaces with a local directory; unset for a module
   * whose go.mod replaces nothing (its wrapper then only requires it: the same build list as its own go.mod).
   */
  replacedVersion?: string;
  packages: Record<string, string>;
  ldflags: string;
  /** Directories of the upstream module's own files kept beside the binaries: name in the cache -> path in it. */
  data?: Record<string, string>;
}

const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
const COMPONENTS: Component[] = [
  {
    key: ETCD_VERSION.replace(/^v/, 'etcd-v'),
    module: 'go.etcd.io/etcd/server/v3',
    version: ETCD_VERSION,
    replacedVersion: ETCD_VERSION,
    packages: { etcd: 'go.etcd.io/etcd/server/v3' },
    ldflags: '-s -w',
  },
  {
    key: KUBERNETES_VERSION,
    module: 'k8s.io/kubernetes',
    version: KUBERNETES_VERSION,
    // Kubernetes publishes each staging module k8s.io/<m> as v0.<minor>.<patch> of the release.
    replacedVersion: KUBERNETES_VERSION.replace(/^v1\./, 'v0.'),
    packages: {
      'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
    },
    // Without these the binaries say v0.0.0-master.
    ldflags: [
      '-s -w',
      `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
      `-X k8s.io/component-base/version.gitMajor=${major}`,
      `-X k8s.io/component-base/version.gitMinor=${minor}`,
    ].join(' '),
  },
];

/** Not in kubeBinaries(): only the CloudNativePG test needs it, and `npm run kube:build` builds it with the rest. */
const CNPG: Component = {
  key: CNPG_VERSION.replace(/^v/, 'cnpg-v'),
  module: 'github.com/cloudnative-pg/cloudnative-pg',
  version: CNPG_VERSION,
  packages: { manager: 'github.com/cloudnative-pg/cloudnative-pg/cmd/manager' },
  // pkg/versions already says 1.30.0 in the tagged source.
  ldflags: '-s -w',
  // All its CRDs: the manager watches Backups, Poolers, Databases, ... and will not start without them
  // (../shared/crds vendors only Cluster and ScheduledBackup, byte-identical to these). And its admission webhook
  // configurations (manifests.yaml), which a test registers with the API server to call the manager directly.
  data: { crds: 'config/crd/bases', webhook: 'config/webhook' },
};

const binPath = (c: Component, name: string) => join(KUBE_CACHE, c.key, name);

const paths = (): KubeBinaries => {
  const [etcd, kube] = COMPONENTS as [Component, Component];
  return {
    etcd: binPath(etcd, 'etcd'),
    kubeApiserver: binPath(kube, 'kube-apiserver'),
    kubeControllerManager: binPath(kube, 'kube-controller-manager'),
  };
};

const log = (line: string) => process.stderr.write(`kube build: ${line}\n`);

/** The environment of one build: its own caches (so nothing but the binaries stays), toolchain switching on. */
function goEnv(work: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOMODCACHE: join(work, 'mod'),
    GOCACHE: join(work, 'cache'),
    GOPATH: join(work, 'gopath'),
    GOFLAGS: '-mod=mod',
    // The wrapper's go directive is the upstream's (go 1.26 today): an older go fetches that toolchain.
    GOTOOLCHAIN: 'auto',
  };
}

function run(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(go, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    throw new Error(`go ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr.slice(-4000)}`);
  }
  return result.stdout;
}

/** A go command that understands toolchain directives (Go >= 1.21). */
function goCommand(): string {
  const found = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (found.error)
    throw new Error('go is not installed (Debian: apt-get install golang-go; .ci/run does this)');
  const [, maj = 0, min = 0] = /^go(\d+)\.(\d+)/.exec(found.stdout.trim())?.map(Number) ?? [];
  if (maj > 1 || min >= 21) return 'go';
  // An old go fetches the toolchain as a plain module from the proxy; module zips keep no execute bits.
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  const module = `golang.org/toolchain@v0.0.1-go${BOOTSTRAP_GO}.linux-${arch}`;
  log(`${found.stdout.trim()} is older than 1.21: fetching ${module}`);
  const env = { ...process.env, GOMODCACHE: join(KUBE_CACHE, 'go-toolchain') };
  const dir = (
    JSON.parse(run('go', ['mod', 'download', '-json', module], KUBE_CACHE, env)) as { Dir: string }
  ).Dir;
  const tools = join(dir, 'pkg', 'tool', `linux_${arch}`);
  for (const bin of [join(dir, 'bin'), tools]) {
    for (const file of readdirSync(bin)) chmodSync(join(bin, file), 0o755);
  }
  return join(dir, 'bin', 'go');
}

/** The wrapper's go.mod: the upstream module, and each module it replaces locally at its published version. */
function wrapperGoMod(c: Component, upstreamGoMod: string): string {
  const required = new Set([...upstreamGoMod.matchAll(/^\s+(\S+) v\S+/gm)].map((m) => m[1]));
  const replaced = [...upstreamGoMod.matchAll(/^\s*(?:replace\s+)?(\S+) => \.\.?\//gm)]
    .map((m) => m[1] as string)
    .filter((m) => required.has(m));
  if (replaced.length > 0 && c.replacedVersion === undefined)
    throw new Error(`${c.module} ${c.version} replaces ${replaced.join(', ')}: set replacedVersion`);
  const go = /^go (\S+)/m.exec(upstreamGoMod)?.[1] ?? '1.21';
  return [
    'module tradestream.local/kube-build',
    '',
    `go ${go}`,
    '',
    `require ${c.module} ${c.version}`,
    '',
    ...replaced.map((m) => `replace ${m} => ${m} ${c.replacedVersion}`),
    '',
  ].join('\n');
}

async function buildComponent(go: string, c: Component): Promise<void> {
  const started = Date.now();
  const work = join(KUBE_CACHE, `${c.key}.build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const env = goEnv(work);
  // The wrapper module in a directory of its own: the caches beside it must not look like its packages.
  const module = join(work, 'module');
  mkdirSync(module);
  try {
    log(`${c.module} ${c.version}: downloading modules`);
    const info = JSON.parse(
      run(go, ['mod', 'download', '-json', `${c.module}@${c.version}`], module, env),
    ) as {
      GoMod: string;
      Dir: string;
    };
    writeFileSync(join(module, 'go.mod'), wrapperGoMod(c, readFileSync(info.GoMod, 'utf8')));
    // Imports the main packages so that `go mod tidy` resolves every dependency they need.
    const imports = Object.values(c.packages).map((p) => `import _ "${p}"`);
    writeFileSync(
      join(module, 'tools.go'),
      ['//go:build tools', '', 'package tools', '', ...imports, ''].join('\n'),
    );
    run(go, ['mod', 'tidy'], module, env);
    const out = join(work, 'bin');
    mkdirSync(out);
    log(
      `${c.module} ${c.version}: compiling ${Object.keys(c.packages).join(', ')} (modules after ${mins(started)})`,
    );
    // One binary at a time, named here (Go would name etcd's `server`); the build cache shares common packages.
    for (const [name, pkg] of Object.entries(c.packages)) {
      await goBuild(
        go,
        ['build', '-v', '-trimpath', '-ldflags', c.ldflags, '-o', join(out, name), pkg],
        module,
        env,
      );
    }
    for (const [name, path] of Object.entries(c.data ?? {})) {
      cpSync(join(info.Dir, path), join(out, name), { recursive: true });
      writable(join(out, name));
    }
    publish(c, out, started);
  } finally {
    // The module cache is read-only on disk: go itself removes it.
    spawnSync(go, ['clean', '-modcache'], { cwd: module, env });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies out of the module cache keep its read-only modes: made writable, so that a rebuild can replace them. */
function writable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) writable(join(dir, entry.name));
    else chmodSync(join(dir, entry.name), 0o644);
  }
}

/** Publishes the finished directory in one rename: a half-built cache is never seen as built. */
function publish(c: Component, out: string, started: number): void {
  const final = join(KUBE_CACHE, c.key);
  rmSync(final, { recursive: true, force: true });
  renameSync(out, final);
  log(`${c.module} ${c.version}: built in ${mins(started)} -> ${final}`);
}

const mins = (since: number) => `${((Date.now() - since) / 60_000).toFixed(1)} min`;

/** `go build -v`: prints each package it compiles on stderr; a line every 30 s counts them as progress. */
function goBuild(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let compiled = 0;
    let tail = '';
    const started = Date.now();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      compiled += chunk.split('\n').length - 1;
      tail = (tail + chunk).slice(-4000);
    });
    const timer = setInterval(() => log(`  ${compiled} packages compiled (${mins(started)})`), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new Error(`go ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

/** Builds each of the components whose binaries are not all cached yet. */
async function ensureBuilt(components: Component[]): Promise<void> {
  const missing = components.filter(
    (c) =>
      ![...Object.keys(c.packages), ...Object.keys(c.data ?? {})].every((name) =>
        existsSync(binPath(c, name)),
      ),
  );
  if (missing.length === 0) return;
  mkdirSync(KUBE_CACHE, { recursive: true });
  const go = goCommand();
  for (const c of missing) await buildComponent(go, c);
}

/** The binaries, building whatever is not cached yet (cold: about 9 minutes on 2 cores). */
export async function kubeBinaries(): Promise<KubeBinaries> {
  await ensureBuilt(COMPONENTS);
  return paths();
}

export interface CnpgBuild {
  /** The operator's `manager` binary (`manager controller` is the operator). */
  manager: string;
  /** The directory of all its CRD files, from the same module version. */
  crds: string;
  /** Its config/webhook: manifests.yaml holds its webhook configurations. */
  webhook: string;
}

/** CloudNativePG's manager, CRDs and webhook configurations, built if not cached yet (cold: about 7 minutes). */
export async function cnpgBuild(): Promise<CnpgBuild> {
  await ensureBuilt([CNPG]);
  return {
    manager: binPath(CNPG, 'manager'),
    crds: binPath(CNPG, 'crds'),
    webhook: binPath(CNPG, 'webhook'),
  };
}

if (process.argv[1] === import.meta.filename) {
  const started = Date.now();
  const bins = await kubeBinaries();
  const cnpg = await cnpgBuild();
  process.stdout.write(
    `kube binaries ready in ${mins(started)}: etcd ${ETCD_VERSION}, kubernetes ${KUBERNETES_VERSION}, ` +
      `cloudnative-pg ${CNPG_VERSION}\n${[...Object.values(bins), ...Object.values(cnpg)].join('\n')}\n`,
  );
}
