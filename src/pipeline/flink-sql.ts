/**
 * The small vocabulary every part of the generated Flink SQL shares: quoting, literals, the ${ENV}
 * placeholders the SQL runner fills at run time, and the options of the two kinds of sink (PostgreSQL through
 * the runner's own `tradestream-postgres` connector, Kafka). Nothing here knows an analytic.
 */
import {
  KAFKA_PASSWORD_ENV,
  KAFKA_SASL_MECHANISM,
  type PipelineConfig,
  scramJaasConfig,
} from '../config/index.ts';
import { type Column, flinkType } from '../schema/index.ts';
import type { PostgresTable } from './analytics/analytic.ts';

/** Environment variables the script needs at run time (the runner fails naming any that is missing). */
export const SQL_ENV = {
  kafkaBootstrap: 'KAFKA_BOOTSTRAP_SERVERS',
  // The same names (and values) as the producer's config and password (src/config/kafka-connection.ts).
  kafkaSecurityProtocol: 'KAFKA_SECURITY_PROTOCOL',
  kafkaCaFile: 'KAFKA_CA_FILE',
  kafkaUsername: 'KAFKA_USERNAME',
  kafkaPassword: KAFKA_PASSWORD_ENV,
  jdbcUrl: 'PG_JDBC_URL',
  user: 'PG_USER',
  password: 'PG_PASSWORD',
} as const;

export const env = (name: string) => `\${${name}}`;
/** Quoted identifier: trade columns such as `sequence` or `exchange` are reserved words in Flink SQL. */
export const id = (name: string) => `\`${name}\``;
export const str = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A Flink interval literal for any number of milliseconds (SECOND alone allows only two digits). */
export function interval(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const rest = new Date(ms % 86_400_000).toISOString().slice(11, 23);
  return `INTERVAL '${days} ${rest}' DAY TO SECOND(3)`;
}

export function withOptions(options: Record<string, string>): string {
  const lines = Object.entries(options).map(([k, v]) => `  ${str(k)} = ${str(v)}`);
  return `WITH (\n${lines.join(',\n')}\n)`;
}

/**
 * Kafka client properties of every Kafka table and of the PostgreSQL sinks' dead-letter producer, under
 * `prefix`: the brokers and the security, all placeholders, so one script serves a plaintext broker (protocol
 * PLAINTEXT, the rest empty and unused) and SCRAM-SHA-512 over TLS verified against a PEM CA file.
 */
export function kafkaClientOptions(prefix = 'properties.'): Record<string, string> {
  return {
    [`${prefix}bootstrap.servers`]: env(SQL_ENV.kafkaBootstrap),
    [`${prefix}security.protocol`]: env(SQL_ENV.kafkaSecurityProtocol),
    [`${prefix}sasl.mechanism`]: KAFKA_SASL_MECHANISM,
    [`${prefix}sasl.jaas.config`]: scramJaasConfig(env(SQL_ENV.kafkaUsername), env(SQL_ENV.kafkaPassword)),
    [`${prefix}ssl.truststore.type`]: 'PEM',
    [`${prefix}ssl.truststore.location`]: env(SQL_ENV.kafkaCaFile),
  };
}

/** Column definitions of a sink table as stored (timestamps TIMESTAMP(3) in the UTC session). */
function storedColumns(columns: readonly Column[]): string {
  return columns
    .map((c) => `  ${id(c.name)} ${flinkType(c.type)}${c.nullable ? '' : ' NOT NULL'}`)
    .join(',\n');
}

/**
 * A trade column as stored: epoch milliseconds become TIMESTAMP(3) in the UTC session, the UTC wall clock the
 * PostgreSQL `timestamp(3)` columns hold.
 */
export function storedValue(c: Column): string {
  return c.type.kind === 'timestamp'
    ? `CAST(TO_TIMESTAMP_LTZ(${id(c.name)}, 3) AS TIMESTAMP(3))`
    : id(c.name);
}

/**
 * CREATE TABLE of the Flink sink writing a PostgreSQL table with the runner's `tradestream-postgres` connector
 * (flink/src/main/java/dev/tradestream/flink/postgres/): COPY into a staging table, upsert on the key, the rows
 * PostgreSQL refuses to the dead-letter topic with the reason. A lost server is retried for a minute, then the
 * job restarts from its last checkpoint.
 */
export function postgresSinkDdl(
  config: PipelineConfig,
  { name: table, columns, key }: PostgresTable,
): string {
  return `CREATE TABLE ${table} (
${storedColumns(columns)},
  PRIMARY KEY (${key.map(id).join(', ')}) NOT ENFORCED
) ${withOptions({
    connector: 'tradestream-postgres',
    url: env(SQL_ENV.jdbcUrl),
    'table-name': table,
    username: env(SQL_ENV.user),
    password: env(SQL_ENV.password),
    'sink.buffer-flush.max-rows': '5000',
    'sink.buffer-flush.interval': '500ms',
    'sink.max-retry-time': '60s',
    'dead-letter.topic': config.kafka.deadLetterTopic,
    ...kafkaClientOptions('dead-letter.properties.'),
  })};`;
}

/** Every transactional id of the job's Kafka sinks starts so (what its Kafka user may write, kafka-access.ts). */
export const TRANSACTIONAL_ID_PREFIX = 'tradestream-';

/**
 * Options of a Kafka sink with the config's delivery guarantee. `sinkName` makes its transactional ids, which
 * must be unique per sink: two sinks sharing a prefix would abort each other's transactions in exactly-once mode.
 */
export function kafkaSinkOptions(
  config: PipelineConfig,
  topic: string,
  sinkName: string,
  extra: Record<string, string> = {},
): string {
  const { deliveryGuarantee } = config.flink;
  return withOptions({
    connector: 'kafka',
    topic,
    ...kafkaClientOptions(),
    ...extra,
    'sink.delivery-guarantee': deliveryGuarantee,
    ...(deliveryGuarantee === 'exactly-once'
      ? {
          'sink.transactional-id-prefix': `${TRANSACTIONAL_ID_PREFIX}${sinkName}`,
          // The broker caps transactions at 15 minutes; the sink's default (1 h) would be refused.
          'properties.transaction.timeout.ms': '600000',
        }
      : { 'properties.linger.ms': '5' }),
  });
}
