/**
 * Container resources from the config, in the shape every generated CRD type and cdk8s-plus expect; and the
 * sum of every workload's requests, to check them against the kind node the docs ask for.
 */
import { Size } from 'cdk8s';
import { type ContainerResources, Cpu } from 'cdk8s-plus-28';
import type { KubeObject } from './manifests.ts';

export interface Resources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

/** The generated CRD types wrap each quantity in a class with `fromString`. */
interface Quantity<T> {
  fromString(value: string): T;
}

export function crdResources<L, R>(r: Resources, limit: Quantity<L>, request: Quantity<R>) {
  return {
    requests: { cpu: request.fromString(r.cpuRequest), memory: request.fromString(r.memoryRequest) },
    limits: { cpu: limit.fromString(r.cpuLimit), memory: limit.fromString(r.memoryLimit) },
  };
}

const MEBI: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** The config's schema admits only what this parses (src/config/kubernetes.ts), so synth never throws here. */
function mebibytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`memory ${quantity}: use Ki, Mi, Gi or Ti`);
  return Number(m[1]) * (MEBI[m[2] as string] as number);
}

function millicores(quantity: string | number): number {
  const q = String(quantity);
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

/** cdk8s-plus container resources (its defaults are far too big for kind: FACTS.md). */
export function containerResources(r: Resources): ContainerResources {
  return {
    cpu: { request: Cpu.millis(millicores(r.cpuRequest)), limit: Cpu.millis(millicores(r.cpuLimit)) },
    memory: {
      request: Size.mebibytes(mebibytes(r.memoryRequest)),
      limit: Size.mebibytes(mebibytes(r.memoryLimit)),
    },
  };
}

export interface Requests {
  cpuMillis: number;
  memoryMi: number;
}

/** One kind of pod: how many run and what each requests. */
export interface PodRequests {
  name: string;
  pods: number;
  requests: Requests;
}

/** The one-node kind cluster charts/README.md asks for: Docker's VM with 4 CPUs and 8 GiB of memory. */
export const KIND_NODE: Requests = { cpuMillis: 4_000, memoryMi: 8 * 1024 };

/**
 * Pods on the node that k8s/ does not describe. kind's control plane: kubeadm's static pods and kind's own
 * add-ons (local-path-provisioner and kube-proxy request nothing). Operators: Strimzi's chart requests 200m
 * and 384Mi (its long-standing values.yaml default, not re-read at 1.2.0); the Flink operator chart's operatorPod.resources and CloudNativePG's chart resources are empty
 * by default, so they request nothing (their real use still needs room: hence the headroom left below).
 * kube-prometheus-stack (Tiltfile) likewise: its Prometheus, operator and Grafana pods have no resources in the
 * chart's default values (read, not run), so they too live in the headroom.
 */
export const PLATFORM_PODS: readonly PodRequests[] = [
  { name: 'kube-apiserver', pods: 1, requests: { cpuMillis: 250, memoryMi: 0 } },
  { name: 'kube-controller-manager', pods: 1, requests: { cpuMillis: 200, memoryMi: 0 } },
  { name: 'kube-scheduler', pods: 1, requests: { cpuMillis: 100, memoryMi: 0 } },
  { name: 'etcd', pods: 1, requests: { cpuMillis: 100, memoryMi: 100 } },
  { name: 'coredns', pods: 2, requests: { cpuMillis: 100, memoryMi: 70 } },
  { name: 'kindnet', pods: 1, requests: { cpuMillis: 100, memoryMi: 50 } },
  { name: 'strimzi-cluster-operator', pods: 1, requests: { cpuMillis: 200, memoryMi: 384 } },
];

type Quantities = { cpu?: string | number; memory?: string } | undefined;
const get = <T>(o: unknown, ...path: string[]): T =>
  path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o) as T;
const request = (r: Quantities): Requests => ({
  cpuMillis: r?.cpu === undefined ? 0 : millicores(r.cpu),
  memoryMi: r?.memory === undefined ? 0 : mebibytes(r.memory),
});
/** Flink's memory sizes (1536m, 2g): the operator requests the whole process size. */
const flinkMebibytes = (size: string) => Number.parseInt(size, 10) * (/g/i.test(size) ? 1024 : 1);

