import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { type Codec, CompressionCodecs, CompressionError, DecompressedTooLargeError, outputLimit } from './codec.js';

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
  decompress(data: Uint8Array, maxOutputBytes?: number): Buffer {
    const limit = outputLimit(maxOutputBytes);
    let out: Buffer;
    try {
      // zlib stops inflating as soon as the output passes maxOutputLength (which must be >= 1).
      out = gunzipSync(data, { maxOutputLength: Math.max(1, limit) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new DecompressedTooLargeError('gzip', limit);
      throw new CompressionError('gzip', (err as Error).message, err);
    }
    if (out.length > limit) throw new DecompressedTooLargeError('gzip', limit);
    return out;
  },
};
