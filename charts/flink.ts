/**
 * The Flink job: a FlinkDeployment in application mode running the SQL runner (flink/) on the generated SQL
 * script, mounted from a ConfigMap. Endpoints come by environment and the PostgreSQL user and password from the
 * operator-made Secret; the runner fills the script's ${ENV} placeholders from them.
 *
 * State: checkpoints, savepoints and HA metadata live on one PersistentVolumeClaim mounted by every Flink pod.
 * On one-node kind a ReadWriteOnce volume serves all of them (access modes are per node); on a real cluster use
 * a ReadWriteMany class or S3-compatible storage (charts/README.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { pipelineSql, SQL_ENV } from '../src/pipeline/sql.ts';
import {
  FlinkDeployment,
  FlinkDeploymentSpecFlinkVersion,
  FlinkDeploymentSpecJobState,
  FlinkDeploymentSpecJobUpgradeMode,
  FlinkDeploymentSpecMode,
} from './imports/flink-flink.apache.org.ts';
import {
  FLINK_MAIN_CONTAINER,
  FLINK_STATE_DIR,
  FLINK_UID,
  KAFKA_CA_DIR,
  METRICS_PORT_NAMES,
  names,
  PORTS,
  POSTGRES_CA_DIR,
  RUNNER_JAR,
  SQL_FILE,
  SQL_MOUNT_DIR,
} from './names.ts';

/** flink/pom.xml is the one place the Flink version lives; the image is built from it too. */
export const FLINK_POM = join(import.meta.dirname, '..', 'flink', 'pom.xml');

export function flinkVersion(pom = readFileSync(FLINK_POM, 'utf8')): string {
  const version = /<flink\.version>([^<]+)<\/flink\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`${FLINK_POM} has no <flink.version>`);
  return version;
}

/** The FlinkDeployment's flinkVersion for a Flink release: 2.2.1 -> v2_2, which must be in the CRD's enum. */
export function crdFlinkVersion(version: string): FlinkDeploymentSpecFlinkVersion {
  const [major, minor] = version.split('.');
  const value = `v${major}_${minor}`;
  const allowed = Object.values(FlinkDeploymentSpecFlinkVersion) as string[];
  if (!allowed.includes(value)) {
    throw new Error(
      `Flink ${version} (${value}) is not in the operator CRD's flinkVersion enum: ${allowed.join(', ')}`,
    );
  }
  return value as FlinkDeploymentSpecFlinkVersion;
}

/** The pod-template annotation holding sqlConfigHash: the operator diffs podTemplate, not ConfigMaps. */
export const SQL_HASH_ANNOTATION = 'tradestream.dev/sql-sha256';
/**
 * CPU limit = request x this factor (Flink's own option; the operator's resource.cpu is the request). The
 * requests fit the kind node (charts/resources.ts), the limits let the JVMs burst at start.
 */
export const FLINK_CPU_LIMIT_FACTOR = 2;

/** Flink's Prometheus reporter, on PORTS.flinkMetrics (the local MiniCluster sets the same factory). */
export const FLINK_PROMETHEUS_REPORTER = {
  'metrics.reporter.prom.factory.class': 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
  'metrics.reporter.prom.port': String(PORTS.flinkMetrics),
};

/** The data of the ConfigMap the Flink pods mount: the generated SQL, the only file the job reads from one. */
export function sqlConfigData(config: PipelineConfig): Record<string, string> {
  return { [SQL_FILE]: pipelineSql(config) };
}

/** A digest of every ConfigMap the job reads, so that a changed script is a changed FlinkDeployment spec. */
export function sqlConfigHash(config: PipelineConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(sqlConfigData(config)))
    .digest('hex');
}

