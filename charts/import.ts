/**
 * `npm run charts:import`: regenerates charts/imports/ (typed constructs for the operators' custom resources)
 * from the vendored CRDs, offline. The output is committed; run this only when the CRDs change.
 *
 * - `cdk8s import` writes one file per API group and takes one spec per call, so the Strimzi CRDs are first
 *   joined into one multi-document file (FACTS.md).
 * - The generated files import types as values; the project's `verbatimModuleSyntax` wants `type` imports.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRD_FILES, crdDirectory } from './crds.ts';

const out = join(import.meta.dirname, 'imports');
const dir = crdDirectory();
if (!dir) throw new Error('the CRD directory is missing: set TRADESTREAM_CRDS (see charts/README.md)');
const work = mkdtempSync(join(tmpdir(), 'tradestream-crds-'));
try {
  for (const [prefix, files] of Object.entries(CRD_FILES)) {
    const joined = join(work, `${prefix}.yaml`);
    writeFileSync(joined, files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n---\n'));
    execFileSync(
      'npx',
      [
        'cdk8s',
        'import',
        `${prefix}:=${joined}`,
        '--language',
        'typescript',
        '-o',
        out,
        '--no-check-upgrade',
      ],
      { stdio: 'inherit' },
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const file of readdirSync(out)) {
  const path = join(out, file);
  const text = readFileSync(path, 'utf8').replace(
    "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
    "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';",
  );
  writeFileSync(path, text);
}
process.stdout.write(`charts/imports regenerated from ${dir}\n`);
