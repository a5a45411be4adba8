import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  allTopics,
  ConfigError,
  loadConfig,
  type PipelineConfig,
  PRODUCER_SECTIONS,
  TRADE_RETENTION_MS,
  tradeTopics,
} from '../src/config/index.ts';
import { KAFKA_JMX_EXPORTER_CONFIG } from '../src/config/kafka-metrics.ts';
import { MarketSimulator } from '../src/market/index.ts';
import { KAFKA_USERS, type KafkaAcl, type KafkaClient, kafkaAccess } from '../src/pipeline/kafka-access.ts';
import { METRICS_EXPORTER_ROLE, TRADE_TIME_INDEX } from '../src/pipeline/migration.ts';
import { pipelineSql, SQL_ENV } from '../src/pipeline/sql.ts';
import { TRADE_TIME, TRADES_TABLE } from '../src/schema/index.ts';
import { MANIFEST, manifests, tiltSettings } from './app.ts';
import { crdDirectory } from './crds.ts';
import { crdFlinkVersion, FLINK_POM, flinkVersion, SQL_HASH_ANNOTATION } from './flink.ts';
import { topicObjectName } from './kafka.ts';
import { find, type KubeObject, parseManifests } from './manifests.ts';
import { podMonitors } from './monitoring.ts';
import {
  FLINK_MAIN_CONTAINER,
  KUBE_PROMETHEUS_STACK,
  METRICS_PORT_NAMES,
  names,
  OPERATOR_POD_LABELS,
  PORTS,
  podLabels,
  RUNNER_JAR,
} from './names.ts';
import { bootstrapSql, migrationJob, SINK_FRESHNESS_SQL, SINK_QUERY_NAME } from './postgres.ts';
import { checkProducerEnv, producerEnv } from './producer.ts';
import { KIND_NODE, PLATFORM_PODS, totalRequests, workloadPods } from './resources.ts';
import { builtinErrors, crdErrors, crdValidators } from './validate.ts';

const ROOT = join(import.meta.dirname, '..');
const CUSTOM_GROUPS = ['kafka.strimzi.io', 'postgresql.cnpg.io', 'flink.apache.org', 'monitoring.coreos.com'];
/** Keys CloudNativePG writes into the `<cluster>-app` Secret. */
const CNPG_APP_SECRET_KEYS = ['username', 'password', 'dbname', 'host', 'port', 'uri', 'jdbc-uri'];

type Volume = { name: string; secret?: { secretName: string; items?: { key: string }[] } };
type Mount = { name: string; mountPath: string };

const isCustom = (o: KubeObject) => CUSTOM_GROUPS.includes(o.apiVersion.split('/')[0] as string);

// Defaults, a wide profile with more topics and replicas, and names that need care (`_` in topic names).
const configs: [string, PipelineConfig][] = [
  ['defaults', loadConfig({ env: {} })],
  [
    'wide, exactly-once, 3 producers',
    loadConfig({
      env: {
        PROFILE: 'wide',
        FLINK_DELIVERY_GUARANTEE: 'exactly-once',
        KUBERNETES_PRODUCER_REPLICAS: '3',
        KAFKA_TRADE_TOPIC_COUNT: '12',
        KAFKA_ALERTS_TOPIC: 'volume_alerts',
        KAFKA_DEAD_LETTER_TOPIC: 'Trades.DLQ',
      },
    }),
  ],
];

type Container = {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { limits?: Record<string, string> };
  securityContext?: SecurityContext & { readOnlyRootFilesystem?: boolean };
  livenessProbe?: { httpGet?: { port: number } };
  readinessProbe?: { httpGet?: { port: number } };
};
type SecurityContext = {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
};
type PodSpec = {
  containers: Container[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
};
const get = <T>(o: unknown, ...path: string[]): T =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o) as T;

