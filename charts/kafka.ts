/**
 * Kafka on Strimzi: a KRaft cluster of one dual-role (controller + broker) node pool, and one KafkaTopic per
 * topic the pipeline uses (allTopics(config)), so the topic operator creates them before any client starts.
 * Clients have one listener, TLS with SCRAM-SHA-512, and ACLs are enforced: each client is a KafkaUser with the
 * least ACLs of src/pipeline/kafka-access.ts, whose Secret (made by Strimzi's user operator) is the only place
 * its password exists.
 */
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { allTopics, type PipelineConfig, TRADE_RETENTION_MS } from '../src/config/index.ts';
import { kafkaJmxExporterYaml } from '../src/config/kafka-metrics.ts';
import { type KafkaClient, kafkaAccess } from '../src/pipeline/kafka-access.ts';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaSpecEntityOperatorTopicOperatorResourcesLimits,
  KafkaSpecEntityOperatorTopicOperatorResourcesRequests,
  KafkaSpecEntityOperatorUserOperatorResourcesLimits,
  KafkaSpecEntityOperatorUserOperatorResourcesRequests,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaExporterResourcesLimits,
  KafkaSpecKafkaExporterResourcesRequests,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
  KafkaTopic,
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  type KafkaUserSpecAuthorizationAclsOperations,
  type KafkaUserSpecAuthorizationAclsResourcePatternType,
  type KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
} from './imports/strimzi-kafka.strimzi.io.ts';
import { names, PORTS, podLabels } from './names.ts';
import { crdResources } from './resources.ts';

/** Trade topics keep an hour (their segment.ms, which lets retention act, is in TRADE_TOPIC_CONFIG). */
const TRADE_RETENTION = { 'retention.ms': TRADE_RETENTION_MS, 'segment.bytes': 64 * 1024 * 1024 };
/** Alerts and dead letters are few and worth reading later; a daily segment lets their week expire on time. */
const KEPT_TOPIC_CONFIG = {
  'retention.ms': 7 * 24 * 3_600_000,
  'segment.bytes': 64 * 1024 * 1024,
  'segment.ms': 24 * 3_600_000,
};

/** A Kubernetes object name for a topic name (`_` and capitals are not allowed in object names). */
export function topicObjectName(topic: string): string {
  return topic
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
}

/** Each of the entity operator's two containers (topic and user operator). */
const ENTITY_OPERATOR_CONTAINER = {
  cpuRequest: '50m',
  cpuLimit: '500m',
  memoryRequest: '256Mi',
  memoryLimit: '384Mi',
};

export class KafkaChart extends Chart {
  constructor(scope: Construct, id: string, config: PipelineConfig, props: ChartProps = {}) {
    super(scope, id, props);
    const n = names(config);
    const labels = podLabels(config);
    const k = config.kubernetes.kafka;
    const brokers = config.kafka.replicationFactor;
    const clusterLabel = { 'strimzi.io/cluster': n.kafka.cluster };

    new KafkaNodePool(this, 'node-pool', {
      metadata: { name: n.kafka.nodePool, labels: clusterLabel },
      spec: {
        replicas: brokers,
        roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER],
        storage: {
          type: KafkaNodePoolSpecStorageType.PERSISTENT_HYPHEN_CLAIM,
          size: k.storageSize,
          deleteClaim: true,
        },
        resources: crdResources(
          k.resources,
          KafkaNodePoolSpecResourcesLimits,
          KafkaNodePoolSpecResourcesRequests,
        ),
        jvmOptions: { xms: k.heap, xmx: k.heap },
      },
    });

