/**
 * LZ4 as Kafka uses it since KIP-57: the LZ4 **frame** format
 * (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), magic 0x184D2204.
 *
 * Java's `Lz4BlockOutputStream` writes FLG 0x60 (version 1, independent blocks, no checksums, no
 * content size), BD 0x40 (64 KiB blocks); its reader rejects dependent blocks and ignores the content
 * checksum. We write exactly that. We read any single-segment frame Java reads, plus dependent blocks
 * and concatenated frames, and accept the header checksum in both its correct form and the broken
 * form that Kafka clients before KIP-57 wrote for magic-0 messages (computed over the magic too).
 */
import { type Codec, CompressionCodecs, CompressionError, DecompressedTooLargeError, outputLimit } from './codec.js';
import { lz4BlockBound, lz4DecodeBlock, lz4EncodeBlock, xxh32 } from './lz4-block.js';

const MAGIC = 0x184d2204;
const BLOCK = 64 * 1024;
const BLOCK_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function fail(reason: string): never {
  throw new CompressionError('lz4', reason);
}

function readU32LE(src: Uint8Array, p: number): number {
  return (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
}

interface FrameHeader {
  /** Position of the first block header. */
  blocks: number;
  maxBlock: number;
  independent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  /** -1 when the frame does not carry it. */
  contentSize: number;
}

function readHeader(src: Uint8Array, at: number): FrameHeader {
  if (src.length - at < 7) fail('truncated frame header');
  if (readU32LE(src, at) !== MAGIC) fail('bad frame magic');
  const flg = src[at + 4]!;
  const bd = src[at + 5]!;
  if (flg >>> 6 !== 1) fail(`unsupported frame version ${flg >>> 6}`);
  if (flg & 0x02 || bd & 0x8f) fail('reserved frame descriptor bits set');
  if (flg & 0x01) fail('dictionaries are not supported');
  const maxBlock = BLOCK_SIZES[(bd >>> 4) & 7]!;
  if (maxBlock === 0) fail(`invalid block size id ${(bd >>> 4) & 7}`);
  let p = at + 6;
  let contentSize = -1;
  if (flg & 0x08) {
    if (src.length - p < 9) fail('truncated content size');
    const hi = readU32LE(src, p + 4);
    if (hi > 0x1fffff) fail('content size too large');
    contentSize = hi * 0x100000000 + readU32LE(src, p);
    p += 8;
  }
  const hc = src[p]!;
  if (hc !== (xxh32(src, at + 4, p) >>> 8) % 256 && hc !== (xxh32(src, at, p) >>> 8) % 256) {
    fail('frame header checksum mismatch');
  }
  return {
    blocks: p + 1,
    maxBlock,
    independent: (flg & 0x20) !== 0,
    blockChecksum: (flg & 0x10) !== 0,
    contentChecksum: (flg & 0x04) !== 0,
    contentSize,
  };
}

/** Walks a frame's block headers: returns [end of frame, upper bound of its decoded size]. */
function scanFrame(src: Uint8Array, h: FrameHeader): [number, number] {
  let p = h.blocks;
  let bound = 0;
  for (;;) {
    if (src.length - p < 4) fail('truncated block header');
    const raw = readU32LE(src, p);
    p += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    if (size > h.maxBlock) fail(`block of ${size} bytes exceeds the frame's ${h.maxBlock}`);
    p += size + (h.blockChecksum ? 4 : 0);
    if (p > src.length) fail('block runs past the input');
    bound += raw & 0x80000000 ? size : Math.min(h.maxBlock, size * 255 + 16);
  }
  if (h.contentChecksum) p += 4;
  if (p > src.length) fail('truncated content checksum');
  return [p, bound];
}

/** Decodes one frame's blocks into `out` from `o`. Returns the end position in `out`. */
function decodeFrame(src: Uint8Array, h: FrameHeader, out: Uint8Array, o: number, limit: number): number {
  const frameStart = o;
  let p = h.blocks;
  for (;;) {
    const raw = readU32LE(src, p);
    p += 4;
    if (raw === 0) return o;
    const size = raw & 0x7fffffff;
    if (raw & 0x80000000) {
      if (size > limit - o) fail('stored block runs past the output');
      out.set(src.subarray(p, p + size), o);
      o += size;
    } else {
      // Dependent blocks may copy from earlier blocks of the same frame: widen the match window.
      const matchStart = h.independent ? o : frameStart;
      o = lz4DecodeBlock(src, p, p + size, out, matchStart, Math.min(limit, o + h.maxBlock));
    }
    p += size + (h.blockChecksum ? 4 : 0);
  }
}

// Java's frames carry no content size, so frames are decoded into a reused scratch buffer sized from
// the block headers, then copied out at their exact size: one memcpy instead of pinning up to 64 KiB of
// slack per batch under zero-copy record views.
let scratch = Buffer.allocUnsafe(0);
const SCRATCH_KEEP = 8 * 1024 * 1024;

export function lz4DecompressFrames(src: Uint8Array, maxOutputBytes?: number): Buffer {
  const allowed = outputLimit(maxOutputBytes);
  const frames: Array<[FrameHeader, number]> = [];
  let bound = 0;
  let exact = 0;
  for (let at = 0; at < src.length; ) {
    const h = readHeader(src, at);
    const [end, frameBound] = scanFrame(src, h);
    frames.push([h, end]);
    bound += h.contentSize >= 0 ? Math.min(h.contentSize, frameBound) : frameBound;
    if (h.contentSize >= 0 && exact >= 0) exact += h.contentSize;
    else exact = -1;
    at = end;
  }
  if (frames.length === 0) fail('empty input');
  if (exact > allowed) throw new DecompressedTooLargeError('lz4', allowed, `the frames say ${exact} bytes`);
  // The bound from the block headers can exceed what the frames really hold (a compressed block may
  // expand up to 255x): decode into at most the limit, and running out of room is then the limit.
  const capped = exact < 0 && bound > allowed;
  const size = exact >= 0 ? exact : Math.min(bound, allowed);
  const out = exact >= 0 ? Buffer.allocUnsafe(size) : size <= SCRATCH_KEEP ? scratchOf(size) : Buffer.allocUnsafe(size);
  let o = 0;
  const limit = exact >= 0 ? out.length : size;
  try {
    for (const [h] of frames) {
      const start = o;
      o = decodeFrame(src, h, out, o, limit);
      if (h.contentSize >= 0 && o - start !== h.contentSize)
        fail(`decoded ${o - start} bytes, frame says ${h.contentSize}`);
    }
  } catch (err) {
    if (capped && err instanceof CompressionError && /runs? past the output/.test(err.message))
      throw new DecompressedTooLargeError('lz4', allowed);
    throw err;
  }
  if (out !== scratch) return o === out.length ? out : out.subarray(0, o);
  const exactOut = Buffer.allocUnsafe(o);
  scratch.copy(exactOut, 0, 0, o);
  return exactOut;
}

function scratchOf(n: number): Buffer {
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, 256 * 1024));
  return scratch;
}