export class FlinkChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    const n = names(config);
    const f = config.kubernetes.flink;

    new kplus.ConfigMap(this, 'sql', {
      metadata: { name: n.flink.sqlConfigMap },
      data: sqlConfigData(config),
    });

    new kplus.k8s.KubePersistentVolumeClaim(this, 'state', {
      metadata: { name: n.flink.stateClaim },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: kplus.k8s.Quantity.fromString(f.stateStorageSize) } },
      },
    });

    const secretValue = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });
    const state = (dir: string) => `file://${FLINK_STATE_DIR}/${dir}`;

    new FlinkDeployment(this, 'deployment', {
      metadata: { name: n.flink.deployment },
      spec: {
        image: n.images.flink,
        imagePullPolicy: 'IfNotPresent',
        flinkVersion: crdFlinkVersion(flinkVersion()),
        mode: FlinkDeploymentSpecMode.NATIVE,
        serviceAccount: n.flink.serviceAccount,
        flinkConfiguration: {
          'taskmanager.numberOfTaskSlots': String(f.taskSlots),
          'kubernetes.jobmanager.cpu.limit-factor': String(FLINK_CPU_LIMIT_FACTOR),
          'kubernetes.taskmanager.cpu.limit-factor': String(FLINK_CPU_LIMIT_FACTOR),
          // HA lets the JobManager recover its job from the last checkpoint after a crash, and lets the operator
          // fall back to the last checkpoint when an upgrade finds the job unhealthy.
          'high-availability.type': 'kubernetes',
          'high-availability.storageDir': state('ha'),
          'execution.checkpointing.dir': state('checkpoints'),
          'execution.checkpointing.savepoint-dir': state('savepoints'),
          'execution.checkpointing.interval': `${config.flink.checkpointIntervalMs}ms`,
          'restart-strategy.type': 'exponential-delay',
          // No jar upload/run and no cancel button in the Web UI. The operator needs neither: it deploys the
          // application cluster with the runner jar inside through the Kubernetes API, and stops or savepoints
          // the job through REST endpoints these flags leave on (reachable only from the Flink and operator
          // pods, see namespace.ts). The operator already defaults web.cancel.enable to false; said here too.
          'web.submit.enable': 'false',
          'web.cancel.enable': 'false',
          // Prometheus metrics on every JobManager and TaskManager (the PodMonitor of charts/monitoring.ts).
          // The official image ships the reporter as a plugin (plugins/metrics-prometheus/, flink-dist's
          // plugins assembly), loaded without any ENABLE_BUILT_IN_PLUGINS; flink/pom.xml keeps it out of lib/.
          ...FLINK_PROMETHEUS_REPORTER,
        },
        podTemplate: {
          // The operator never sees a ConfigMap change: without this a new script would wait for the next
          // unrelated spec change. A changed podTemplate is an upgrade (savepoint, then the new pods).
          metadata: { annotations: { [SQL_HASH_ANNOTATION]: sqlConfigHash(config) } },
          spec: {
            // Pod Security "restricted" (the namespace enforces it): the runtime's syscall filter for every
            // container of the JobManager and TaskManager pods; the main container drops every capability.
            securityContext: {
              runAsNonRoot: true,
              runAsUser: FLINK_UID,
              runAsGroup: FLINK_UID,
              fsGroup: FLINK_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: FLINK_MAIN_CONTAINER,
                // The image's entrypoint rewrites files under /opt/flink/conf: the root filesystem stays writable.
                securityContext: {
                  allowPrivilegeEscalation: false,
                  runAsNonRoot: true,
                  runAsUser: FLINK_UID,
                  capabilities: { drop: ['ALL'] },
                },
                // Flink declares its own ports (RPC, blob, REST) but not the reporter's: a PodMonitor needs it
                // declared, by name. Flink's factories keep the template's ports (test/kubernetes-suite.ts).
                ports: [
                  { name: METRICS_PORT_NAMES.flink, containerPort: PORTS.flinkMetrics, protocol: 'TCP' },
                ],
                volumeMounts: [
                  { name: 'sql', mountPath: SQL_MOUNT_DIR, readOnly: true },
                  { name: 'state', mountPath: FLINK_STATE_DIR },
                  // The sinks (TaskManagers) verify PostgreSQL's certificate against it (the JDBC URL's sslrootcert).
                  { name: 'postgres-ca', mountPath: POSTGRES_CA_DIR, readOnly: true },
                  // Every Kafka client of the job (source enumerator, readers, sinks) verifies the brokers with it.
                  { name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'sql', configMap: { name: n.flink.sqlConfigMap } },
              { name: 'state', persistentVolumeClaim: { claimName: n.flink.stateClaim } },
              // Only the certificate: the Secret also holds the CA's private key.
              {
                name: 'postgres-ca',
                secret: { secretName: n.postgres.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
              {
                name: 'kafka-ca',
                secret: { secretName: n.kafka.caSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
            ],
          },
        },
        // The operator merges this into podTemplate by list index: one container each, the same one.
        // Only the JobManager runs the runner's main, which fills the placeholders: only it gets the secret.
        jobManager: {
          replicas: 1,
          resource: { cpu: f.jobManagerCpu, memory: f.jobManagerMemory },
          podTemplate: {
            spec: {
              containers: [
                {
                  name: FLINK_MAIN_CONTAINER,
                  env: [
                    { name: SQL_ENV.kafkaBootstrap, value: n.kafka.bootstrap },
                    { name: SQL_ENV.kafkaSecurityProtocol, value: n.kafka.securityProtocol },
                    { name: SQL_ENV.kafkaCaFile, value: n.kafka.caFile },
                    { name: SQL_ENV.kafkaUsername, value: n.kafka.users.pipeline },
                    { name: SQL_ENV.kafkaPassword, ...secretValue(n.kafka.users.pipeline, 'password') },
                    { name: SQL_ENV.jdbcUrl, value: n.postgres.jdbcUrl },
                    { name: SQL_ENV.user, ...secretValue(n.postgres.appSecret, 'username') },
                    { name: SQL_ENV.password, ...secretValue(n.postgres.appSecret, 'password') },
                  ],
                },
              ],
            },
          },
        },
        taskManager: { resource: { cpu: f.taskManagerCpu, memory: f.taskManagerMemory } },
        job: {
          jarUri: RUNNER_JAR,
          // Detached: in application mode the JobManager owns the job; the runner's main only submits it.
          args: ['--detached', `${SQL_MOUNT_DIR}/${SQL_FILE}`],
          parallelism: config.flink.parallelism,
          // A savepoint on every spec change; with HA, the last checkpoint when the job is unhealthy.
          upgradeMode: FlinkDeploymentSpecJobUpgradeMode.SAVEPOINT,
          // A changed script changes the operators' ids: state that maps no more is dropped rather than the
          // upgrade failing. That may drop the source's offsets too: it then resumes from the group offsets
          // committed at checkpoints (charts/README.md, "Upgrades", says what that replays).
          allowNonRestoredState: true,
          state: FlinkDeploymentSpecJobState.RUNNING,
        },
      },
    });
  }
}