for (const [label, config] of configs) {
  describe(`charts (${label})`, () => {
    const objects = parseManifests(manifests(config));
    const n = names(config);
    const deployment = find(objects, 'Deployment', n.producer.deployment);
    const podSpec = get<PodSpec>(deployment, 'spec', 'template', 'spec');
    const producer = podSpec.containers[0] as Container;
    const flink = find(objects, 'FlinkDeployment', n.flink.deployment);
    const kafka = find(objects, 'Kafka', n.kafka.cluster);
    const cluster = find(objects, 'Cluster', n.postgres.cluster);
    const topics = objects.filter((o) => o.kind === 'KafkaTopic');
    const topicName = (t: KubeObject) => get<string | undefined>(t, 'spec', 'topicName') ?? t.metadata.name;
    const sqlConfigMap = find(objects, 'ConfigMap', n.flink.sqlConfigMap);
    const sql = get<Record<string, string>>(sqlConfigMap, 'data');
    const flinkEnv =
      get<Container[]>(flink, 'spec', 'jobManager', 'podTemplate', 'spec', 'containers')[0]?.env ?? [];

    it('puts every object in the app namespace, with a unique stable name', () => {
      const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(keys).size, keys.length);
      for (const o of objects) {
        assert.equal(
          o.metadata.namespace,
          o.kind === 'Namespace' ? undefined : n.namespace,
          `${o.kind} ${o.metadata.name}`,
        );
        assert.doesNotMatch(o.metadata.name, /-c8[0-9a-f]{6}$|[0-9a-f]{8}$/, 'no hashed names');
      }
      assert.equal(objects[0]?.kind, 'Namespace', 'the namespace comes first');
    });

    it('validates every custom resource against its CRD schema', (t) => {
      const dir = crdDirectory();
      if (!dir) {
        t.skip('CRD directory absent: set TRADESTREAM_CRDS to ../shared/crds (CI has it)');
        return;
      }
      const validators = crdValidators(dir);
      const custom = objects.filter(isCustom);
      assert.ok(custom.length >= 5);
      for (const o of custom) {
        const errors = crdErrors(validators, o);
        assert.ok(errors, `no CRD in ${dir} defines ${o.apiVersion} ${o.kind}`);
        assert.deepEqual(errors, [], `${o.kind} ${o.metadata.name}`);
      }
    });

    it('validates every built-in object against the Kubernetes schema', async () => {
      for (const o of objects.filter((x) => !isCustom(x))) {
        assert.deepEqual(await builtinErrors(o), [], `${o.kind} ${o.metadata.name}`);
      }
    });

    it('declares every topic the pipeline uses, with its partitions and a valid object name', () => {
      assert.deepEqual(
        topics
          .map((t) => ({ name: topicName(t), partitions: get<number>(t, 'spec', 'partitions') }))
          .sort(byName),
        allTopics(config)
          .map(({ name, partitions }) => ({ name, partitions }))
          .sort(byName),
      );
      // Topic configs the pipeline relies on (the broker's append time on trade topics) are declared.
      for (const spec of allTopics(config)) {
        const topic = topics.find((t) => topicName(t) === spec.name);
        for (const [key, value] of Object.entries(spec.config ?? {}))
          assert.equal(get<string>(topic, 'spec', 'config', key), value, `${spec.name} ${key}`);
      }
      for (const t of topics) {
        assert.match(t.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
        assert.equal(t.metadata.labels?.['strimzi.io/cluster'], n.kafka.cluster);
      }
      // The SQL reads and writes only declared topics.
      const declared = new Set(topics.map(topicName));
      for (const [, list] of (sql['pipeline.sql'] as string).matchAll(/'topic' = '([^']+)'/g)) {
        for (const topic of (list as string).split(';')) assert.ok(declared.has(topic), `SQL topic ${topic}`);
      }
    });

    it('runs Kafka in KRaft with one dual-role pool and replication that fits the brokers', () => {
      const pool = find(objects, 'KafkaNodePool');
      assert.deepEqual(get(pool, 'spec', 'roles'), ['controller', 'broker']);
      assert.equal(pool.metadata.labels?.['strimzi.io/cluster'], n.kafka.cluster);
      const brokers = get<number>(pool, 'spec', 'replicas');
      const settings = get<Record<string, number>>(kafka, 'spec', 'kafka', 'config');
      for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) {
        assert.ok((settings[key] as number) <= brokers, key);
      }
      assert.ok((settings['transaction.state.log.min.isr'] as number) <= brokers);
      for (const t of topics) assert.ok(get<number>(t, 'spec', 'replicas') <= brokers);
    });

    it('gives clients one Kafka listener, TLS with SCRAM-SHA-512, and enforces ACLs', () => {
      const listeners = get<{ port: number; tls: boolean; authentication?: { type: string } }[]>(
        kafka,
        'spec',
        'kafka',
        'listeners',
      );
      assert.deepEqual(
        listeners.map((l) => [l.port, l.tls, l.authentication?.type]),
        [[PORTS.kafkaTls, true, 'scram-sha-512']],
      );
      assert.deepEqual(get(kafka, 'spec', 'kafka', 'authorization'), { type: 'simple' });
      assert.ok(get(kafka, 'spec', 'entityOperator', 'userOperator'), 'the user operator makes the Secrets');
    });

    it('makes one KafkaUser per client with exactly the ACLs of kafka-access.ts', () => {
      const users = objects.filter((o) => o.kind === 'KafkaUser');
      const access = kafkaAccess(config);
      assert.deepEqual(users.map((u) => u.metadata.name).sort(), Object.values(KAFKA_USERS).sort());
      for (const [client, name] of Object.entries(KAFKA_USERS)) {
        const user = find(objects, 'KafkaUser', name);
        assert.equal(user.metadata.labels?.['strimzi.io/cluster'], n.kafka.cluster);
        assert.deepEqual(get(user, 'spec', 'authentication'), { type: 'scram-sha-512' });
        const acls = get<{ resource: KafkaAcl; operations: string[] }[]>(
          user,
          'spec',
          'authorization',
          'acls',
        );
        assert.deepEqual(
          acls.map((a) => ({ ...a.resource, operations: a.operations })),
          access[client as KafkaClient],
        );
      }
    });

    it('points the producer and Flink at the TLS listener, each as its own user, password from its Secret', () => {
      const bootstrap = `${kafka.metadata.name}-kafka-bootstrap.${n.namespace}.svc:${PORTS.kafkaTls}`;
      const value = (env: Container['env'], name: string) => env?.find((e) => e.name === name);
      for (const [env, user, bootstrapVar] of [
        [producer.env, KAFKA_USERS.producer, 'KAFKA_BROKERS'],
        [flinkEnv, KAFKA_USERS.pipeline, SQL_ENV.kafkaBootstrap],
      ] as const) {
        assert.equal(value(env, bootstrapVar)?.value, bootstrap);
        assert.equal(value(env, SQL_ENV.kafkaSecurityProtocol)?.value, 'sasl_ssl');
        assert.equal(value(env, SQL_ENV.kafkaUsername)?.value, user);
        assert.equal(value(env, SQL_ENV.kafkaCaFile)?.value, n.kafka.caFile);
        const password = value(env, SQL_ENV.kafkaPassword);
        assert.equal(password?.value, undefined, 'never a literal');
        assert.deepEqual(password?.valueFrom?.secretKeyRef, { name: user, key: 'password' });
      }
      // Strimzi's cluster CA certificate, mounted where KAFKA_CA_FILE says, in every pod with a Kafka client.
      const pods: [string, Omit<PodSpec, 'volumes'> & { volumes: Volume[] }, string][] = [
        ['producer', podSpec as never, 'producer'],
        ['Flink', get(flink, 'spec', 'podTemplate', 'spec'), FLINK_MAIN_CONTAINER],
        [
          'viewer',
          get(find(objects, 'Deployment', n.kafka.viewer), 'spec', 'template', 'spec'),
          'console-consumer',
        ],
      ];
      for (const [what, pod, container] of pods) {
        const ca = pod.volumes.find((v) => v.secret?.secretName === `${kafka.metadata.name}-cluster-ca-cert`);
        assert.deepEqual(
          ca?.secret?.items?.map((i) => i.key),
          ['ca.crt'],
          what,
        );
        const main = pod.containers.find((c) => c.name === container) as Container & {
          volumeMounts: Mount[];
        };
        const mount = main.volumeMounts.find((m) => m.name === ca?.name);
        assert.equal(`${mount?.mountPath}/ca.crt`, n.kafka.caFile, what);
      }
    });

    it('gives Flink the PostgreSQL endpoint and takes user and password from the CloudNativePG Secret', () => {
      const initdb = get<{ database: string; owner: string }>(cluster, 'spec', 'bootstrap', 'initdb');
      const url = flinkEnv.find((e) => e.name === SQL_ENV.jdbcUrl)?.value;
      assert.equal(
        url,
        `jdbc:postgresql://${cluster.metadata.name}-rw.${n.namespace}.svc:5432/${initdb.database}?sslmode=verify-full&sslrootcert=${n.postgres.caFile}`,
      );
      // The certificate the URL names is mounted, from CloudNativePG's CA Secret, and only it (not the CA's key).
      const pod = get<{
        volumes: { name: string; secret?: { secretName: string; items: { key: string }[] } }[];
        containers: { volumeMounts: { name: string; mountPath: string }[] }[];
      }>(flink, 'spec', 'podTemplate', 'spec');
      const ca = pod.volumes.find((v) => v.secret?.secretName === `${cluster.metadata.name}-ca`);
      assert.deepEqual(
        ca?.secret?.items.map((i) => i.key),
        ['ca.crt'],
      );
      const mount = pod.containers[0]?.volumeMounts.find((m) => m.name === ca?.name);
      assert.equal(`${mount?.mountPath}/ca.crt`, n.postgres.caFile);
      for (const [name, key] of [
        [SQL_ENV.user, 'username'],
        [SQL_ENV.password, 'password'],
      ] as const) {
        const ref = flinkEnv.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
        assert.deepEqual(ref, { name: `${cluster.metadata.name}-app`, key });
        assert.ok(CNPG_APP_SECRET_KEYS.includes(key));
      }
      // Every placeholder of the script has a value in the JobManager's environment.
      const script = sql['pipeline.sql'] as string;
      for (const [, name] of script.matchAll(/\$\{([A-Z_]+)\}/g)) {
        assert.ok(
          flinkEnv.some((e) => e.name === name),
          `env ${name}`,
        );
      }
    });

    it('creates the tables the SQL writes, owned by the application user', () => {
      const refs = get<{ name: string; key: string }[]>(
        cluster,
        'spec',
        'bootstrap',
        'initdb',
        'postInitApplicationSQLRefs',
        'configMapRefs',
      );
      assert.equal(refs.length, 1);
      const schema = find(objects, 'ConfigMap', refs[0]?.name);
      const ddl = get<Record<string, string>>(schema, 'data')[refs[0]?.key as string] as string;
      assert.equal(ddl, bootstrapSql(config));
      const owner = get<string>(cluster, 'spec', 'bootstrap', 'initdb', 'owner');
      for (const [, table] of (sql['pipeline.sql'] as string).matchAll(/'table-name' = '([^']+)'/g)) {
        assert.match(ddl, new RegExp(`CREATE TABLE IF NOT EXISTS ${table} \\(`));
        assert.match(ddl, new RegExp(`ALTER TABLE ${table} OWNER TO ${owner};`));
      }
      assert.ok(
        get<string>(cluster, 'spec', 'storage', 'size'),
        'the CloudNativePG webhook requires storage.size',
      );
    });

    it('mounts exactly the generated SQL and runs it with the runner jar', () => {
      assert.deepEqual(Object.keys(sql), ['pipeline.sql']);
      assert.equal(sql['pipeline.sql'], pipelineSql(config));
      const spec = get<PodSpec>(flink, 'spec', 'podTemplate', 'spec');
      const main = spec.containers[0] as Container & { volumeMounts: { name: string; mountPath: string }[] };
      assert.equal(main.name, FLINK_MAIN_CONTAINER);
      const sqlVolume = spec.volumes?.find((v) => v.configMap?.name === sqlConfigMap.metadata.name);
      const mount = main.volumeMounts.find((m) => m.name === sqlVolume?.name);
      const args = get<string[]>(flink, 'spec', 'job', 'args');
      assert.equal(args.at(-1), `${mount?.mountPath}/pipeline.sql`);
      assert.equal(get(flink, 'spec', 'job', 'jarURI'), RUNNER_JAR);
      assert.equal(get(flink, 'spec', 'job', 'parallelism'), config.flink.parallelism);
      const state = spec.volumes?.find((v) => v.persistentVolumeClaim);
      find(objects, 'PersistentVolumeClaim', state?.persistentVolumeClaim?.claimName);
      const conf = get<Record<string, string>>(flink, 'spec', 'flinkConfiguration');
      const stateMount = main.volumeMounts.find((m) => m.name === state?.name)?.mountPath;
      for (const key of [
        'execution.checkpointing.dir',
        'execution.checkpointing.savepoint-dir',
        'high-availability.storageDir',
      ]) {
        assert.ok(conf[key]?.startsWith(`file://${stateMount}/`), key);
      }
      assert.ok(['savepoint', 'last-state'].includes(get(flink, 'spec', 'job', 'upgradeMode')));
      assert.equal(get(flink, 'spec', 'job', 'allowNonRestoredState'), true);
      // The spec carries a digest of what the pods read from the ConfigMap (charts/README.md, Upgrades).
      const digest = createHash('sha256').update(JSON.stringify(sql)).digest('hex');
      assert.equal(
        get<Record<string, string>>(flink, 'spec', 'podTemplate', 'metadata', 'annotations')[
          SQL_HASH_ANNOTATION
        ],
        digest,
      );
      find(objects, 'ServiceAccount', get<string>(flink, 'spec', 'serviceAccount'));
    });

    it('runs the Flink version of flink/pom.xml, within the CRD enum', () => {
      assert.equal(get(flink, 'spec', 'flinkVersion'), crdFlinkVersion(flinkVersion()));
      assert.throws(() => crdFlinkVersion('2.3.0'), /not in the operator CRD/);
      assert.match(readFileSync(FLINK_POM, 'utf8'), /<finalName>sql-runner<\/finalName>/);
      assert.ok(RUNNER_JAR.endsWith('/sql-runner.jar'));
    });

    it('gives the producer its config, its identity, probes and a metrics Service', () => {
      assert.equal(get(deployment, 'spec', 'replicas'), config.kubernetes.producer.replicas);
      const env = Object.fromEntries(
        (producer.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]),
      );
      assert.deepEqual(env, producerEnv(config));
      // The pods' environment loads back into the same config (brokers aside).
      const loaded = loadConfig({ env });
      for (const section of PRODUCER_SECTIONS.filter((s) => s !== 'kafka'))
        assert.deepEqual(loaded[section], config[section], section);
      const connection = {
        brokers: [],
        securityProtocol: 'plaintext',
        caFile: undefined,
        username: undefined,
      };
      assert.deepEqual({ ...loaded.kafka, ...connection }, { ...config.kafka, ...connection });
      assert.deepEqual(producer.env?.find((e) => e.name === 'POD_NAME')?.valueFrom, {
        fieldRef: { fieldPath: 'metadata.name' },
      } as never);
      const port = config.producer.metricsPort;
      assert.equal(producer.ports?.[0]?.containerPort, port);
      assert.equal(producer.livenessProbe?.httpGet?.port, port);
      assert.equal(producer.readinessProbe?.httpGet?.port, port);
      const service = find(objects, 'Service', n.producer.metricsService);
      const labels = get<Record<string, string>>(deployment, 'spec', 'template', 'metadata', 'labels');
      for (const [k, v] of Object.entries(get<Record<string, string>>(service, 'spec', 'selector')))
        assert.equal(labels[k], v);
      assert.equal(get<{ targetPort: number }[]>(service, 'spec', 'ports')[0]?.targetPort, port);
      find(objects, 'ServiceAccount', podSpec.serviceAccountName);
    });

    it('uses only images the Tiltfile builds', () => {
      const tiltfile = readFileSync(join(ROOT, 'Tiltfile'), 'utf8');
      const settings = tiltSettings(config);
      const built = [...tiltfile.matchAll(/docker_build\(\s*images\['(\w+)'\]/g)].map(
        (m) => settings.images[m[1] as 'producer'],
      );
      const used = [producer.image, get<string>(flink, 'spec', 'image')].map((i) => i?.split(':')[0]);
      assert.deepEqual(used.sort(), built.sort());
    });

    it('holds no secret value', () => {
      assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0);
      const envs = [...(producer.env ?? []), ...flinkEnv];
      for (const e of envs.filter((x) => /PASSWORD|SECRET|TOKEN|CREDENTIAL/.test(x.name))) {
        assert.equal(e.value, undefined, `${e.name} must come from a Secret`);
      }
      const text = manifests(config);
      assert.doesNotMatch(text, /password\s*[:=]\s*['"]?(?!\$\{)[^\s'"$]+/i);
      assert.match(sql['pipeline.sql'] as string, /'password' = '\$\{PG_PASSWORD\}'/);
    });

    it('runs every container as a numeric non-root user with limits', () => {
      assert.equal(producer.securityContext?.runAsNonRoot, true);
      assert.ok((producer.securityContext?.runAsUser ?? 0) > 0);
      assert.equal(producer.securityContext?.readOnlyRootFilesystem, true);
      assert.ok(producer.resources?.limits?.cpu && producer.resources.limits.memory);
      const flinkPod = get<PodSpec>(flink, 'spec', 'podTemplate', 'spec');
      assert.equal(flinkPod.securityContext?.runAsNonRoot, true);
      assert.ok((flinkPod.securityContext?.runAsUser ?? 0) > 0);
      // The operator turns these into requests and limits of the Flink containers.
      for (const role of ['jobManager', 'taskManager']) {
        assert.ok(
          get(flink, 'spec', role, 'resource', 'cpu') && get(flink, 'spec', role, 'resource', 'memory'),
          role,
        );
      }
      // Strimzi and CloudNativePG run their operands as non-root by default; their limits come from here.
      for (const r of [
        get(find(objects, 'KafkaNodePool'), 'spec', 'resources'),
        get(kafka, 'spec', 'entityOperator', 'topicOperator', 'resources'),
        get(cluster, 'spec', 'resources'),
      ]) {
        assert.ok(get(r, 'limits', 'cpu') && get(r, 'limits', 'memory'));
      }
    });

    // What Pod Security "restricted" asks of each pod we define (the API-server tests check the admission itself).
    it('hardens the producer and Flink pods to Pod Security "restricted", which the namespace enforces', () => {
      const labels = find(objects, 'Namespace').metadata.labels ?? {};
      assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
      const flinkPod = get<PodSpec>(flink, 'spec', 'podTemplate', 'spec');
      const flinkMain = flinkPod.containers.find((c) => c.name === FLINK_MAIN_CONTAINER) as Container;
      for (const [pod, container, label] of [
        [podSpec, producer, 'producer'],
        [flinkPod, flinkMain, 'flink'],
      ] as const) {
        const c = container.securityContext ?? {};
        assert.equal(
          c.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type,
          'RuntimeDefault',
          label,
        );
        assert.deepEqual(c.capabilities, { drop: ['ALL'] }, label);
        assert.equal(c.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, label);
        assert.equal(c.allowPrivilegeEscalation, false, label);
      }
      // Flink adds no container of its own, but the pod-level profile covers any that the template gains.
      assert.equal(flinkPod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    });

    it('lets only the producer and Flink reach Kafka, and only Flink reach PostgreSQL', () => {
      const policy = (name: string) =>
        get<{ from?: unknown[]; ports?: { port: number }[] }[]>(
          find(objects, 'NetworkPolicy', name),
          'spec',
          'ingress',
        );
      assert.deepEqual(get(find(objects, 'NetworkPolicy', 'default-deny-ingress'), 'spec'), {
        podSelector: {},
        policyTypes: ['Ingress'],
      });
      const producerLabels = get<Record<string, string>>(
        deployment,
        'spec',
        'template',
        'metadata',
        'labels',
      );
      const clients = policy('kafka-ingress').find((r) => r.ports?.some((p) => p.port === PORTS.kafkaTls));
      const peers = clients?.from as { podSelector: { matchLabels: Record<string, string> } }[];
      assert.equal(peers.length, 3);
      assert.ok(
        Object.entries(peers[0]?.podSelector.matchLabels ?? {}).every(([k, v]) => producerLabels[k] === v),
      );
      assert.equal(peers[1]?.podSelector.matchLabels.app, n.flink.deployment);
      assert.deepEqual(peers[2]?.podSelector.matchLabels, podLabels(config).viewer);
      // Strimzi's generated policy for the listener must be as strict (policies add up).
      assert.deepEqual(get(kafka, 'spec', 'kafka', 'listeners', '0', 'networkPolicyPeers'), peers);
      const pg = policy('postgres-ingress').find((r) => r.ports?.some((p) => p.port === 5432));
      const pgPeers = ((pg?.from ?? []) as { podSelector: { matchLabels: Record<string, string> } }[]).map(
        (p) => p.podSelector.matchLabels,
      );
      assert.deepEqual(pgPeers, [
        peers[1]?.podSelector.matchLabels,
        { 'cnpg.io/cluster': n.postgres.cluster },
        migrationJob(config).podLabels,
      ]);
    });

    it("admits the operators by their pods' labels in their own namespaces, never a whole namespace", () => {
      type Peer = {
        podSelector?: { matchLabels: Record<string, string> };
        namespaceSelector?: { matchLabels: Record<string, string> };
      };
      type Rule = { from?: Peer[]; ports?: { port: number }[] };
      const rules = (name: string) => get<Rule[]>(find(objects, 'NetworkPolicy', name), 'spec', 'ingress');
      for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
        for (const peer of rules(policy.metadata.name) ?? []) {
          for (const p of peer.from ?? []) {
            if (p.namespaceSelector)
              assert.ok(p.podSelector?.matchLabels, `${policy.metadata.name}: ${JSON.stringify(p)}`);
          }
        }
      }
      const operatorPeer = (ns: string, labels: Record<string, string>): Peer => ({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        podSelector: { matchLabels: labels },
      });
      const ops = config.kubernetes.operatorNamespaces;
      const portsFrom = (policy: string, peer: Peer) =>
        rules(policy)
          .filter((r) => r.from?.some((p) => JSON.stringify(p) === JSON.stringify(peer)))
          .flatMap((r) => (r.ports ?? []).map((p) => p.port))
          .sort();
      // Strimzi's cluster operator: the brokers' control plane, replication and agent ports.
      assert.deepEqual(
        portsFrom('kafka-ingress', operatorPeer(ops.strimzi, OPERATOR_POD_LABELS.strimzi)),
        [PORTS.kafkaAgent, PORTS.kafkaControlPlane, PORTS.kafkaReplication].sort(),
      );
      // CloudNativePG: the operator and the other instances reach the instance manager (8000), nothing else.
      const postgresPods = { podSelector: { matchLabels: { 'cnpg.io/cluster': n.postgres.cluster } } };
      assert.deepEqual(portsFrom('postgres-ingress', operatorPeer(ops.cnpg, OPERATOR_POD_LABELS.cnpg)), [
        PORTS.postgresStatus,
      ]);
      assert.deepEqual(portsFrom('postgres-ingress', postgresPods), [PORTS.postgres, PORTS.postgresStatus]);
      // The Flink operator: the JobManager's REST port only.
      assert.deepEqual(portsFrom('flink-ingress', operatorPeer(ops.flink, OPERATOR_POD_LABELS.flink)), [
        PORTS.flinkRest,
      ]);
    });

    it('scrapes every component with a PodMonitor that selects its pods and a port they declare, by name', () => {
      const monitors = objects.filter((o) => o.kind === 'PodMonitor');
      const expected = podMonitors(config);
      assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), expected.map((m) => m.name).sort());
      type Monitor = {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string }[];
      };
      const spec = (name: string) => find(objects, 'PodMonitor', name).spec as Monitor;
      for (const m of expected) {
        assert.deepEqual(spec(m.name).selector, { matchLabels: m.selector }, m.name);
        assert.deepEqual(
          spec(m.name).podMetricsEndpoints.map((e) => e.port),
          [m.port],
          m.name,
        );
        // kube-prometheus-stack selects every PodMonitor (Tiltfile), and by default those of its release.
        assert.equal(
          find(objects, 'PodMonitor', m.name).metadata.labels?.release,
          KUBE_PROMETHEUS_STACK.release,
        );
      }
      const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
        Object.entries(selector).every(([k, v]) => labels[k] === v);
      type Port = { name?: string; containerPort: number };

      // Ours: the producer pods as the Deployment labels them, and the port its container declares.
      const producerMonitor = spec(n.producer.deployment);
      assert.ok(
        selects(
          producerMonitor.selector.matchLabels,
          get(deployment, 'spec', 'template', 'metadata', 'labels'),
        ),
      );
      assert.ok(
        (producer.ports as Port[]).some(
          (p) =>
            p.name === producerMonitor.podMetricsEndpoints[0]?.port &&
            p.containerPort === config.producer.metricsPort,
        ),
      );

      // Flink: the reporter on its port, declared by name on flink-main-container of every Flink pod (the
      // common pod template). The labels are the Flink operator's (app = the deployment, type
      // flink-native-kubernetes): test/kubernetes-suite.ts checks them and the port on the pods Flink's own
      // factories build from this FlinkDeployment.
      const conf = get<Record<string, string>>(flink, 'spec', 'flinkConfiguration');
      assert.equal(
        conf['metrics.reporter.prom.factory.class'],
        'org.apache.flink.metrics.prometheus.PrometheusReporterFactory',
      );
      assert.equal(conf['metrics.reporter.prom.port'], String(PORTS.flinkMetrics));
      const flinkMain = get<(Container & { ports?: Port[] })[]>(
        flink,
        'spec',
        'podTemplate',
        'spec',
        'containers',
      ).find((c) => c.name === FLINK_MAIN_CONTAINER);
      const flinkMonitor = spec(n.flink.deployment);
      assert.deepEqual(
        flinkMain?.ports?.find((p) => p.name === flinkMonitor.podMetricsEndpoints[0]?.port)?.containerPort,
        PORTS.flinkMetrics,
      );
      assert.deepEqual(flinkMonitor.selector.matchLabels, podLabels(config).flink);

      // Strimzi's and CloudNativePG's pods are not in these manifests: their labels and port names are those of
      // names.ts, read in the operators' sources (Strimzi 1.2.0 KafkaCluster/KafkaExporter and MetricsModel
      // `tcp-prometheus`; CloudNativePG 1.30.0's instance pod, port `metrics`). What we do declare: the
      // brokers' metrics config and the Kafka Exporter, and the Cluster's custom queries.
      assert.deepEqual(get(kafka, 'spec', 'kafka', 'metricsConfig'), {
        type: 'jmxPrometheusExporter',
        valueFrom: { configMapKeyRef: { name: n.kafka.metricsConfigMap, key: n.kafka.metricsConfigKey } },
      });
      assert.ok(get(kafka, 'spec', 'kafkaExporter'), 'Kafka Exporter');
      assert.deepEqual(
        spec(`${n.kafka.cluster}-kafka`).podMetricsEndpoints[0]?.port,
        METRICS_PORT_NAMES.strimzi,
      );
      assert.deepEqual(
        spec(n.kafka.exporter).selector.matchLabels['strimzi.io/name'],
        `${n.kafka.cluster}-kafka-exporter`,
      );
      assert.deepEqual(spec(n.postgres.cluster).selector.matchLabels, {
        'cnpg.io/cluster': n.postgres.cluster,
      });
      assert.deepEqual(get(cluster, 'spec', 'monitoring'), {
        customQueriesConfigMap: [{ name: n.postgres.monitoringConfigMap, key: n.postgres.monitoringKey }],
      });
    });

    it('admits Prometheus from the monitoring namespace to the metrics ports, and only to them', () => {
      type Peer = {
        podSelector?: { matchLabels: Record<string, string> };
        namespaceSelector?: { matchLabels: Record<string, string> };
      };
      type Rule = { from?: Peer[]; ports?: { port: number }[] };
      const prometheus: Peer = {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': config.kubernetes.operatorNamespaces.monitoring },
        },
        podSelector: { matchLabels: { ...KUBE_PROMETHEUS_STACK.prometheusPodLabels } },
      };
      const isPrometheus = (p: Peer) => JSON.stringify(p) === JSON.stringify(prometheus);
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
      const admitted: { selector: Record<string, string>; port: number }[] = [];
      for (const policy of policies) {
        const selector = get<Record<string, string>>(policy, 'spec', 'podSelector', 'matchLabels') ?? {};
        for (const rule of get<Rule[] | undefined>(policy, 'spec', 'ingress') ?? []) {
          if (!rule.from?.some(isPrometheus)) continue;
          // Its own rule: Prometheus alone, on named ports only.
          assert.ok(rule.from.every(isPrometheus), policy.metadata.name);
          assert.ok(rule.ports?.length, `${policy.metadata.name}: Prometheus on every port`);
          for (const p of rule.ports ?? []) admitted.push({ selector, port: p.port });
        }
      }
      const within = (policy: Record<string, string>, monitor: Record<string, string>) =>
        Object.entries(policy).every(([k, v]) => monitor[k] === v);
      // Every port Prometheus may reach is one a PodMonitor scrapes on pods that policy covers ...
      for (const a of admitted) {
        assert.ok(
          podMonitors(config).some((m) => m.portNumber === a.port && within(a.selector, m.selector)),
          `Prometheus admitted to ${a.port} on ${JSON.stringify(a.selector)}, which no PodMonitor scrapes`,
        );
      }
      // ... and every scraped port is reachable: by this rule, or (the producer) open to every pod anyway.
      for (const m of podMonitors(config)) {
        const open = policies.some(
          (p) =>
            within(get(p, 'spec', 'podSelector', 'matchLabels') ?? {}, m.selector) &&
            (get<Rule[] | undefined>(p, 'spec', 'ingress') ?? []).some(
              (r) => r.from === undefined && r.ports?.some((x) => x.port === m.portNumber),
            ),
        );
        assert.ok(
          open || admitted.some((a) => a.port === m.portNumber && within(a.selector, m.selector)),
          `${m.name}: Prometheus cannot reach ${m.portNumber}`,
        );
      }
      assert.deepEqual(
        [...new Set(admitted.map((a) => a.port))].sort(),
        [PORTS.flinkMetrics, PORTS.postgresMetrics, PORTS.strimziMetrics].sort(),
      );
    });

    it("gives the brokers' JMX exporter the rules of src/config/kafka-metrics.ts, and they parse", () => {
      const configMap = find(objects, 'ConfigMap', n.kafka.metricsConfigMap);
      const text = get<Record<string, string>>(configMap, 'data')[n.kafka.metricsConfigKey] as string;
      const parsed = parseYaml(text) as typeof KAFKA_JMX_EXPORTER_CONFIG;
      assert.deepEqual(parsed, KAFKA_JMX_EXPORTER_CONFIG);
      // The exporter matches `domain<key=value, ...><>attribute: value`; the first matching rule names it.
      const seriesOf = (bean: string) => {
        for (const rule of parsed.rules) {
          const m = new RegExp(rule.pattern).exec(bean);
          if (!m) continue;
          const fill = (t: string) => t.replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? '');
          const labels = Object.entries(rule.labels ?? {}).map(([k, v]) => `${k}=${fill(v)}`);
          return `${fill(rule.name).toLowerCase()}{${labels.join(',')}}`;
        }
        return undefined;
      };
      const cases: Record<string, string | undefined> = {
        'kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec, topic=trades_0><>Count: 5':
          'kafka_server_brokertopicmetrics_bytesin_total{topic=trades_0}',
        'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=alerts><>Count: 1':
          'kafka_server_brokertopicmetrics_messagesin_total{topic=alerts}',
        'kafka.server<type=BrokerTopicMetrics, name=BytesOutPerSec, topic=alerts><>OneMinuteRate: 1':
          undefined,
        'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value: 0':
          'kafka_server_replicamanager_underreplicatedpartitions{}',
        'kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Produce, version=11><>Count: 3':
          'kafka_network_requestmetrics_requests_total{request=Produce,version=11}',
        'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Produce><>99thPercentile: 3':
          'kafka_network_requestmetrics_totaltimems{request=Produce,quantile=0.99}',
        'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Produce><>999thPercentile: 3':
          undefined,
        'kafka.log<type=Log, name=Size, topic=alerts, partition=0><>Value: 10':
          'kafka_log_log_size_bytes{topic=alerts,partition=0}',
      };
      for (const [bean, series] of Object.entries(cases)) assert.equal(seriesOf(bean), series, bean);
      for (const rule of parsed.rules) assert.match(rule.name, /^kafka_[a-z_$0-9]+$/);
      // Object-name patterns the exporter queries: domain:key=value[,...][,*].
      for (const name of parsed.includeObjectNames)
        assert.match(name, /^kafka\.\w+:(\w+=\w+,)*(\w+=\w+|\*)$/);
    });

    it("measures the sink's freshness from the trade-time index, granted to CloudNativePG's exporter", () => {
      const configMap = find(objects, 'ConfigMap', n.postgres.monitoringConfigMap);
      assert.equal(configMap.metadata.labels?.['cnpg.io/reload'], '');
      const queries = parseYaml(
        get<Record<string, string>>(configMap, 'data')[n.postgres.monitoringKey] as string,
      );
      const query = queries[SINK_QUERY_NAME];
      assert.equal(query.query, SINK_FRESHNESS_SQL);
      assert.match(query.query, new RegExp(`max\\(${TRADE_TIME}\\).* FROM ${TRADES_TABLE} `));
      assert.deepEqual(query.target_databases, [config.kubernetes.postgres.database]);
      assert.deepEqual(Object.keys(query.metrics[0]), ['freshness_seconds']);
      // The index max() reads, and the exporter's grant: in the bootstrap and in the migration Job's SQL.
      const job = find(objects, 'Job', migrationJob(config).name);
      const command = get<Container & { command: string[] }>(
        job,
        'spec',
        'template',
        'spec',
        'containers',
        '0',
      ).command;
      for (const sql of [bootstrapSql(config), command.join(' ')]) {
        assert.ok(
          sql.includes(`CREATE INDEX IF NOT EXISTS ${TRADE_TIME_INDEX} ON ${TRADES_TABLE} (${TRADE_TIME});`),
        );
        assert.ok(sql.includes(`GRANT SELECT ON ${TRADES_TABLE} TO ${METRICS_EXPORTER_ROLE};`));
      }
    });

    it('turns off job submission and cancellation in the Flink Web UI', () => {
      const conf = get<Record<string, string>>(flink, 'spec', 'flinkConfiguration');
      assert.equal(conf['web.submit.enable'], 'false');
      assert.equal(conf['web.cancel.enable'], 'false');
      // Application mode: the job jar is inside the image, so nothing is ever uploaded through REST.
      assert.equal(get(flink, 'spec', 'mode'), 'native');
      assert.match(get<string>(flink, 'spec', 'job', 'jarURI'), /^local:\/\//);
    });

    it('pins every image it does not build to an exact version', () => {
      const built = Object.values(tiltSettings(config).images);
      const images: string[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            if ((k === 'image' || k === 'imageName') && typeof x === 'string') images.push(x);
            else walk(x);
          }
      };
      walk(objects);
      const others = images.filter((i) => !built.includes(i.split(':')[0] as string));
      assert.ok(others.includes(get<string>(cluster, 'spec', 'imageName')), 'the PostgreSQL image is set');
      for (const image of others) assert.match(image, EXACT_TAG, image);
      // Strimzi picks the broker image from the exact Kafka version.
      assert.match(get<string>(kafka, 'spec', 'kafka', 'version'), /^\d+\.\d+\.\d+$/);
    });
  });
}

