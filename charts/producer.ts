/**
 * The producer: a Deployment of N identical pods, each producing config.producer.rate trades per second, and
 * a Service for their /metrics. The pods get the whole config they need as environment variables (the config's
 * own env names), so a pod runs with exactly the config the manifests were generated from.
 */
import { Chart, type ChartProps, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import {
  KAFKA_PASSWORD_ENV,
  loadConfig,
  type PipelineConfig,
  producerConfigEnv,
} from '../src/config/index.ts';
import { KAFKA_CA_DIR, names, PRODUCER_UID, podLabels } from './names.ts';
import { containerResources } from './resources.ts';

/**
 * The producer's environment: every field of the sections it reads (PRODUCER_SECTIONS in src/config, the
 * same list the local stack's producer gets) under the config's env name, with the connection pointing at the
 * in-cluster listener: its bootstrap Service, SCRAM as the producer's KafkaUser, the cluster CA as mounted. (The
 * password is the pod's KAFKA_PASSWORD, from that user's Secret.) The instance id is left unset: each pod
 * takes POD_NAME.
 */
export function producerEnv(config: PipelineConfig): Record<string, string> {
  const { kafka } = names(config);
  return producerConfigEnv({
    ...config,
    kafka: {
      ...config.kafka,
      brokers: [kafka.bootstrap],
      securityProtocol: kafka.securityProtocol,
      caFile: kafka.caFile,
      username: kafka.users.producer,
    },
  });
}

/**
 * What a pod does at start: loads its config from exactly this environment. Synth runs it, so a config the
 * pods would refuse stops synth with the same one line (ConfigError: exit 2) instead of crash-looping pods.
 */
export function checkProducerEnv(config: PipelineConfig): void {
  loadConfig({ env: producerEnv(config) });
}

export class ProducerChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    checkProducerEnv(config);
    const n = names(config);
    const k = config.kubernetes.producer;
    const port = config.producer.metricsPort;
    const labels = podLabels(config).producer;
    const secret = (name: string) => kplus.Secret.fromSecretName(this, `secret-${name}`, name);
    // Only the certificate: Strimzi's CA Secret holds nothing else, but say which item is read.
    const kafkaCa = kplus.Volume.fromSecret(this, 'kafka-ca', secret(n.kafka.caSecret), {
      name: 'kafka-ca',
      items: { 'ca.crt': { path: 'ca.crt' } },
    });

    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: n.producer.deployment },
      replicas: k.replicas,
      select: false,
      podMetadata: { labels },
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(this, 'sa', n.producer.serviceAccount),
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: PRODUCER_UID, group: PRODUCER_UID },
      // The producer flushes its in-flight batches on SIGTERM.
      terminationGracePeriod: Duration.seconds(30),
      containers: [
        {
          name: 'producer',
          image: n.images.producer,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ name: 'metrics', number: port }],
          envVariables: {
            ...Object.fromEntries(
              Object.entries(producerEnv(config)).map(([name, v]) => [name, kplus.EnvValue.fromValue(v)]),
            ),
            POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            [KAFKA_PASSWORD_ENV]: kplus.EnvValue.fromSecretValue({
              secret: secret(n.kafka.users.producer),
              key: 'password',
            }),
          },
          volumeMounts: [{ path: KAFKA_CA_DIR, volume: kafkaCa, readOnly: true }],
          resources: containerResources(k.resources),
          securityContext: {
            ensureNonRoot: true,
            user: PRODUCER_UID,
            group: PRODUCER_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            // Pod Security "restricted" (the namespace enforces it): no capabilities, the runtime's syscall filter.
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          liveness: kplus.Probe.fromHttpGet('/healthz', {
            port,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet('/readyz', {
            port,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels }));

    new kplus.Service(this, 'metrics', {
      metadata: { name: n.producer.metricsService, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: kplus.Pods.select(this, 'producer-pods', { labels }),
      ports: [{ name: 'metrics', port, targetPort: port }],
    });
  }
}
