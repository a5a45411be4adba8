/**
 * What each component's API objects say about its readiness. Pure functions of the objects as the API server
 * returns them, so they are tested against recorded responses (src/status/fixtures/).
 */

export type State = 'ready' | 'progressing' | 'failed' | 'missing';
export type Component = 'kafka' | 'postgres' | 'flink' | 'producer';
export const COMPONENTS: readonly Component[] = ['kafka', 'postgres', 'flink', 'producer'];

export interface ComponentStatus {
  component: Component;
  state: State;
  /** One line a person can act on. */
  detail: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
/** The fields of an API object this module reads; everything else is ignored. */
export interface ApiObject {
  metadata?: { name?: string; generation?: number; labels?: Record<string, string> };
  spec?: Record<string, unknown> & { replicas?: number; topicName?: string };
  status?: Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };
}

const condition = (o: ApiObject, type: string) => o.status?.conditions?.find((c) => c.type === type);
const why = (c: Condition | undefined) => [c?.reason, c?.message].filter(Boolean).join(': ');
const stale = (o: ApiObject) =>
  o.status?.observedGeneration !== undefined &&
  o.metadata?.generation !== undefined &&
  o.status.observedGeneration < o.metadata.generation;

/** Strimzi: Ready=True when reconciled; NotReady with reason Creating while deploying; any other reason failed. */
function strimziState(o: ApiObject): { state: State; detail: string } {
  const ready = condition(o, 'Ready');
  if (ready?.status === 'True' && !stale(o)) return { state: 'ready', detail: 'Ready' };
  const notReady = condition(o, 'NotReady') ?? (ready?.status === 'False' ? ready : undefined);
  if (!notReady || stale(o)) return { state: 'progressing', detail: 'waiting for the operator to reconcile' };
  if (notReady.reason === 'Creating') return { state: 'progressing', detail: why(notReady) };
  return { state: 'failed', detail: why(notReady) || 'not ready' };
}

export function assessKafka(
  kafka: ApiObject | undefined,
  topics: ApiObject[],
  expected: string[],
): ComponentStatus {
  const component = 'kafka';
  if (!kafka) return { component, state: 'missing', detail: 'no Kafka resource: is Tilt applying k8s/?' };
  const cluster = strimziState(kafka);
  if (cluster.state !== 'ready') return { component, ...cluster, detail: `cluster: ${cluster.detail}` };
  const byName = new Map(topics.map((t) => [t.spec?.topicName ?? t.metadata?.name, t]));
  const missing = expected.filter((name) => !byName.has(name));
  const states = expected
    .filter((name) => byName.has(name))
    .map((name) => ({ name, ...strimziState(byName.get(name) as ApiObject) }));
  const failed = states.filter((s) => s.state === 'failed');
  if (failed.length > 0) {
    return { component, state: 'failed', detail: `topic ${failed[0]?.name}: ${failed[0]?.detail}` };
  }
  const waiting = [...missing, ...states.filter((s) => s.state !== 'ready').map((s) => s.name)];
  if (waiting.length > 0) {
    return {
      component,
      state: 'progressing',
      detail: `cluster Ready; topics not ready yet: ${waiting.join(', ')}`,
    };
  }
  return { component, state: 'ready', detail: `cluster Ready, ${expected.length} topics Ready` };
}

const HEALTHY_PHASE = 'Cluster in healthy state';

/** CloudNativePG: healthy phase and Ready condition; phases that need a person are failures. */
export function assessPostgres(cluster: ApiObject | undefined): ComponentStatus {
  const component = 'postgres';
  if (!cluster) return { component, state: 'missing', detail: 'no CloudNativePG Cluster resource' };
  const phase = (cluster.status?.phase as string | undefined) ?? '';
  const reason = cluster.status?.phaseReason as string | undefined;
  const instances = `${cluster.status?.readyInstances ?? 0}/${cluster.spec?.instances ?? '?'} instances ready`;
  if (phase === HEALTHY_PHASE && condition(cluster, 'Ready')?.status === 'True' && !stale(cluster)) {
    return { component, state: 'ready', detail: `${phase}, ${instances}` };
  }
  // CloudNativePG's phases that wait for a person (unrecoverable, waiting for user action, cannot proceed...).
  if (/unable|cannot|unrecoverable|waiting for user|error/i.test(phase)) {
    return { component, state: 'failed', detail: [phase, reason].filter(Boolean).join(': ') };
  }
  return { component, state: 'progressing', detail: `${phase || 'waiting for the operator'}, ${instances}` };
}