/** A tag that starts with a full version (major.minor, and patch where the image has one): never `latest`. */
const EXACT_TAG = /:\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

describe('topic object names', () => {
  it('maps topic names Kubernetes rejects to valid object names', () => {
    assert.equal(topicObjectName('trades-00'), 'trades-00');
    assert.equal(topicObjectName('volume_alerts'), 'volume-alerts');
    assert.equal(topicObjectName('Trades.DLQ'), 'trades.dlq');
  });
});

describe('changes reaching the running job', () => {
  const flinkSpec = (env: Record<string, string>) =>
    find(parseManifests(manifests(loadConfig({ env }))), 'FlinkDeployment').spec;

  it('a changed SQL script changes the FlinkDeployment spec, the same script does not', () => {
    const before = flinkSpec({});
    assert.deepEqual(flinkSpec({}), before);
    // Only the SQL differs (the alert rule is in the script): the operator must still see a new spec.
    const after = flinkSpec({ ALERTS_VOLUME_THRESHOLD: '20000' });
    assert.notDeepEqual(after, before);
    assert.deepEqual({ ...after, podTemplate: undefined }, { ...before, podTemplate: undefined });
  });
});

describe('producer config on Kubernetes', () => {
  /** Records every config field the code reads, as a path (Dates and arrays are leaves). */
  function recording(config: PipelineConfig, read: Set<string>, path: string[] = []): PipelineConfig {
    return new Proxy(config, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return value;
        const at = [...path, key];
        const isSection =
          typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
        if (isSection) return recording(value as PipelineConfig, read, at);
        read.add(at.join('.'));
        return value;
      },
    });
  }

  it('every config field the market simulator reads reaches the pods', () => {
    const config = loadConfig({ env: {} });
    const env = producerEnv(config);
    const loaded = loadConfig({ env });
    for (const mode of ['live', 'replay'] as const) {
      const read = new Set<string>();
      const sim = new MarketSimulator(recording({ ...config, producer: { ...config.producer, mode } }, read));
      for (let n = 0; n < 5_000; n++) {
        sim.trade('narrow', 'p-1', n, 1_767_625_200_000);
        sim.trade('wide', 'p-1', n, 1_767_625_200_000);
      }
      assert.ok(read.has('alerts.volumeThreshold'));
      for (const path of read) {
        const value = (o: unknown) => path.split('.').reduce<unknown>((v, k) => (v as never)?.[k], o);
        assert.deepEqual(value(loaded), value(config), `${path} differs in the pods' config`);
      }
    }
    // A changed alert threshold reaches the pods (it shapes the simulated block trades).
    const changed = loadConfig({ env: { ALERTS_VOLUME_THRESHOLD: '50000' } });
    assert.equal(producerEnv(changed).ALERTS_VOLUME_THRESHOLD, '50000');
  });
});

