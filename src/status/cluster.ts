/** Reads the components' API objects from the kubeconfig's cluster and assesses them (assess.ts). */
import { type RequestOptions, request } from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { KUBE_PROMETHEUS_STACK, names, podLabels } from '../../charts/names.ts';
import { allTopics, type PipelineConfig } from '../config/index.ts';
import { PRODUCER_METRICS } from '../producer/metrics.ts';
import {
  type ApiObject,
  assessFlink,
  assessKafka,
  assessPostgres,
  assessProducer,
  type Component,
  type ComponentStatus,
  metricValue,
  type PodRate,
} from './assess.ts';

/** The producer's gauge of acknowledged trades per second (src/producer/metrics.ts). */
export const RATE_METRIC = PRODUCER_METRICS.rate;

const CRDS = {
  kafka: { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkas' },
  topics: { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkatopics' },
  postgres: { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' },
  flink: { group: 'flink.apache.org', version: 'v1beta1', plural: 'flinkdeployments' },
} as const;

/** A 404 (object or CRD absent) is `undefined`; any other error propagates. */
async function orMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

const selector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export class ClusterStatus {
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly config: PipelineConfig,
  ) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  private get names() {
    return names(this.config);
  }

  private custom1(crd: (typeof CRDS)[keyof typeof CRDS], name: string) {
    return orMissing(
      this.custom.getNamespacedCustomObject({
        ...crd,
        namespace: this.names.namespace,
        name,
      }) as Promise<ApiObject>,
    );
  }

  private async pods(labels: Record<string, string>): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({
      namespace: this.names.namespace,
      labelSelector: selector(labels),
    });
    return list.items;
  }

  async assess(component: Component): Promise<ComponentStatus> {
    const n = this.names;
    switch (component) {
      case 'kafka': {
        const kafka = await this.custom1(CRDS.kafka, n.kafka.cluster);
        const topics = (await orMissing(
          this.custom.listNamespacedCustomObject({
            ...CRDS.topics,
            namespace: n.namespace,
            labelSelector: `strimzi.io/cluster=${n.kafka.cluster}`,
          }) as Promise<{ items: ApiObject[] }>,
        )) ?? { items: [] };
        return assessKafka(
          kafka,
          topics.items,
          allTopics(this.config).map((t) => t.name),
        );
      }
      case 'postgres':
        return assessPostgres(await this.custom1(CRDS.postgres, n.postgres.cluster));
      case 'flink': {
        const deployment = await this.custom1(CRDS.flink, n.flink.deployment);
        const pods = await this.pods({ app: n.flink.deployment });
        return assessFlink(deployment, pods as ApiObject[]);
      }
      case 'producer': {
        const deployment = await orMissing(
          this.apps.readNamespacedDeployment({ name: n.producer.deployment, namespace: n.namespace }),
        );
        const pods = await this.pods(podLabels(this.config).producer);
        const running = pods.filter((p) => p.status?.phase === 'Running');
        const rates = await Promise.all(running.map((p) => this.rate(p.metadata?.name ?? '')));
        return assessProducer(deployment as ApiObject | undefined, pods as ApiObject[], rates);
      }
    }
  }

  /** The pod's current rate, scraped from /metrics through the API server's pod proxy. */
  private async rate(pod: string): Promise<PodRate> {
    try {
      const text = await this.core.connectGetNamespacedPodProxyWithPath({
        name: `${pod}:${this.config.producer.metricsPort}`,
        namespace: this.names.namespace,
        path: 'metrics',
      });
      return { pod, rate: metricValue(text, RATE_METRIC) ?? `no ${RATE_METRIC}` };
    } catch (error) {
      return { pod, rate: error instanceof ApiException ? `HTTP ${error.code}` : (error as Error).message };
    }
  }

  /**
   * An instant query to kube-prometheus-stack's Prometheus, through the API server's service proxy (as kubectl
   * proxies: the kubeconfig's credentials), answered as Prometheus' JSON.
   */
  async prometheusQuery(expr: string): Promise<unknown> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('no cluster in the kubeconfig');
    const service = `${KUBE_PROMETHEUS_STACK.prometheusService}:${KUBE_PROMETHEUS_STACK.prometheusPortName}`;
    const url = new URL(
      `/api/v1/namespaces/${this.config.kubernetes.operatorNamespaces.monitoring}/services/${service}/proxy/api/v1/query`,
      server,
    );
    url.searchParams.set('query', expr);
    const options: RequestOptions = { method: 'GET', timeout: 10_000 };
    await this.kubeConfig.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          try {
            const answer = JSON.parse(body) as { kind?: string; code?: number; message?: string };
            // The API server's own refusal (no such Service, no endpoints, forbidden), not Prometheus'.
            if (answer.kind === 'Status') reject(new Error(`HTTP ${answer.code}: ${answer.message}`));
            else resolve(answer);
          } catch {
            reject(new Error(`HTTP ${res.statusCode} from Prometheus' service proxy: ${body.slice(0, 200)}`));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('Prometheus did not answer in 10 s')));
      req.on('error', reject);
      req.end();
    });
  }
}
