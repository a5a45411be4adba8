/**
 * The small vocabulary every part of the generated Flink SQL shares: quoting, literals, the ${ENV}
 * placeholders the SQL runner fills at run time, and the options of the two kinds of sink (PostgreSQL through
 * the runner's own `tradestream-postgres` connector, Kafka). Nothing here knows an analytic.
 */
import type { PipelineConfig } from '../config/index.ts';
import { type Column, flinkType } from '../schema/index.ts';
import type { PostgresTable } from './analytics/analytic.ts';

/** Environment variables the script needs at run time (the runner fails naming any that is missing). */
export const SQL_ENV = {
  kafkaBootstrap: 'KAFKA_BOOTSTRAP_SERVERS',
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
    'dead-letter.bootstrap-servers': env(SQL_ENV.kafkaBootstrap),
  })};`;
}

/**
 * Options of a Kafka sink with the config's delivery guarantee. `transactionalIdPrefix` must be unique per
 * sink: two sinks sharing one would abort each other's transactions in exactly-once mode.
 */
export function kafkaSinkOptions(
  config: PipelineConfig,
  topic: string,
  transactionalIdPrefix: string,
  extra: Record<string, string> = {},
): string {
  const { deliveryGuarantee } = config.flink;
  return withOptions({
    connector: 'kafka',
    topic,
    'properties.bootstrap.servers': env(SQL_ENV.kafkaBootstrap),
    ...extra,
    'sink.delivery-guarantee': deliveryGuarantee,
    ...(deliveryGuarantee === 'exactly-once'
      ? {
          'sink.transactional-id-prefix': transactionalIdPrefix,
          // The broker caps transactions at 15 minutes; the sink's default (1 h) would be refused.
          'properties.transaction.timeout.ms': '600000',
        }
      : { 'properties.linger.ms': '5' }),
  });
}