    // Every internal topic gets the same replication as the data topics; with one broker that is 1, which
    // exactly-once sinks need for the transaction state log (FACTS.md).
    const minIsr = Math.max(1, brokers - 1);
    // The JMX exporter's rules, the same object the local broker's agent reads (src/config/kafka-metrics.ts).
    new kplus.ConfigMap(this, 'metrics', {
      metadata: { name: n.kafka.metricsConfigMap, labels: clusterLabel },
      data: { [n.kafka.metricsConfigKey]: kafkaJmxExporterYaml() },
    });
    new Kafka(this, 'kafka', {
      metadata: { name: n.kafka.cluster },
      spec: {
        kafka: {
          version: k.version,
          listeners: [
            {
              name: 'tls',
              port: PORTS.kafkaTls,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              // The brokers' certificates are signed by the cluster CA (Secret <cluster>-cluster-ca-cert) and
              // name the bootstrap and broker Services, so clients verify host names too.
              tls: true,
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
              // Strimzi turns these into its own NetworkPolicy for the listener: see namespace.ts.
              networkPolicyPeers: [labels.producer, labels.flink, labels.viewer].map((matchLabels) => ({
                podSelector: { matchLabels },
              })),
            },
          ],
          // Strimzi's own components (operators, the brokers among themselves) are super users by their TLS
          // certificates; every client gets only its KafkaUser's ACLs.
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          config: {
            'auto.create.topics.enable': false,
            'default.replication.factor': brokers,
            'min.insync.replicas': minIsr,
            'offsets.topic.replication.factor': brokers,
            'transaction.state.log.replication.factor': brokers,
            'transaction.state.log.min.isr': minIsr,
            'group.initial.rebalance.delay.ms': 0,
          },
          // Strimzi runs the JMX exporter agent in each broker on 9404 (`tcp-prometheus`) with these rules.
          metricsConfig: {
            type: KafkaSpecKafkaMetricsConfigType.JMX_PROMETHEUS_EXPORTER,
            valueFrom: {
              configMapKeyRef: { name: n.kafka.metricsConfigMap, key: n.kafka.metricsConfigKey },
            },
          },
        },
        // Consumer-group lag per group, topic and partition (kafka_consumergroup_lag) on its own 9404. It reads
        // committed offsets, which the Flink source commits on checkpoints only: its lag moves in steps.
        kafkaExporter: {
          groupRegex: '.*',
          topicRegex: '.*',
          resources: crdResources(
            k.exporterResources,
            KafkaSpecKafkaExporterResourcesLimits,
            KafkaSpecKafkaExporterResourcesRequests,
          ),
        },
        entityOperator: {
          topicOperator: {
            resources: crdResources(
              ENTITY_OPERATOR_CONTAINER,
              KafkaSpecEntityOperatorTopicOperatorResourcesLimits,
              KafkaSpecEntityOperatorTopicOperatorResourcesRequests,
            ),
          },
          userOperator: {
            resources: crdResources(
              ENTITY_OPERATOR_CONTAINER,
              KafkaSpecEntityOperatorUserOperatorResourcesLimits,
              KafkaSpecEntityOperatorUserOperatorResourcesRequests,
            ),
          },
        },
      },
    });

    const seen = new Map<string, string>();
    for (const topic of allTopics(config)) {
      const objectName = topicObjectName(topic.name);
      const clash = seen.get(objectName);
      if (clash)
        throw new Error(`topics ${clash} and ${topic.name} map to the same KafkaTopic name ${objectName}`);
      seen.set(objectName, topic.name);
      const isTrades = topic.name !== config.kafka.alertsTopic && topic.name !== config.kafka.deadLetterTopic;
      new KafkaTopic(this, `topic-${objectName}`, {
        metadata: { name: objectName, labels: clusterLabel },
        spec: {
          ...(objectName === topic.name ? {} : { topicName: topic.name }),
          partitions: topic.partitions,
          replicas: config.kafka.replicationFactor,
          config: { ...(isTrades ? TRADE_RETENTION : KEPT_TOPIC_CONFIG), ...topic.config },
        },
      });
    }

    const access = kafkaAccess(config);
    for (const [client, user] of Object.entries(n.kafka.users) as [KafkaClient, string][]) {
      new KafkaUser(this, `user-${client}`, {
        metadata: { name: user, labels: clusterLabel },
        spec: {
          authentication: { type: KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512 },
          authorization: {
            type: KafkaUserSpecAuthorizationType.SIMPLE,
            // kafka-access.ts speaks Strimzi's words: topic/group/transactionalId, literal/prefix, Read/Write.
            acls: access[client].map((acl) => ({
              resource: {
                type: acl.type as KafkaUserSpecAuthorizationAclsResourceType,
                name: acl.name,
                patternType: acl.patternType as KafkaUserSpecAuthorizationAclsResourcePatternType,
              },
              operations: acl.operations as KafkaUserSpecAuthorizationAclsOperations[],
            })),
          },
        },
      });
    }
  }
}
