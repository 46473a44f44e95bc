/**
 * Snappy as Kafka uses it. The Java producer wraps Snappy in snappy-java's **xerial framing**
 * (`SnappyOutputStream`, see `SnappyCompression.java`):
 *
 *   magic "\x82SNAPPY\0" (8) | version int32 BE (1) | compatible version int32 BE (1)
 *   then per chunk: compressed length int32 BE | raw Snappy block of ≤ 32 KiB of input
 *
 * Java's `SnappyInputStream` (and librdkafka) read both that framing and a bare raw Snappy block, so
 * the decoder accepts both and the encoder writes the xerial framing, as Java does.
 */
import { type Codec, CompressionCodecs, CompressionError, DecompressedTooLargeError, outputLimit } from './codec.js';
import {
  snappyDecodeInto,
  snappyDecodeRaw,
  snappyEncodeInto,
  snappyMaxCompressedLength,
  snappyUncompressedLength,
} from './snappy-block.js';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER = 16;
/** snappy-java's default block size. */
const XERIAL_CHUNK = 32 * 1024;

function isXerial(src: Uint8Array): boolean {
  if (src.length < HEADER) return false;
  for (let i = 0; i < 8; i++) if (src[i] !== MAGIC[i]) return false;
  return true;
}

function readInt32BE(src: Uint8Array, p: number): number {
  return ((src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!) >>> 0;
}

function decodeXerial(src: Uint8Array, maxOutputBytes: number): Buffer {
  // Pass 1: validate chunk bounds and sum the uncompressed sizes, so the output is allocated once.
  let total = 0;
  let p = HEADER;
  while (p < src.length) {
    if (p + 4 > src.length) throw new CompressionError('snappy', 'truncated xerial chunk length');
    const len = readInt32BE(src, p);
    p += 4;
    if (len > src.length - p) throw new CompressionError('snappy', `xerial chunk of ${len} bytes runs past the input`);
    const [size] = snappyUncompressedLength(src, p, p + len);
    if (size > len * 64 + 64) throw new CompressionError('snappy', `impossible chunk size ${size}`);
    total += size;
    // Sizes come from the chunk preambles, before anything is allocated or decoded.
    if (total > maxOutputBytes) throw new DecompressedTooLargeError('snappy', maxOutputBytes);
    p += len;
  }
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (p = HEADER; p < src.length; ) {
    const len = readInt32BE(src, p);
    p += 4;
    o = snappyDecodeInto(src, p, p + len, out, o);
    p += len;
  }
  return out;
}

function encodeXerial(src: Uint8Array): Buffer {
  const chunks = Math.max(1, Math.ceil(src.length / XERIAL_CHUNK));
  const out = Buffer.allocUnsafe(HEADER + chunks * 4 + snappyMaxCompressedLength(src.length) + chunks * 32);
  MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8); // version
  out.writeInt32BE(1, 12); // minimum compatible version
  let o = HEADER;
  for (let p = 0; p < src.length; p += XERIAL_CHUNK) {
    const end = Math.min(p + XERIAL_CHUNK, src.length);
    const lenAt = o;
    o = snappyEncodeInto(src, p, end, out, o + 4);
    out.writeInt32BE(o - lenAt - 4, lenAt);
  }
  return out.subarray(0, o);
}

export const snappyCodec: Codec = {
  id: CompressionCodecs.snappy,
  name: 'snappy',
  implementation: 'typescript (xerial framing)',
  compress: encodeXerial,
  decompress(data: Uint8Array, maxOutputBytes?: number): Buffer {
    const limit = outputLimit(maxOutputBytes);
    return isXerial(data) ? decodeXerial(data, limit) : snappyDecodeRaw(data, 0, data.length, limit);
  },
};