/** Flink operator: READY JobManager, RUNNING job, STABLE lifecycle; FAILED anywhere or an error is a failure. */
export function assessFlink(deployment: ApiObject | undefined, pods: ApiObject[] = []): ComponentStatus {
  const component = 'flink';
  if (!deployment) return { component, state: 'missing', detail: 'no FlinkDeployment resource' };
  const s = deployment.status ?? {};
  const jm = (s.jobManagerDeploymentStatus as string | undefined) ?? 'unknown';
  const job = ((s.jobStatus as { state?: string } | undefined)?.state ?? 'unknown').toUpperCase();
  const lifecycle = (s.lifecycleState as string | undefined) ?? 'unknown';
  const summary = `JobManager ${jm}, job ${job}, lifecycle ${lifecycle}`;
  if (jm === 'READY' && job === 'RUNNING' && lifecycle === 'STABLE')
    return { component, state: 'ready', detail: summary };
  if (lifecycle === 'FAILED' || job === 'FAILED' || jm === 'ERROR') {
    return { component, state: 'failed', detail: `${summary}${s.error ? `: ${errorText(s.error)}` : ''}` };
  }
  const problem = podProblems(pods)[0];
  if (problem) return { component, state: 'failed', detail: `${summary}; ${problem.pod}: ${problem.reason}` };
  return {
    component,
    state: 'progressing',
    detail: `${summary}${s.error ? ` (last error: ${errorText(s.error)})` : ''}`,
  };
}

/** The operator stores errors as a JSON string with a message; keep one line. */
function errorText(error: unknown): string {
  let text = String(error);
  try {
    text = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // not JSON: the plain text is the message
  }
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

export interface PodProblem {
  pod: string;
  reason: string;
}

/** Container states that will not fix themselves: bad image, crash loop, bad config. */
export function podProblems(pods: ApiObject[]): PodProblem[] {
  const stuck = /CrashLoopBackOff|ImagePullBackOff|ErrImagePull|InvalidImageName|CreateContainerConfigError/;
  const problems: PodProblem[] = [];
  for (const pod of pods) {
    const statuses = (pod.status?.containerStatuses ?? []) as {
      state?: { waiting?: { reason?: string; message?: string } };
    }[];
    for (const c of statuses) {
      const waiting = c.state?.waiting;
      if (waiting?.reason && stuck.test(waiting.reason)) {
        problems.push({
          pod: pod.metadata?.name ?? '?',
          reason: [waiting.reason, waiting.message].filter(Boolean).join(': '),
        });
      }
    }
  }
  return problems;
}

export interface PodRate {
  pod: string;
  /** Trades per second from the pod's /metrics, or why it could not be read. */
  rate: number | string;
}

/** The producer: every desired replica ready, plus each pod's current rate from its metrics. */
export function assessProducer(
  deployment: ApiObject | undefined,
  pods: ApiObject[],
  rates: PodRate[],
): ComponentStatus {
  const component = 'producer';
  if (!deployment) return { component, state: 'missing', detail: 'no producer Deployment' };
  const desired = deployment.spec?.replicas ?? 1;
  const ready = (deployment.status?.readyReplicas as number | undefined) ?? 0;
  const measured = rates.filter((r) => typeof r.rate === 'number') as { pod: string; rate: number }[];
  const total = measured.reduce((sum, r) => sum + r.rate, 0);
  const unread = rates.filter((r) => typeof r.rate === 'string');
  const rateText =
    rates.length === 0
      ? ''
      : `, ${Math.round(total)} trades/s${measured.length > 1 ? ` (${measured.map((r) => Math.round(r.rate)).join(' + ')})` : ''}` +
        (unread.length > 0 ? `; no rate from ${unread.map((r) => `${r.pod} (${r.rate})`).join(', ')}` : '');
  const replicas = `${ready}/${desired} replicas ready${rateText}`;
  const problems = podProblems(pods);
  if (problems.length > 0)
    return { component, state: 'failed', detail: `${problems[0]?.pod}: ${problems[0]?.reason}` };
  const progressing = condition(deployment, 'Progressing');
  if (progressing?.status === 'False')
    return { component, state: 'failed', detail: `${replicas}; ${why(progressing)}` };
  const replicaFailure = condition(deployment, 'ReplicaFailure');
  if (replicaFailure?.status === 'True')
    return { component, state: 'failed', detail: `${replicas}; ${why(replicaFailure)}` };
  if (ready >= desired && !stale(deployment)) return { component, state: 'ready', detail: replicas };
  return { component, state: 'progressing', detail: replicas };
}

/** The value of an unlabelled metric in Prometheus text format, or undefined when absent. */
export function metricValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [key, value] = line.trim().split(/\s+/);
    if (key === name && value !== undefined) return Number(value);
  }
  return undefined;
}
