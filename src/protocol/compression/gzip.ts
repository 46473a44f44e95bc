import { constants, gunzipSync, gzipSync } from 'node:zlib';
import {
  type Codec,
  CompressionCodecs,
  CompressionError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DecompressedTooLargeError,
} from './codec.js';

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
  decompress(data: Uint8Array, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
    try {
      // zlib stops inflating as soon as the output passes maxOutputLength.
      return gunzipSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new DecompressedTooLargeError('gzip', maxOutputBytes);
      throw new CompressionError('gzip', (err as Error).message, err);
    }
  },
};
