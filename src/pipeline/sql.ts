/**
 * The Flink SQL job, generated from the trade schema and the pipeline config: one script, the same on
 * Kubernetes and in the local stack. Endpoints and secrets are ${ENV} placeholders that the SQL runner
 * (flink/) substitutes at run time, so the script itself holds no secret.
 */
import { type PipelineConfig, tradeTopics } from '../config/index.ts';
import {
  type Column,
  type ColumnType,
  columnsOf,
  flinkType,
  TRADE_KEY,
  TRADES_TABLE,
} from '../schema/index.ts';
import { ALERT_RULES, VWAP_KEY, VWAP_TABLE, vwapColumns } from './analytics.ts';

/** Environment variables the script needs at run time (the runner fails naming any that is missing). */
export const SQL_ENV = {
  kafkaBootstrap: 'KAFKA_BOOTSTRAP_SERVERS',
  jdbcUrl: 'PG_JDBC_URL',
  user: 'PG_USER',
  password: 'PG_PASSWORD',
} as const;

/** JSON functions of the runner jar: the schema's fields of a payload in one streaming parse; one field. */
const JSON_FIELDS_CLASS = 'dev.tradestream.flink.JsonFields';
const JSON_FIELD_CLASS = 'dev.tradestream.flink.JsonField';
export const CONSUMER_GROUP = 'tradestream-pipeline';

const env = (name: string) => `\${${name}}`;
/** Quoted identifier: trade columns such as `sequence` or `exchange` are reserved words in Flink SQL. */
const id = (name: string) => `\`${name}\``;
const str = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A Flink interval literal for any number of milliseconds (SECOND alone allows only two digits). */
export function interval(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const rest = new Date(ms % 86_400_000).toISOString().slice(11, 23);
  return `INTERVAL '${days} ${rest}' DAY TO SECOND(3)`;
}

function withOptions(options: Record<string, string>): string {
  const lines = Object.entries(options).map(([k, v]) => `  ${str(k)} = ${str(v)}`);
  return `WITH (\n${lines.join(',\n')}\n)`;
}

/** The payload's text of a column: element i (1-based) of the JSON_FIELDS array. */
const fieldOf = (columns: readonly Column[], c: Column) => `f[${columns.indexOf(c) + 1}]`;

/** A column's typed value from the payload's text, in its wire type (timestamps: epoch ms). */
function typedValue(field: string, c: Column): string {
  switch (c.type.kind) {
    case 'string':
      return field;
    case 'timestamp':
      return `TRY_CAST(${field} AS BIGINT)`;
    default:
      return `TRY_CAST(${field} AS ${flinkType(c.type)})`;
  }
}

const typeWord: Record<ColumnType['kind'], string> = {
  string: 'a string',
  decimal: 'a decimal',
  bigint: 'an integer',
  int: 'a 32-bit integer',
  double: 'a number',
  boolean: 'a boolean',
  timestamp: 'epoch milliseconds',
};

/** The checks of one column, in order: WHEN <broken> THEN <reason>, mirroring the schema's zod validator. */
function columnChecks(field: string, c: Column): [string, string][] {
  const v = id(c.name); // the typed value, computed one level below
  const checks: [string, string][] = [];
  const t = c.type;
  if (!c.nullable) checks.push([`${field} IS NULL`, `missing field ${c.name}`]);
  if (t.kind !== 'string') {
    checks.push([`${v} IS NULL AND ${field} IS NOT NULL`, `${c.name} is not ${typeWord[t.kind]}`]);
  }
  if (t.kind === 'string') {
    if (t.values) {
      checks.push([
        `${v} NOT IN (${t.values.map(str).join(', ')})`,
        `${c.name} is not one of ${t.values.join(', ')}`,
      ]);
    } else {
      checks.push([
        `CHAR_LENGTH(${v}) NOT BETWEEN 1 AND ${t.maxLength}`,
        `${c.name} is empty or longer than ${t.maxLength}`,
      ]);
    }
  }
  if ((t.kind === 'decimal' || t.kind === 'bigint' || t.kind === 'int') && t.min !== undefined) {
    const exclusive = t.kind === 'decimal' && t.exclusiveMin;
    checks.push([
      `${v} ${exclusive ? '<=' : '<'} ${t.min}`,
      `${c.name} must be ${exclusive ? 'above' : 'at least'} ${t.min}`,
    ]);
  }
  if (t.kind === 'timestamp') checks.push([`${v} < 0`, `${c.name} is negative`]);
  return checks;
}

/** The value a column is stored with: timestamps become TIMESTAMP(3) in the UTC session (JDBC has no LTZ). */
function storedValue(c: Column): string {
  return c.type.kind === 'timestamp'
    ? `CAST(TO_TIMESTAMP_LTZ(${id(c.name)}, 3) AS TIMESTAMP(3))`
    : id(c.name);
}

/** Column definitions of a JDBC sink table, as stored. */
function storedColumns(columns: readonly Column[]): string {
  return columns
    .map((c) => `  ${id(c.name)} ${flinkType(c.type)}${c.nullable ? '' : ' NOT NULL'}`)
    .join(',\n');
}

