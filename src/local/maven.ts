/**
 * Resolving Java runtimes from Maven Central for the local stack. A pom's runtime dependencies are copied
 * into .cache/ once (keyed by the pom's content), then used as a classpath for `java -cp`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { logger } from '../log.ts';

const run = promisify(execFile);

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE_DIR = process.env.TRADESTREAM_CACHE ?? join(PROJECT_ROOT, '.cache');

/** Copies the pom's dependencies of `scope` (default runtime) into the cache; returns the jar paths. */
export async function resolveJars(pomPath: string, scope = 'runtime'): Promise<string[]> {
  const pom = await readFile(pomPath);
  const key = createHash('sha256').update(pom).update(scope).digest('hex').slice(0, 16);
  const dir = join(CACHE_DIR, 'maven', key);
  if (!existsSync(dir)) {
    const started = Date.now();
    logger.info({ pom: pomPath }, 'resolving jars from Maven Central (first run only)');
    const staging = `${dir}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    try {
      await run(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          pomPath,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${staging}`,
          `-DincludeScope=${scope}`,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `mvn could not resolve ${pomPath}: ${(stdout + stderr).trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
    // Rename last, so an interrupted resolve is never mistaken for a complete one.
    await rename(staging, dir).catch(async (error) => {
      if (!existsSync(dir)) throw error;
      await rm(staging, { recursive: true, force: true });
    });
    logger.info({ pom: pomPath, seconds: (Date.now() - started) / 1000 }, 'jars resolved');
  }
  return (await readdir(dir)).filter((f) => f.endsWith('.jar')).map((f) => join(dir, f));
}

/** The `java` binary: $JAVA_HOME/bin/java when set, else java on the PATH. */
export function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}
