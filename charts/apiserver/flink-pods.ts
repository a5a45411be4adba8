/**
 * The JobManager and TaskManager pods of a FlinkDeployment as Flink's own Kubernetes factories build them
 * (flink-pods/: a small Java program on flink-kubernetes from Maven Central). Compiled with Maven on first use;
 * Maven's incremental build makes later calls cost a few seconds.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeObject } from '../manifests.ts';

const MODULE = join(import.meta.dirname, 'flink-pods');
const TARGET = join(MODULE, '.cache', 'target');

export interface FlinkPods {
  jobmanager: KubeObject;
  taskmanager: KubeObject;
}

export function flinkPods(flinkDeployment: KubeObject): FlinkPods {
  try {
    execFileSync('mvn', ['-B', '-ntp', '-q', '-f', join(MODULE, 'pom.xml'), 'compile'], { stdio: 'pipe' });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `mvn compile of ${MODULE} failed:\n${`${stdout}${stderr}`.trim().split('\n').slice(-20).join('\n')}`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'tradestream-flink-pods-'));
  try {
    const input = join(work, 'flinkdeployment.json');
    writeFileSync(input, JSON.stringify(flinkDeployment));
    // Flink's descriptor ships the client's log4j files from FLINK_CONF_DIR into its ConfigMap: an empty dir has none.
    const conf = join(work, 'conf');
    mkdirSync(conf);
    const out = execFileSync(
      'java',
      [
        '-cp',
        [join(TARGET, 'classes'), join(TARGET, 'lib', '*')].join(delimiter),
        'dev.tradestream.kube.FlinkPods',
        input,
        work,
      ],
      { env: { ...process.env, FLINK_CONF_DIR: conf }, encoding: 'utf8', maxBuffer: 16 << 20 },
    );
    const pods = JSON.parse(out) as FlinkPods;
    for (const pod of Object.values(pods)) pod.metadata.namespace = flinkDeployment.metadata.namespace;
    return pods;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
