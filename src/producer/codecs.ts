/**
 * Compression codecs. kafkajs has gzip built in; LZ4 (frame format, as Kafka expects) and zstd come from
 * native packages with prebuilt binaries (lz4-napi, @mongodb-js/zstd), registered on first use.
 */
import { createRequire } from 'node:module';
import kafkajs, { CompressionTypes } from 'kafkajs';

type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';
const load = createRequire(import.meta.url);
// Not among the named exports Node detects in kafkajs' CommonJS: take it from the default export.
const { CompressionCodecs } = kafkajs;

export function compressionType(compression: Compression): CompressionTypes {
  switch (compression) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'lz4': {
      const lz4 = load('lz4-napi') as typeof import('lz4-napi');
      CompressionCodecs[CompressionTypes.LZ4] = () => ({
        compress: (encoder: { buffer: Buffer }) => lz4.compressFrame(encoder.buffer),
        decompress: (buffer: Buffer) => lz4.decompressFrame(buffer),
      });
      return CompressionTypes.LZ4;
    }
    case 'zstd': {
      const zstd = load('@mongodb-js/zstd') as typeof import('@mongodb-js/zstd');
      CompressionCodecs[CompressionTypes.ZSTD] = () => ({
        compress: (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer, 3),
        decompress: (buffer: Buffer) => zstd.decompress(buffer),
      });
      return CompressionTypes.ZSTD;
    }
  }
}
