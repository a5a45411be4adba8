import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crdDirectory } from '../../charts/crds.ts';
import type { KubeObject } from '../../charts/manifests.ts';
import { builtinErrors, crdErrors, crdValidators } from '../../charts/validate.ts';
import { allTopics, loadConfig } from '../config/index.ts';
import {
  type ApiObject,
  assessFlink,
  assessKafka,
  assessPostgres,
  assessProducer,
  metricValue,
  podProblems,
} from './assess.ts';
import { RATE_METRIC } from './cluster.ts';

/**
 * API responses of each state, in the shape the API server returns them (GET of the object, LIST of topics and
 * pods). The custom resources' status blocks are checked against their CRDs' status schemas below, so a
 * fixture cannot drift from what the operators write.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = <T = ApiObject>(name: string): T =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
const items = (name: string) => fixture<{ items: ApiObject[] }>(name).items;

const config = loadConfig({ env: {} });
const topics = allTopics(config).map((t) => t.name);

describe('status fixtures', () => {
  const objects = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const o = fixture<KubeObject & { items?: KubeObject[] }>(f);
      return (o.items ?? [o]).map((x) => ({
        file: f,
        object: { ...x, apiVersion: x.apiVersion ?? o.apiVersion } as KubeObject,
      }));
    });

  it('are valid against the CRD schemas, status included', (t) => {
    const dir = crdDirectory();
    if (!dir) {
      t.skip('CRD directory absent: set TRADESTREAM_CRDS to ../shared/crds (CI has it)');
      return;
    }
    const validators = crdValidators(dir);
    const custom = objects.filter(({ object }) => validators.has(`${object.apiVersion}/${object.kind}`));
    assert.ok(custom.length >= 9);
    for (const { file, object } of custom) assert.deepEqual(crdErrors(validators, object), [], file);
  });

  it('are valid Kubernetes objects where they are built-in kinds', async () => {
    for (const { file, object } of objects.filter((o) => ['Deployment', 'Pod'].includes(o.object.kind))) {
      assert.deepEqual(await builtinErrors({ ...object, apiVersion: object.apiVersion ?? 'v1' }), [], file);
    }
  });
});

describe('kafka status', () => {
  it('is ready when the cluster and every topic are Ready', () => {
    const s = assessKafka(fixture('kafka-ready.json'), items('kafkatopics-ready.json'), topics);
    assert.equal(s.state, 'ready');
    assert.match(s.detail, /10 topics Ready/);
  });

  it('is progressing while the cluster is created, or while topics are missing or not ready', () => {
    const creating = assessKafka(fixture('kafka-progressing.json'), [], topics);
    assert.equal(creating.state, 'progressing');
    assert.match(creating.detail, /Creating: Kafka cluster is being deployed/);
    const partial = assessKafka(fixture('kafka-ready.json'), items('kafkatopics-progressing.json'), topics);
    assert.equal(partial.state, 'progressing');
    assert.match(partial.detail, /topics not ready yet: trades-dlq, trades-07, alerts$/);
  });

  it('fails with the operator reason on a bad cluster or topic', () => {
    const bad = assessKafka(fixture('kafka-failed.json'), items('kafkatopics-ready.json'), topics);
    assert.equal(bad.state, 'failed');
    assert.match(
      bad.detail,
      /UnsupportedKafkaVersionException: Unsupported Kafka\.spec\.kafka\.version: 3\.9\.0/,
    );
    const topic = assessKafka(fixture('kafka-ready.json'), items('kafkatopics-failed.json'), topics);
    assert.equal(topic.state, 'failed');
    assert.match(topic.detail, /^topic alerts: KafkaError: .*PolicyViolationException/);
  });

  it('is progressing when the operator has not seen the latest spec', () => {
    const kafka = fixture('kafka-ready.json');
    const newer = { ...kafka, metadata: { ...kafka.metadata, generation: 2 } };
    assert.equal(assessKafka(newer, items('kafkatopics-ready.json'), topics).state, 'progressing');
  });

  it('is missing without a Kafka resource', () => {
    assert.equal(assessKafka(undefined, [], topics).state, 'missing');
  });
});

describe('postgres status', () => {
  it('follows the CloudNativePG phase', () => {
    const ready = assessPostgres(fixture('postgres-ready.json'));
    assert.deepEqual([ready.state, ready.detail], ['ready', 'Cluster in healthy state, 1/1 instances ready']);
    const setup = assessPostgres(fixture('postgres-progressing.json'));
    assert.deepEqual([setup.state, setup.detail], ['progressing', 'Setting up primary, 0/1 instances ready']);
    const failed = assessPostgres(fixture('postgres-failed.json'));
    assert.equal(failed.state, 'failed');
    assert.match(failed.detail, /unrecoverable state, needs manual intervention: Missing primary PVC/);
    assert.equal(assessPostgres(undefined).state, 'missing');
  });
});

describe('flink status', () => {
  it('is ready only with a READY JobManager, a RUNNING job and a STABLE lifecycle', () => {
    const ready = assessFlink(fixture('flink-ready.json'));
    assert.deepEqual(
      [ready.state, ready.detail],
      ['ready', 'JobManager READY, job RUNNING, lifecycle STABLE'],
    );
    const deploying = assessFlink(fixture('flink-progressing.json'));
    assert.deepEqual(
      [deploying.state, deploying.detail],
      ['progressing', 'JobManager DEPLOYING, job RECONCILING, lifecycle DEPLOYED'],
    );
  });

  it('fails with the one-line message of the operator error', () => {
    const failed = assessFlink(fixture('flink-failed.json'));
    assert.equal(failed.state, 'failed');
    assert.match(
      failed.detail,
      /^JobManager ERROR, job RECONCILING, lifecycle FAILED: back-off 5m0s restarting failed container/,
    );
  });

  it('fails when its pods cannot start, even before the operator says so', () => {
    const failed = assessFlink(fixture('flink-progressing.json'), items('producer-pods-failed.json'));
    assert.equal(failed.state, 'failed');
    assert.match(failed.detail, /ImagePullBackOff/);
  });
});

describe('producer status', () => {
  const metrics = readFileSync(join(FIXTURES, 'producer-metrics.txt'), 'utf8');
  const rate = metricValue(metrics, RATE_METRIC) as number;

  it('reads the rate gauge from the metrics text', () => {
    assert.equal(rate, 998.4);
    assert.equal(metricValue(metrics, 'tradestream_producer_target_rate'), 1000);
    assert.equal(metricValue(metrics, 'absent_metric'), undefined);
  });

  it('is ready with every replica ready, and reports the total and per-pod rate', () => {
    const pods = items('producer-pods-ready.json');
    const rates = pods.map((p) => ({ pod: p.metadata?.name ?? '', rate }));
    const s = assessProducer(fixture('producer-deployment-ready.json'), pods, rates);
    assert.deepEqual([s.state, s.detail], ['ready', '3/3 replicas ready, 2995 trades/s (998 + 998 + 998)']);
    const unread = assessProducer(fixture('producer-deployment-ready.json'), pods, [
      { pod: 'a', rate },
      { pod: 'b', rate: 'HTTP 503' },
    ]);
    assert.match(unread.detail, /998 trades\/s; no rate from b \(HTTP 503\)$/);
  });

  it('is progressing while replicas start', () => {
    const s = assessProducer(fixture('producer-deployment-progressing.json'), [], []);
    assert.deepEqual([s.state, s.detail], ['progressing', '1/3 replicas ready']);
  });

  it('fails on a missed progress deadline or pods that cannot start, naming why', () => {
    const deadline = assessProducer(fixture('producer-deployment-failed.json'), [], []);
    assert.equal(deadline.state, 'failed');
    assert.match(
      deadline.detail,
      /ProgressDeadlineExceeded: ReplicaSet "tradestream-producer-\w+" has timed out/,
    );
    const pods = items('producer-pods-failed.json');
    assert.equal(podProblems(pods).length, 3);
    const image = assessProducer(fixture('producer-deployment-progressing.json'), pods, []);
    assert.equal(image.state, 'failed');
    assert.match(image.detail, /^tradestream-producer-\w+-\w+: ImagePullBackOff: Back-off pulling image/);
  });
});