function wireType(c: Column): string {
  return c.type.kind === 'timestamp' ? 'BIGINT' : flinkType(c.type);
}

function stringLength(columns: readonly Column[], name: string): number {
  const type = columns.find((c) => c.name === name)?.type;
  if (type?.kind !== 'string') throw new Error(`the schema has no string column ${name}`);
  return type.maxLength;
}

/** The whole Flink SQL script for the config's profile. */
export function pipelineSql(config: PipelineConfig): string {
  const columns = columnsOf(config.profile);
  const names = columns.map((c) => c.name);
  const { alerts, windows, flink, kafka } = config;
  const exactlyOnce = flink.deliveryGuarantee === 'exactly-once';
  const kafkaSink = (topic: string, prefix: string, extra: Record<string, string> = {}) =>
    withOptions({
      connector: 'kafka',
      topic,
      'properties.bootstrap.servers': env(SQL_ENV.kafkaBootstrap),
      format: 'json',
      ...extra,
      'sink.delivery-guarantee': flink.deliveryGuarantee,
      ...(exactlyOnce
        ? {
            'sink.transactional-id-prefix': prefix,
            // The broker caps transactions at 15 minutes; the sink's default (1 h) would be refused.
            'properties.transaction.timeout.ms': '600000',
          }
        : { 'properties.linger.ms': '5' }),
    });
  const jdbcSink = (table: string) =>
    withOptions({
      connector: 'jdbc',
      url: env(SQL_ENV.jdbcUrl),
      'table-name': table,
      username: env(SQL_ENV.user),
      password: env(SQL_ENV.password),
      'sink.buffer-flush.max-rows': '5000',
      'sink.buffer-flush.interval': '500ms',
      'sink.max-retries': '5',
    });

  const tradeIdLength = stringLength(columns, TRADE_KEY);
  const trailing = alerts.trailingTrades;
  const factor = `CAST(${alerts.relativeFactor} AS DOUBLE)`;
  const alertColumns = names.map(id).join(', ');
  const checks = columns.flatMap((c) => columnChecks(fieldOf(columns, c), c));
  const typedColumns = columns.map((c) => `${typedValue(fieldOf(columns, c), c)} AS ${id(c.name)}`);

  return `-- tradestream pipeline, profile ${config.profile}: generated by src/pipeline/sql.ts (npm run sql); do not edit.
-- Placeholders ${Object.values(SQL_ENV)
    .map((n) => `$\{${n}}`)
    .join(', ')} are filled from the environment by the SQL runner.

SET 'pipeline.name' = 'tradestream-${config.profile}';
-- Stored timestamps are UTC wall-clock TIMESTAMP(3): the JDBC sink cannot write TIMESTAMP_LTZ.
SET 'table.local-time-zone' = 'UTC';
SET 'parallelism.default' = '${flink.parallelism}';
SET 'execution.checkpointing.interval' = '${flink.checkpointIntervalMs}ms';
SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION';
-- SQL operators never keep references to records they passed on: skip the defensive copies between them.
SET 'pipeline.object-reuse' = 'true';
-- A silent partition must not hold every window open.
SET 'table.exec.source.idle-timeout' = '${windows.idleTimeoutMs}ms';

CREATE TEMPORARY SYSTEM FUNCTION json_fields AS ${str(JSON_FIELDS_CLASS)} LANGUAGE JAVA;
CREATE TEMPORARY SYSTEM FUNCTION json_field AS ${str(JSON_FIELD_CLASS)} LANGUAGE JAVA;

-- Every trade topic, raw: a malformed record must reach the dead-letter topic as it was written.
CREATE TABLE trades_raw (
  payload STRING,
  source_topic STRING METADATA FROM 'topic' VIRTUAL,
  source_partition INT METADATA FROM 'partition' VIRTUAL,
  source_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  proc_time AS PROCTIME(),
  -- Event time from the trade's own timestamp; an unreadable record gets 1970 and never moves the watermark.
  event_time AS CAST(TO_TIMESTAMP_LTZ(COALESCE(TRY_CAST(json_field(payload, 'trade_timestamp') AS BIGINT), 0), 3) AS TIMESTAMP(3)),
  WATERMARK FOR event_time AS event_time - ${interval(windows.watermarkDelayMs)}
) ${withOptions({
    connector: 'kafka',
    topic: tradeTopics(config).join(';'),
    'properties.bootstrap.servers': env(SQL_ENV.kafkaBootstrap),
    'properties.group.id': CONSUMER_GROUP,
    'scan.startup.mode': 'group-offsets',
    'properties.auto.offset.reset': 'earliest',
    format: 'raw',
  })};

-- Each record's typed columns and, when it breaks the schema, the first reason why.
CREATE TEMPORARY VIEW trades_checked AS
SELECT *,
  CASE
    WHEN f IS NULL THEN 'not a JSON object'
${checks.map(([when, reason]) => `    WHEN ${when} THEN ${str(reason)}`).join('\n')}
  END AS reason
FROM (
  SELECT payload, source_topic, source_partition, source_offset, proc_time, event_time, f,
${typedColumns.map((t) => `    ${t}`).join(',\n')}
  FROM (SELECT *, json_fields(payload, ${str(names.join(','))}) AS f FROM trades_raw)
);

CREATE TEMPORARY VIEW trades AS
SELECT ${alertColumns}, payload, proc_time, event_time
FROM trades_checked
WHERE reason IS NULL;

-- A sortable (event time, ${TRADE_KEY}, price) key per trade: MIN and MAX of it give a window's open and close.
CREATE TEMPORARY VIEW trades_ordered AS
SELECT ticker, price, volume, event_time,
  LPAD(CAST(trade_timestamp AS STRING), 15, '0') || RPAD(${id(TRADE_KEY)}, ${tradeIdLength}, ' ') || CAST(price AS STRING) AS order_key
FROM trades;

CREATE TABLE ${TRADES_TABLE} (
${storedColumns(columns)},
  PRIMARY KEY (${TRADE_KEY}) NOT ENFORCED
) ${jdbcSink(TRADES_TABLE)};

CREATE TABLE ${VWAP_TABLE} (
${storedColumns(vwapColumns(config.profile))},
  PRIMARY KEY (${VWAP_KEY.map(id).join(', ')}) NOT ENFORCED
) ${jdbcSink(VWAP_TABLE)};

CREATE TABLE alerts (
${columns.map((c) => `  ${id(c.name)} ${wireType(c)}`).join(',\n')},
  \`rule\` STRING NOT NULL,
  \`threshold\` DOUBLE NOT NULL
) ${kafkaSink(kafka.alertsTopic, 'tradestream-alerts', {
    'key.format': 'raw',
    'key.fields': 'ticker',
  })};

CREATE TABLE dead_letters (
  payload STRING,
  reason STRING NOT NULL,
  source_topic STRING,
  source_partition INT,
  source_offset BIGINT
) ${kafkaSink(kafka.deadLetterTopic, 'tradestream-dlq')};

EXECUTE STATEMENT SET
BEGIN

-- Every valid trade, upserted on ${TRADE_KEY}: a replay after a restart rewrites the same rows.
INSERT INTO ${TRADES_TABLE}
SELECT ${columns.map(storedValue).join(', ')}
FROM trades;

-- Per ticker, tumbling event-time windows. Open and close are the prices of the earliest and latest trade by
-- event time (ties by ${TRADE_KEY}), so arrival order never changes them.
INSERT INTO ${VWAP_TABLE}
SELECT ticker, window_start, window_end,
  CAST(SUM(price * volume) / SUM(volume) AS DECIMAL(20, 8)),
  CAST(SUM(price * volume) AS DECIMAL(38, 4)),
  SUM(volume),
  COUNT(*),
  CAST(SUBSTR(MIN(order_key), ${16 + tradeIdLength}) AS DECIMAL(12, 4)),
  MAX(price),
  MIN(price),
  CAST(SUBSTR(MAX(order_key), ${16 + tradeIdLength}) AS DECIMAL(12, 4))
FROM TABLE(TUMBLE(TABLE trades_ordered, DESCRIPTOR(event_time), ${interval(windows.vwapSeconds * 1000)}))
GROUP BY ticker, window_start, window_end;

-- One INSERT for both rules, so the alerts topic has one sink (one transactional id prefix in exactly-once).
-- The seed's rule: one trade above the volume threshold. The relative rule: volume at least
-- ${alerts.relativeFactor}x the ticker's average over its previous ${trailing} trades (state per ticker; only once
-- ${trailing} previous trades exist). Arrival order is the producer's order per ticker, so processing time keeps
-- alerts immediate instead of waiting for the watermark. Every trade is shuffled into the OVER state, so only
-- ticker, volume and the raw payload go there; the few alerting trades are parsed again, with the same typed
-- conversions as trades_checked, instead of carrying every typed column (about 10% more throughput).
INSERT INTO alerts
SELECT ${alertColumns}, '${ALERT_RULES.absolute}', CAST(${alerts.volumeThreshold} AS DOUBLE)
FROM trades
WHERE volume > ${alerts.volumeThreshold}
UNION ALL
SELECT ${typedColumns.join(', ')},
  '${ALERT_RULES.relative}', ${factor} * CAST(window_sum - volume AS DOUBLE) / ${trailing}
FROM (
  SELECT volume, window_sum, json_fields(payload, ${str(names.join(','))}) AS f
  FROM (
    SELECT payload, volume,
      SUM(volume) OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN ${trailing} PRECEDING AND CURRENT ROW) AS window_sum,
      COUNT(*) OVER (PARTITION BY ticker ORDER BY proc_time ROWS BETWEEN ${trailing} PRECEDING AND CURRENT ROW) AS window_count
    FROM trades
  )
  WHERE window_count = ${trailing + 1}
  AND CAST(volume AS DOUBLE) * ${trailing} >= ${factor} * CAST(window_sum - volume AS DOUBLE)
);

-- Records that break the schema, as written, with the reason; the job keeps running.
INSERT INTO dead_letters
SELECT payload, reason, source_topic, source_partition, source_offset
FROM trades_checked
WHERE reason IS NOT NULL;

END;
`;
}