describe('synth refuses a config the pods would refuse', () => {
  it('exits 2 with one line naming the field', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PRODUCER_ACKS: 'leader' }, /^invalid config producer\.acks: an idempotent producer needs acks=all/],
      [
        { KUBERNETES_PRODUCER_RESOURCES_MEMORY_REQUEST: '512M' },
        /^invalid config kubernetes\.producer\.resources\.memoryRequest: /,
      ],
      [
        { KUBERNETES_KAFKA_RESOURCES_CPU_LIMIT: '1k' },
        /^invalid config kubernetes\.kafka\.resources\.cpuLimit: /,
      ],
    ];
    for (const [env, message] of cases) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'charts/main.ts'), '--stdout'], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.match(run.stderr, message);
    }
  });

  it("loads the pods' environment as they do, whatever built the config", () => {
    const config = loadConfig({ env: {} });
    const bad = { ...config, producer: { ...config.producer, acks: 'none' as const } };
    assert.throws(
      () => checkProducerEnv(bad),
      (e: unknown) => e instanceof ConfigError && /producer\.acks.*env PRODUCER_ACKS/.test(e.message),
    );
  });
});

describe('requests fit the kind node', () => {
  // The defaults and the scaling examples of charts/README.md: 4 producers, a higher Flink parallelism.
  const examples: Record<string, Record<string, string>> = {
    defaults: {},
    '--producers=4': { KUBERNETES_PRODUCER_REPLICAS: '4' },
    'FLINK_PARALLELISM=4': { FLINK_PARALLELISM: '4' },
    both: { KUBERNETES_PRODUCER_REPLICAS: '4', FLINK_PARALLELISM: '4' },
  };
  for (const [label, env] of Object.entries(examples)) {
    it(label, () => {
      const config = loadConfig({ env });
      const pods = workloadPods(parseManifests(manifests(config)));
      const count = (name: string) => pods.find((p) => p.name.includes(name))?.pods;
      assert.equal(
        count(`Deployment/${names(config).producer.deployment}`),
        config.kubernetes.producer.replicas,
      );
      assert.equal(
        count('TaskManager'),
        Math.ceil(config.flink.parallelism / config.kubernetes.flink.taskSlots),
      );
      for (const name of ['KafkaNodePool/', 'entity operator', 'Kafka Exporter', 'Cluster/', 'JobManager'])
        assert.ok((count(name) ?? 0) >= 1, name);
      const total = totalRequests([...pods, ...PLATFORM_PODS]);
      assert.ok(total.cpuMillis <= KIND_NODE.cpuMillis, `${total.cpuMillis}m CPU requested`);
      assert.ok(total.memoryMi <= KIND_NODE.memoryMi, `${total.memoryMi}Mi requested`);
    });
  }

  it('counts a workload it does not know as an error, not as nothing', () => {
    const set = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'x' },
      spec: { template: { spec: {} } },
    };
    assert.throws(() => workloadPods([set]), /StatefulSet\/x/);
  });
});

