import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { type Codec, CompressionCodecs, CompressionError } from './codec.js';

/**
 * gzip through node:zlib. Java writes one gzip member per batch (`GZIPOutputStream`); gunzip also
 * accepts concatenated members. Level 6 is zlib's and Java's default.
 */
export const gzipCodec: Codec = {
  id: CompressionCodecs.gzip,
  name: 'gzip',
  implementation: 'node:zlib',
  compress(data: Uint8Array): Buffer {
    return gzipSync(data, { level: constants.Z_DEFAULT_COMPRESSION });
  },
  decompress(data: Uint8Array): Buffer {
    try {
      return gunzipSync(data);
    } catch (err) {
      throw new CompressionError('gzip', (err as Error).message, err);
    }
  },
};