/** Compresses into one LZ4 frame exactly as Kafka's `Lz4BlockOutputStream` lays it out. */
export function lz4CompressFrame(src: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(src.length / BLOCK));
  const out = Buffer.allocUnsafe(7 + blocks * 4 + lz4BlockBound(src.length) + blocks * 16 + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = 0x60; // FLG: version 01, independent blocks
  out[5] = 0x40; // BD: 64 KiB maximum block size
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let o = 7;
  for (let p = 0; p < src.length; p += BLOCK) {
    const end = Math.min(p + BLOCK, src.length);
    const n = lz4EncodeBlock(src, p, end, out, o + 4) - o - 4;
    if (n >= end - p) {
      // Incompressible: store it raw (high bit of the size) rather than expand it.
      out.writeUInt32LE((0x80000000 | (end - p)) >>> 0, o);
      out.set(src.subarray(p, end), o + 4);
      o += 4 + end - p;
    } else {
      out.writeUInt32LE(n, o);
      o += 4 + n;
    }
  }
  out.writeUInt32LE(0, o); // EndMark
  return out.subarray(0, o + 4);
}

export const lz4Codec: Codec = {
  id: CompressionCodecs.lz4,
  name: 'lz4',
  implementation: 'typescript (frame format)',
  compress: lz4CompressFrame,
  decompress: lz4DecompressFrames,
};