describe('trade topics on Kubernetes', () => {
  it('close a segment well within retention, so retention deletes on time', () => {
    const config = loadConfig({ env: {} });
    const objects = parseManifests(manifests(config));
    for (const topic of tradeTopics(config)) {
      const spec = find(objects, 'KafkaTopic', topic).spec as { config: Record<string, string | number> };
      assert.equal(Number(spec.config['retention.ms']), TRADE_RETENTION_MS);
      assert.ok(Number(spec.config['segment.ms']) <= TRADE_RETENTION_MS / 2, topic);
    }
    for (const o of objects.filter((x) => x.kind === 'KafkaTopic')) {
      const c = (o.spec as { config: Record<string, number> }).config;
      assert.ok(Number(c['segment.ms']) < Number(c['retention.ms']), o.metadata.name);
    }
  });
});

describe('committed manifests', () => {
  it('k8s/ equals a fresh `npm run synth` of the default config', () => {
    assert.ok(existsSync(MANIFEST), 'k8s/tradestream.yaml is missing: run npm run synth');
    assert.equal(
      readFileSync(MANIFEST, 'utf8'),
      manifests(loadConfig({ env: {} })),
      'k8s/ drifted: run npm run synth',
    );
  });
});

describe('images', () => {
  const dockerfile = (path: string) => readFileSync(join(ROOT, path), 'utf8');
  /** Sources of the COPY lines that copy from the build context (not --from a stage). */
  const copied = (text: string) =>
    [...text.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)].flatMap((m) =>
      (m[1] as string).split(/\s+/),
    );

  it('the producer image copies files that exist, runs node directly as a numeric user', () => {
    const text = dockerfile('Dockerfile');
    for (const source of copied(text)) assert.ok(existsSync(join(ROOT, source)), `Dockerfile COPY ${source}`);
    assert.match(text, /^USER \d+(:\d+)?$/m);
    assert.match(text, /npm ci --omit=dev/);
    const entry = /^ENTRYPOINT \[("node".*)\]$/m.exec(text)?.[1];
    assert.ok(entry, 'ENTRYPOINT runs node itself, so signals reach it');
    const bundled = /esbuild (\S+\.ts)/.exec(text)?.[1];
    assert.ok(bundled && existsSync(join(ROOT, bundled)), `bundled entry ${bundled}`);
  });

  /** The images of the FROM lines, with ARG defaults (and FLINK_VERSION, which the Tiltfile passes) filled in. */
  const baseImages = (text: string, args: Record<string, string> = {}) => {
    const values: Record<string, string> = { ...args };
    for (const [, name, value] of text.matchAll(/^ARG (\w+)=(\S+)$/gm))
      values[name as string] ??= value as string;
    const stages = [...text.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    return [...text.matchAll(/^FROM (\S+)/gm)]
      .map((m) =>
        (m[1] as string).replace(/\$\{(\w+)\}/g, (_, name: string) => values[name] ?? `<${name} unset>`),
      )
      .filter((image) => !stages.includes(image));
  };

  it('pins every base image to an exact version tag', () => {
    const producer = baseImages(dockerfile('Dockerfile'));
    const flink = baseImages(dockerfile('flink/Dockerfile'), { FLINK_VERSION: flinkVersion() });
    assert.equal(producer.length, 3);
    assert.deepEqual(flink, [`maven:3.9.16-eclipse-temurin-17`, `flink:${flinkVersion()}-scala_2.12-java17`]);
    for (const image of [...producer, ...flink]) {
      assert.doesNotMatch(image, /:latest\b|^[^:]+$/, image);
      assert.match(image, /:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/, `${image}: major.minor.patch`);
    }
    assert.match(flinkVersion(), /^\d+\.\d+\.\d+$/);
    // A `# syntax=` directive would pull a frontend image of its own.
    for (const path of ['Dockerfile', 'flink/Dockerfile'])
      assert.doesNotMatch(dockerfile(path), /^# syntax=/m);
  });

  it('runs the producer on a supported Node LTS, while the code keeps running on Node 20', () => {
    const text = dockerfile('Dockerfile');
    const [image] = baseImages(text);
    const major = Number(/^node:(\d+)\./.exec(image as string)?.[1]);
    // Even majors become LTS; 20 ended on 2026-04-30 and 22 ends on 2027-04-30.
    assert.ok(major >= 24 && major % 2 === 0, `node ${major}`);
    assert.match(text, /--target=node20\b/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '>=20');
  });

  it('the Flink image builds from flink/pom.xml and checks the Flink version', () => {
    const text = dockerfile('flink/Dockerfile');
    for (const source of copied(text))
      assert.ok(existsSync(join(ROOT, 'flink', source)), `flink/Dockerfile COPY ${source}`);
    assert.match(text, /^ARG FLINK_VERSION$/m, 'no default: the Tiltfile passes the pom version');
    assert.match(text, /^FROM flink:\$\{FLINK_VERSION\}/m);
    assert.match(text, /-DincludeScope=runtime/);
    assert.match(text, /\/opt\/flink\/usrlib\/sql-runner\.jar/);
    assert.match(text, /^USER \d+/m);
    const tiltfile = readFileSync(join(ROOT, 'Tiltfile'), 'utf8');
    assert.match(tiltfile, /'FLINK_VERSION': settings\['flinkVersion'\]/);
  });
});
