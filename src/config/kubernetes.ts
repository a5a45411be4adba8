/**
 * The Kubernetes part of the pipeline config, read by the cdk8s charts (charts/), the Tiltfile (through
 * `charts/main.ts --settings`) and the status command. Defaults fit a one-node kind cluster on a laptop:
 * the requests of every workload, the operators' and kind's own included, fit KIND_NODE (charts/resources.ts)
 * for the defaults and the scaling examples of charts/README.md. Env names follow the usual rule: kubernetes.producer.replicas
 * <- KUBERNETES_PRODUCER_REPLICAS.
 */
import { z } from 'zod';

/** A Kubernetes object name (RFC 1123 label): lower case, digits and "-". */
const objectName = () =>
  z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, 'lower case letters, digits and "-", at most 40');
/** A Kubernetes resource quantity such as 500m, 1, 512Mi, 2Gi. */
const quantity = () =>
  z.string().regex(/^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, 'a quantity such as 500m, 512Mi or 2Gi');
/** CPU and memory as charts/resources.ts parses them (cdk8s-plus needs numbers): 500m or 0.5; 512Mi or 2Gi. */
const cpuQuantity = () => z.string().regex(/^\d+(\.\d+)?m?$/, 'CPU such as 250m or 1');
const memoryQuantity = () =>
  z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/, 'memory in Ki, Mi, Gi or Ti, such as 512Mi or 2Gi');
/** A Flink memory size such as 1024m or 2g (Flink's own units). */
const flinkMemory = () => z.string().regex(/^\d+(m|g|mb|gb)$/, 'a Flink memory size such as 1024m or 2g');
const image = () => z.string().regex(/^[a-z0-9][a-z0-9._/:-]*$/, 'an image reference without tag');
/** An image whose tag starts with an exact version (major.minor at least): no `latest`, no major-only tag. */
const pinnedImage = () =>
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._/:-]*:\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/,
      'an image with an exact version tag, such as repo/postgresql:18.6-standard-trixie',
    );
const int = () => z.coerce.number().int();

/** Requests and limits of one container; limits >= requests is checked by the API server, not here. */
const resources = (cpu: [string, string], memory: [string, string]) =>
  z
    .object({
      cpuRequest: cpuQuantity().default(cpu[0]),
      cpuLimit: cpuQuantity().default(cpu[1]),
      memoryRequest: memoryQuantity().default(memory[0]),
      memoryLimit: memoryQuantity().default(memory[1]),
    })
    .prefault({});

export const kubernetesSchema = z
  .object({
    namespace: objectName().default('tradestream'),
    /** Tag of both images; Tilt replaces it with its own content-hash tag when it builds them. */
    imageTag: z
      .string()
      .regex(/^[\w][\w.-]{0,127}$/)
      .default('dev'),
    operatorNamespaces: z
      .object({
        strimzi: objectName().default('strimzi'),
        cnpg: objectName().default('cnpg-system'),
        flink: objectName().default('flink-operator'),
        /** kube-prometheus-stack (Prometheus, its operator, Grafana), whose Prometheus scrapes the app's pods. */
        monitoring: objectName().default('monitoring'),
      })
      .prefault({}),
    producer: z
      .object({
        name: objectName().default('tradestream-producer'),
        image: image().default('tradestream-producer'),
        replicas: int().min(0).max(100).default(1),
        resources: resources(['100m', '1'], ['192Mi', '384Mi']),
      })
      .prefault({}),
    kafka: z
      .object({
        /** The Strimzi Kafka name: the bootstrap Service is `<cluster>-kafka-bootstrap`. */
        cluster: objectName().default('tradestream'),
        /** A Kafka version Strimzi 1.2 supports (4.2.0 to 4.3.1). */
        version: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/)
          .default('4.3.1'),
        storageSize: quantity().default('5Gi'),
        /** Broker JVM heap; keep it well under memoryLimit (page cache and off-heap need the rest). */
        heap: z
          .string()
          .regex(/^\d+[mg]$/)
          .default('512m'),
        resources: resources(['250m', '1'], ['1Gi', '1Gi']),
        /** Strimzi's Kafka Exporter (consumer-group lag for Prometheus): one small pod. */
        exporterResources: resources(['25m', '200m'], ['64Mi', '128Mi']),
      })
      .prefault({}),
    postgres: z
      .object({
        /** The CloudNativePG Cluster name: Services `<cluster>-rw`, Secret `<cluster>-app`. */
        cluster: objectName().default('tradestream-db'),
        database: objectName().default('tradestream'),
        /** The application user that owns the tables; its password lives only in `<cluster>-app`. */
        owner: z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/)
          .default('tradestream'),
        instances: int().min(1).max(5).default(1),
        /**
         * The PostgreSQL image, pinned to a minor release (the operator's own default is 18.4-system-trixie).
         * CloudNativePG's `standard` flavour: `system` is deprecated; a digest (@sha256:...) pins it fully.
         */
        image: pinnedImage().default('ghcr.io/cloudnative-pg/postgresql:18.6-standard-trixie'),
        storageSize: quantity().default('2Gi'),
        resources: resources(['100m', '1'], ['256Mi', '512Mi']),
      })
      .prefault({}),
    flink: z
      .object({
        /** The FlinkDeployment name: the UI is Service `<name>-rest`, port 8081. */
        name: objectName().default('tradestream-pipeline'),
        image: image().default('tradestream-flink'),
        /** Slots per TaskManager; the operator starts ceil(flink.parallelism / taskSlots) TaskManagers. */
        taskSlots: int().min(1).max(32).default(2),
        /** CPU requests; the limits are FLINK_CPU_LIMIT_FACTOR (charts/flink.ts) times them. */
        jobManagerCpu: z.coerce.number().positive().default(0.25),
        jobManagerMemory: flinkMemory().default('1024m'),
        taskManagerCpu: z.coerce.number().positive().default(0.5),
        taskManagerMemory: flinkMemory().default('1536m'),
        /** The volume holding checkpoints, savepoints and HA metadata. */
        stateStorageSize: quantity().default('2Gi'),
      })
      .prefault({}),
  })
  .prefault({});

export type KubernetesConfig = z.infer<typeof kubernetesSchema>;
