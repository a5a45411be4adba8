import { loadConfig } from '../src/config/index.ts';
import { apiServerSuite } from './kubernetes-suite.ts';

// The largest shape the docs suggest: every column, transactions, several producers, many topics (and a topic
// name Kubernetes forbids as an object name).
apiServerSuite(
  'wide, exactly-once, 3 producers, 25 topics',
  loadConfig({
    env: {
      PROFILE: 'wide',
      FLINK_DELIVERY_GUARANTEE: 'exactly-once',
      KUBERNETES_PRODUCER_REPLICAS: '3',
      KAFKA_TRADE_TOPIC_COUNT: '25',
      KAFKA_ALERTS_TOPIC: 'volume_alerts',
    },
  }),
);
