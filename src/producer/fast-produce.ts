/**
 * A one-pass encoder for kafkajs' Produce request (v3, which v4-v7 reuse), installed in place of its own.
 *
 * kafkajs encodes each record into a fresh zero-filled 512-byte buffer, allocates a Buffer for every varint,
 * spreads each message into a new object and copies every batch five times on its way to the socket: at tens
 * of thousands of records per second that is most of the producer's CPU and garbage. This encoder computes
 * the request's size, then writes it once into one buffer: the same bytes as kafkajs (a test compares them),
 * with kafkajs' compression codecs and a native CRC-32C (@node-rs/crc32; kafkajs' is a byte-at-a-time loop). Requests with record timestamps or headers (the producer
 * sends neither) are left to kafkajs' encoder.
 *
 * kafkajs is pinned (2.2.4, unmaintained since 2023), so patching its module cache is a contained risk: the
 * test fails if the module layout or the bytes ever differ.
 */
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

type Bytes = Buffer | string | null | undefined;
interface Message {
  key?: Bytes;
  value?: Bytes;
  timestamp?: unknown;
  headers?: Record<string, unknown>;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: Message[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** kafkajs passes a number (from InitProducerId, -1 when not idempotent) or one of its Longs. */
  producerId?: LongLike | number | string;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
/** What kafkajs' Encoder.writeEncoder reads. */
interface Encoded {
  buf: Buffer;
  buffer: Buffer;
}
interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<Encoded>;
}

const load = createRequire(import.meta.url);
const KAFKAJS = 'kafkajs/src/protocol';
const REQUEST_MODULE = `${KAFKAJS}/requests/produce/v3/request.js`;
const { lookupCodec } = load(`${KAFKAJS}/message/compression/index.js`) as {
  lookupCodec: (t: number) => { compress: (e: { buffer: Buffer }) => Promise<Buffer> } | null;
};

const MAGIC = 2;
const TRANSACTIONAL = 16;
/** RecordBatch bytes from attributes to the record count: the part covered by the CRC, before the records. */
const BATCH_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
/** baseOffset, batchLength, partitionLeaderEpoch, magic, crc. */
const BATCH_PREFIX = 8 + 4 + 4 + 1 + 4;

const zigZag32 = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;

function sizeOfUVarInt(u: number): number {
  let size = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

function writeUVarInt(buf: Buffer, o: number, u: number): number {
  while (u >= 128) {
    buf[o++] = (u % 128) | 128;
    u = Math.floor(u / 128);
  }
  buf[o++] = u;
  return o;
}

const byteLength = (b: Bytes) => (b == null ? -1 : typeof b === 'string' ? Buffer.byteLength(b) : b.length);

/** Slots per record in the lengths array: key bytes, value bytes, record body bytes. */
const SLOTS = 3;

/** Size of the encoded records of a partition; fills the lengths array (SLOTS per record) for writeRecords. */
function recordsSize(messages: Message[], lengths: Int32Array): number {
  let size = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    const k = byteLength(m.key);
    const v = byteLength(m.value);
    // attributes, timestamp delta, offset delta, key, value, header count
    const total =
      1 +
      1 +
      sizeOfUVarInt(zigZag32(i)) +
      sizeOfUVarInt(zigZag32(k)) +
      Math.max(0, k) +
      sizeOfUVarInt(zigZag32(v)) +
      Math.max(0, v) +
      1;
    lengths[SLOTS * i] = k;
    lengths[SLOTS * i + 1] = v;
    lengths[SLOTS * i + 2] = total;
    size += sizeOfUVarInt(zigZag32(total)) + total;
  }
  return size;
}

function writeBytes(buf: Buffer, o: number, b: Bytes, length: number): number {
  o = writeUVarInt(buf, o, zigZag32(length));
  if (length <= 0 || b == null) return o;
  if (typeof b === 'string') buf.write(b, o, length, 'utf8');
  else b.copy(buf, o);
  return o + length;
}

function writeRecords(buf: Buffer, o: number, messages: Message[], lengths: Int32Array): number {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    const k = lengths[SLOTS * i] as number;
    const v = lengths[SLOTS * i + 1] as number;
    const total = lengths[SLOTS * i + 2] as number;
    o = writeUVarInt(buf, o, zigZag32(total));
    buf[o++] = 0; // attributes
    buf[o++] = 0; // timestamp delta: kafkajs stamps every record of a batch alike when none has a timestamp
    o = writeUVarInt(buf, o, zigZag32(i)); // offset delta
    o = writeBytes(buf, o, m.key, k);
    o = writeBytes(buf, o, m.value, v);
    buf[o++] = 0; // no headers
  }
  return o;
}

interface Part {
  partition: number;
  firstSequence: number;
  messages: Message[];
  /** The records section as sent: raw, or compressed. */
  records?: Buffer;
  lengths?: Int32Array;
  recordsSize: number;
}

