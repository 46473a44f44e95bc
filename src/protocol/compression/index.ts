/**
 * The codec registry: Kafka's codec id (attribute bits 0-2) → {@link Codec}.
 *
 * gzip, snappy and LZ4 need nothing beyond Node itself; zstd uses node:zlib where Node has it and WASM
 * (or, for decompression, pure JS) elsewhere, so all four codecs work on Node 20+ with no native build.
 * Codecs are created on first use, and {@link registerCodec} lets an application swap one in (e.g. a
 * native binding) behind the same interface.
 */
import {
  type Codec,
  CompressionCodecs,
  CompressionError,
  type CompressionId,
  type CompressionName,
  compressionName,
  DecompressedTooLargeError,
  UnsupportedCompressionError,
} from './codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import { createZstdCodec } from './zstd.js';

export { createZstdCodec, type ZstdImplementation, zstdDecodedBound } from './zstd.js';
export {
  type Codec,
  CompressionCodecs,
  CompressionError,
  type CompressionId,
  type CompressionName,
  compressionName,
  DecompressedTooLargeError,
  UnsupportedCompressionError,
};

const noneCodec: Codec = {
  id: CompressionCodecs.none,
  name: 'none',
  implementation: 'identity',
  compress: (data) => Buffer.from(data.buffer, data.byteOffset, data.length),
  decompress: (data) => Buffer.from(data.buffer, data.byteOffset, data.length),
};

const registered: Array<Codec | undefined> = [noneCodec, gzipCodec, snappyCodec, lz4Codec, undefined];

/**
 * The codec for a batch's codec id. Throws {@link UnsupportedCompressionError} naming the id for ids
 * Kafka does not define (5-7), or when the codec cannot load on this runtime.
 */
export function getCodec(id: number): Codec {
  const codec = registered[id];
  if (codec !== undefined) return codec;
  if (id === CompressionCodecs.zstd) {
    const zstd = createZstdCodec();
    registered[id] = zstd;
    return zstd;
  }
  throw new UnsupportedCompressionError(id);
}

/** Replaces the codec for `codec.id` (tests, or an application-supplied native binding). */
export function registerCodec(codec: Codec): void {
  if (!Number.isInteger(codec.id) || codec.id < 0 || codec.id > 4) throw new UnsupportedCompressionError(codec.id);
  registered[codec.id] = codec;
}

/** Codec id for a name (`'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'`). */
export function compressionId(name: CompressionName): CompressionId {
  const id = CompressionCodecs[name];
  if (id === undefined) throw new UnsupportedCompressionError(-1, `unknown codec name "${String(name)}"`);
  return id;
}

/** Which implementation serves each codec (for diagnostics and `sluice --version`-style output). */
export function codecImplementations(): Record<CompressionName, string> {
  return {
    none: getCodec(0).implementation,
    gzip: getCodec(1).implementation,
    snappy: getCodec(2).implementation,
    lz4: getCodec(3).implementation,
    zstd: getCodec(4).implementation,
  };
}