/** Kinds that make pods; any other kind with a pod template in the manifests is an error, so none is missed. */
const WORKLOADS = ['Deployment', 'Job', 'KafkaNodePool', 'Kafka', 'Cluster', 'FlinkDeployment'];

/** The pods the synthesized manifests make, read back from them as the operators and controllers would. */
export function workloadPods(objects: readonly KubeObject[]): PodRequests[] {
  const pods: PodRequests[] = [];
  for (const o of objects) {
    const name = `${o.kind}/${o.metadata.name}`;
    const spec = o.spec ?? {};
    if (o.kind === 'Deployment' || o.kind === 'Job') {
      // A Job's pods (the schema migration) run before the pipeline's, but still need room when they do.
      const containers = get<{ resources?: { requests?: Quantities } }[]>(
        spec,
        'template',
        'spec',
        'containers',
      );
      const each = containers.map((c) => request(c.resources?.requests));
      pods.push({
        name,
        pods: get<number>(spec, 'replicas') ?? get<number>(spec, 'parallelism') ?? 1,
        requests: {
          cpuMillis: each.reduce((a, r) => a + r.cpuMillis, 0),
          memoryMi: each.reduce((a, r) => a + r.memoryMi, 0),
        },
      });
    } else if (o.kind === 'KafkaNodePool') {
      pods.push({ name, pods: get(spec, 'replicas'), requests: request(get(spec, 'resources', 'requests')) });
    } else if (o.kind === 'Kafka') {
      // The brokers are the node pool's; the Kafka resource adds the entity operator's pod.
      const topicOperator = get<Quantities>(spec, 'entityOperator', 'topicOperator', 'resources', 'requests');
      const userOperator = get<Quantities>(spec, 'entityOperator', 'userOperator', 'resources', 'requests');
      const parts = [request(topicOperator), request(userOperator)];
      pods.push({
        name: `${name} entity operator`,
        pods: 1,
        requests: {
          cpuMillis: parts.reduce((a, r) => a + r.cpuMillis, 0),
          memoryMi: parts.reduce((a, r) => a + r.memoryMi, 0),
        },
      });
      // spec.kafkaExporter adds the Kafka Exporter's pod (one container).
      if (get(spec, 'kafkaExporter') !== undefined) {
        pods.push({
          name: `${name} Kafka Exporter`,
          pods: 1,
          requests: request(get<Quantities>(spec, 'kafkaExporter', 'resources', 'requests')),
        });
      }
    } else if (o.kind === 'Cluster') {
      pods.push({
        name,
        pods: get(spec, 'instances'),
        requests: request(get(spec, 'resources', 'requests')),
      });
    } else if (o.kind === 'FlinkDeployment') {
      const flinkPod = (role: 'jobManager' | 'taskManager') => ({
        cpuMillis: get<number>(spec, role, 'resource', 'cpu') * 1000,
        memoryMi: flinkMebibytes(get<string>(spec, role, 'resource', 'memory')),
      });
      const slots = Number(get<string>(spec, 'flinkConfiguration', 'taskmanager.numberOfTaskSlots'));
      pods.push({
        name: `${name} JobManager`,
        pods: get(spec, 'jobManager', 'replicas'),
        requests: flinkPod('jobManager'),
      });
      pods.push({
        name: `${name} TaskManager`,
        // What Flink's resource manager starts for the job: one slot per parallel subtask.
        pods: Math.ceil(get<number>(spec, 'job', 'parallelism') / slots),
        requests: flinkPod('taskManager'),
      });
    } else if (get(spec, 'template', 'spec') !== undefined || WORKLOADS.includes(o.kind)) {
      throw new Error(`${name}: a workload the requests sum does not know`);
    }
  }
  return pods;
}

/** The sum of the requests of these pods. */
export function totalRequests(pods: readonly PodRequests[]): Requests {
  return {
    cpuMillis: pods.reduce((a, p) => a + p.pods * p.requests.cpuMillis, 0),
    memoryMi: pods.reduce((a, p) => a + p.pods * p.requests.memoryMi, 0),
  };
}
