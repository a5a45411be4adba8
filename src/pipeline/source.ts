/**
 * The one source of the job: every trade topic, each record decoded once by the runner's strict
 * `tradestream-json` format (flink/, policy in docs/strict-decoding.md) into typed columns plus its verdict and
 * its original bytes. Everything downstream reads the two views defined here: `trades` (valid trades, typed)
 * and `rejected` (the rest, as written, with the reason). Nothing downstream reads the payload again.
 */
import { type PipelineConfig, tradeTopics } from '../config/index.ts';
import { columnsOf, decodedRowType, decodeRules, TRADE_KEY, TRADE_TIME } from '../schema/index.ts';
import { id, interval, kafkaClientOptions, str, withOptions } from './flink-sql.ts';

export const SOURCE_TABLE = 'trades_source';
/** Valid trades: the schema's columns (wire types), `event_time` (with the watermark) and `proc_time`. */
export const TRADES_VIEW = 'trades';
/** Refused records: `payload` (the original bytes), `reason`, and where they were read. */
export const REJECTED_VIEW = 'rejected';
export const CONSUMER_GROUP = 'tradestream-pipeline';
export const DECODER_FORMAT = 'tradestream-json';
export const EVENT_TIME = 'event_time';

/** The reason a valid trade stamped too far ahead of its Kafka record gets (docs/strict-decoding.md). */
export const aheadReason = (boundMs: number) =>
  `${TRADE_TIME} is more than ${boundMs} ms ahead of its Kafka record`;

export function sourceSql(config: PipelineConfig): string {
  const columns = columnsOf(config.profile);
  const names = columns.map((c) => id(c.name)).join(', ');
  const { windows } = config;
  const ahead = aheadReason(windows.maxEventAheadMs);
  const tradeTime = `TO_TIMESTAMP_LTZ(${id(TRADE_TIME)}, 3)`;
  // Valid for the decoder and not stamped beyond the bound: the verdict every later step filters on.
  const tooEarly = `${tradeTime} > source_timestamp + ${interval(windows.maxEventAheadMs)}`;
  return `-- Every trade topic, decoded once: typed columns, the verdict and the original bytes.
CREATE TABLE ${SOURCE_TABLE} (
${decodedRowType(columns)
  .map((c) => `  ${id(c.name)} ${c.type}`)
  .join(',\n')},
  decode_reason STRING METADATA FROM 'value.reason' VIRTUAL,
  payload BYTES METADATA FROM 'value.raw' VIRTUAL,
  source_topic STRING METADATA FROM 'topic' VIRTUAL,
  source_partition INT METADATA FROM 'partition' VIRTUAL,
  source_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  -- The broker's append time (LogAppendTime): stored with the record, so every read gives the same verdict.
  source_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  reason AS COALESCE(decode_reason, CASE WHEN ${tooEarly} THEN ${str(ahead)} END),
  -- Only valid trades within the bound carry event time; every other record gets 1970, which never moves the
  -- watermark.
  ${EVENT_TIME} AS CAST(CASE WHEN decode_reason IS NULL AND NOT (${tooEarly}) THEN ${tradeTime} ELSE TO_TIMESTAMP_LTZ(0, 3) END AS TIMESTAMP(3)),
  proc_time AS PROCTIME(),
  WATERMARK FOR ${EVENT_TIME} AS ${EVENT_TIME} - ${interval(windows.watermarkDelayMs)}
) ${withOptions({
    connector: 'kafka',
    topic: tradeTopics(config).join(';'),
    ...kafkaClientOptions(),
    'properties.group.id': CONSUMER_GROUP,
    'scan.startup.mode': 'group-offsets',
    'properties.auto.offset.reset': 'earliest',
    format: DECODER_FORMAT,
    [`${DECODER_FORMAT}.rules`]: JSON.stringify(decodeRules(columns)),
  })};

CREATE TEMPORARY VIEW ${TRADES_VIEW} AS
SELECT ${names}, ${EVENT_TIME}, proc_time
FROM ${SOURCE_TABLE}
WHERE reason IS NULL;

CREATE TEMPORARY VIEW ${REJECTED_VIEW} AS
SELECT payload, reason, source_topic, source_partition, source_offset
FROM ${SOURCE_TABLE}
WHERE reason IS NOT NULL;`;
}

/** The trade key's maximum length (the VWAP order key pads it). */
export function tradeKeyLength(config: PipelineConfig): number {
  const type = columnsOf(config.profile).find((c) => c.name === TRADE_KEY)?.type;
  if (type?.kind !== 'string') throw new Error(`the schema has no string column ${TRADE_KEY}`);
  return type.maxLength;
}
