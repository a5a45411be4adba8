/**
 * Tilt's `alerts` tool: Kafka's console consumer on the alerts topic, from the beginning, in a small pod of its
 * own (not a second JVM in a broker container), as the viewer KafkaUser: it may read the alerts and dead-letter
 * topics and nothing else. Its log is the alerts, one JSON object per line. Its client settings are written at
 * start to a private file in an emptyDir, from the Secret Strimzi made for the user (never into the manifest).
 */
import { Chart, type ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../src/config/index.ts';
import { KAFKA_SASL_MECHANISM } from '../src/config/index.ts';
import { VIEWER_GROUP_PREFIX } from '../src/pipeline/kafka-access.ts';
import { KAFKA_CA_DIR, names, podLabels, STRIMZI_UID } from './names.ts';
import { containerResources } from './resources.ts';

const CLIENT_PROPERTIES = '/tmp/client.properties';

/** The container's shell script: the client properties (mode 0600), then the console consumer. */
function viewerScript(config: PipelineConfig): string {
  const properties = [
    'security.protocol=SASL_SSL',
    `sasl.mechanism=${KAFKA_SASL_MECHANISM}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${names(config).kafka.caFile}`,
  ];
  return [
    'set -eu',
    'umask 077',
    `printf '%s\\n' ${properties.map((p) => `'${p}'`).join(' ')} "sasl.jaas.config=$KAFKA_SASL_JAAS_CONFIG" > ${CLIENT_PROPERTIES}`,
    // A group that commits nothing: every start reads the topic from the beginning.
    `exec /opt/kafka/bin/kafka-console-consumer.sh --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --topic '${config.kafka.alertsTopic}' --from-beginning --group '${VIEWER_GROUP_PREFIX}alerts' --command-property enable.auto.commit=false --command-config ${CLIENT_PROPERTIES}`,
  ].join('\n');
}

export class AlertsViewerChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    const n = names(config);
    const labels = podLabels(config).viewer;
    const secret = (name: string) => kplus.Secret.fromSecretName(this, `secret-${name}`, name);
    const kafkaCa = kplus.Volume.fromSecret(this, 'kafka-ca', secret(n.kafka.caSecret), {
      name: 'kafka-ca',
      items: { 'ca.crt': { path: 'ca.crt' } },
    });
    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(16) });

    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: n.kafka.viewer },
      replicas: 1,
      select: false,
      podMetadata: { labels },
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: STRIMZI_UID, group: STRIMZI_UID },
      containers: [
        {
          name: 'console-consumer',
          image: n.images.kafka,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: ['/bin/sh', '-c', viewerScript(config)],
          envVariables: {
            KAFKA_BOOTSTRAP_SERVERS: kplus.EnvValue.fromValue(n.kafka.bootstrap),
            KAFKA_SASL_JAAS_CONFIG: kplus.EnvValue.fromSecretValue({
              secret: secret(n.kafka.users.viewer),
              key: 'sasl.jaas.config',
            }),
            KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue('-Xms32m -Xmx96m'),
            // kafka-run-class.sh creates its log directory; the root filesystem is read-only.
            LOG_DIR: kplus.EnvValue.fromValue('/tmp/logs'),
          },
          resources: containerResources({
            cpuRequest: '20m',
            cpuLimit: '500m',
            memoryRequest: '192Mi',
            memoryLimit: '256Mi',
          }),
          volumeMounts: [
            { path: KAFKA_CA_DIR, volume: kafkaCa, readOnly: true },
            { path: '/tmp', volume: tmp },
          ],
          securityContext: {
            ensureNonRoot: true,
            user: STRIMZI_UID,
            group: STRIMZI_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels }));
  }
}