async function encodeProduce(args: ProduceArgs, parts: Part[][]): Promise<Encoded> {
  const { acks, timeout, transactionalId = null, producerEpoch = 0, compression = 0, topicData } = args;
  const codec = compression === 0 ? null : lookupCodec(compression);
  if (compression !== 0 && !codec) throw new Error(`compression ${compression} has no codec registered`);
  const id = args.producerId ?? -1;
  let idHigh: number;
  let idLow: number;
  if (typeof id === 'object') {
    idHigh = id.getHighBits();
    idLow = id.getLowBits() >>> 0;
  } else {
    const n = Number(id);
    idHigh = Math.floor(n / 4_294_967_296);
    idLow = n - idHigh * 4_294_967_296;
  }
  const attributes = (compression & 0x07) | (transactionalId ? TRANSACTIONAL : 0);

  // Sizes first (and compressed record sections, which need the raw bytes first).
  const txBytes = transactionalId == null ? 0 : Buffer.byteLength(transactionalId);
  let size = 2 + txBytes + 2 + 4 + 4;
  for (let t = 0; t < topicData.length; t++) {
    size += 2 + Buffer.byteLength((topicData[t] as TopicData).topic) + 4;
    for (const part of parts[t] as Part[]) {
      const lengths = new Int32Array(SLOTS * part.messages.length);
      part.recordsSize = recordsSize(part.messages, lengths);
      part.lengths = lengths;
      if (codec) {
        const raw = Buffer.allocUnsafe(part.recordsSize);
        writeRecords(raw, 0, part.messages, lengths);
        part.records = await codec.compress({ buffer: raw });
        part.recordsSize = part.records.length;
      }
      size += 4 + 4 + BATCH_PREFIX + BATCH_HEADER + part.recordsSize;
    }
  }

  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  if (transactionalId == null) o = buf.writeInt16BE(-1, o);
  else {
    o = buf.writeInt16BE(txBytes, o);
    o += buf.write(transactionalId, o, txBytes, 'utf8');
  }
  o = buf.writeInt16BE(acks, o);
  o = buf.writeInt32BE(timeout, o);
  o = buf.writeInt32BE(topicData.length, o);
  const now = Date.now();
  for (let t = 0; t < topicData.length; t++) {
    const { topic } = topicData[t] as TopicData;
    const topicBytes = Buffer.byteLength(topic);
    o = buf.writeInt16BE(topicBytes, o);
    o += buf.write(topic, o, topicBytes, 'utf8');
    const topicParts = parts[t] as Part[];
    o = buf.writeInt32BE(topicParts.length, o);
    for (const part of topicParts) {
      const batchSize = BATCH_PREFIX + BATCH_HEADER + part.recordsSize;
      o = buf.writeInt32BE(part.partition, o);
      o = buf.writeInt32BE(batchSize, o);
      // RecordBatch
      o = buf.writeInt32BE(0, o); // base offset (int64)
      o = buf.writeInt32BE(0, o);
      o = buf.writeInt32BE(batchSize - 12, o); // batch length: after this field
      o = buf.writeInt32BE(0, o); // partition leader epoch
      o = buf.writeInt8(MAGIC, o);
      const crcAt = o;
      o += 4;
      const crcFrom = o;
      o = buf.writeInt16BE(attributes, o);
      o = buf.writeInt32BE(part.messages.length - 1, o); // last offset delta
      o = buf.writeInt32BE(Math.floor(now / 4_294_967_296), o); // first timestamp (int64)
      o = buf.writeUInt32BE(now % 4_294_967_296, o);
      o = buf.writeInt32BE(Math.floor(now / 4_294_967_296), o); // max timestamp
      o = buf.writeUInt32BE(now % 4_294_967_296, o);
      o = buf.writeInt32BE(idHigh, o); // producer id (int64)
      o = buf.writeUInt32BE(idLow, o);
      o = buf.writeInt16BE(producerEpoch, o);
      o = buf.writeInt32BE(part.firstSequence, o);
      o = buf.writeInt32BE(part.messages.length, o);
      if (part.records) {
        part.records.copy(buf, o);
        o += part.records.length;
      } else o = writeRecords(buf, o, part.messages, part.lengths as Int32Array);
      buf.writeUInt32BE(crc32c(buf.subarray(crcFrom, o)) >>> 0, crcAt);
    }
  }
  if (o !== size) throw new Error(`produce request encoded ${o} bytes, expected ${size}`);
  return { buf, buffer: buf };
}

/** Whether every message is one this encoder writes exactly as kafkajs would. */
function plain(topicData: TopicData[]): boolean {
  for (const { partitions } of topicData) {
    for (const { messages } of partitions) {
      for (const m of messages) {
        if (m.timestamp != null) return false;
        if (m.headers) for (const _ in m.headers) return false;
      }
    }
  }
  return true;
}

type RequestFactory = (args: ProduceArgs) => ProduceRequest;

/** kafkajs' own Produce v3 request, and ours (same bytes) for the test. */
export function produceRequests(): { kafkajs: RequestFactory; fast: RequestFactory } {
  const kafkajs = original ?? (load(REQUEST_MODULE) as RequestFactory);
  const fast: RequestFactory = (args) => {
    const request = kafkajs(args);
    if (!plain(args.topicData)) return request;
    const parts = args.topicData.map(({ partitions }) =>
      partitions.map((p) => ({
        partition: p.partition,
        firstSequence: p.firstSequence ?? 0,
        messages: p.messages,
        recordsSize: 0,
      })),
    );
    return { ...request, encode: () => encodeProduce(args, parts) };
  };
  return { kafkajs, fast };
}

let original: RequestFactory | undefined;

/**
 * Installs the encoder for every kafkajs producer of the process. Call before the first produce request:
 * returns false when it is too late (kafkajs' encoder stays: slower, same bytes).
 */
export function installFastProduceEncoder(): boolean {
  const path = load.resolve(REQUEST_MODULE);
  if (original) return true;
  const versions = ['v4', 'v5', 'v6', 'v7'].map((v) =>
    load.resolve(`${KAFKAJS}/requests/produce/${v}/request.js`),
  );
  if (versions.some((v) => load.cache[v])) return false;
  const { fast, kafkajs } = produceRequests();
  const cached = load.cache[path];
  if (!cached) return false;
  original = kafkajs;
  cached.exports = fast;
  return true;
}
