/**
 * zstd (KIP-110), level 3 (Kafka's default `compression.zstd.level`). Implementations, first found wins:
 *
 * 1. node:zlib `zstdCompressSync` / `zstdDecompressSync` (Node ≥ 22.15 / 23.8): native libzstd.
 * 2. WASM libzstd (`@bokuweb/zstd-wasm`, loaded synchronously, see zstd-wasm.ts) on older Node (20).
 * 3. Decompression only: `fzstd`, pure JavaScript, if WebAssembly is unavailable (e.g. --jitless).
 *
 * Java's `ZstdOutputStream` streams, so its frames usually omit the content size: every decoder here
 * handles that (the WASM path sizes its output from the frame's block headers, see `scanFrames`).
 */
import * as zlib from 'node:zlib';
import { Decompress as FzstdDecompress } from 'fzstd';
import {
  type Codec,
  CompressionCodecs,
  CompressionError,
  DecompressedTooLargeError,
  outputLimit,
  UnsupportedCompressionError,
} from './codec.js';
import { loadZstdWasm, zstdWasmLoadError } from './zstd-wasm.js';

const LEVEL = 3;
const MAX_BLOCK = 128 * 1024; // zstd's Block_Maximum_Size

interface ZlibZstd {
  zstdCompressSync?: (data: Uint8Array, options?: { params?: Record<number, number> }) => Buffer;
  zstdDecompressSync?: (data: Uint8Array, options?: { maxOutputLength?: number }) => Buffer;
  constants: Record<string, number>;
}
const z = zlib as unknown as ZlibZstd;

function fail(message: string, cause?: unknown): never {
  throw new CompressionError('zstd', message, cause);
}

function readLE(src: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + src[p + i]!;
  return v;
}

/** One data frame of a zstd stream, as its headers describe it. */
interface ZstdFrame {
  start: number;
  end: number;
  /** The history the decoder must keep (the content size for single-segment frames). */
  window: number;
}

/** The data frames of a zstd stream (skippable frames left out), and what they can decode to. */
interface FrameScan {
  frames: ZstdFrame[];
  /** At least this many bytes: declared content sizes, else the raw and RLE blocks' own sizes. */
  least: number;
  /** At most this many bytes: compressed blocks counted at min(window, 128 KiB) each. */
  bound: number;
}

/**
 * Walks the zstd frames in `src` from their headers: where each frame ends, its window, and what the
 * frames decode to at least and at most. Raw and RLE blocks declare their size, and so do frames that
 * carry a content size; a compressed block decodes to at most min(window, 128 KiB), which only
 * decoding tells exactly. Throws {@link CompressionError} on a malformed frame.
 */
function scanFrames(src: Uint8Array): FrameScan {
  const frames: ZstdFrame[] = [];
  let least = 0;
  let bound = 0;
  let p = 0;
  while (p < src.length) {
    if (src.length - p < 8) fail('truncated frame header');
    const magic = readLE(src, p, 4);
    if (magic >= 0x184d2a50 && magic <= 0x184d2a5f) {
      p += 8 + readLE(src, p + 4, 4); // skippable frame
      continue;
    }
    if (magic !== 0xfd2fb528) fail('bad frame magic');
    const fhd = src[p + 4]!;
    if (fhd & 0x08) fail('reserved frame header bit set');
    const single = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >>> 6;
    const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : 1 << fcsFlag;
    const dictSize = [0, 1, 2, 4][fhd & 3]!;
    let q = p + 5;
    let window = 0;
    if (!single) {
      const wd = src[q++]!;
      const exp = 10 + (wd >>> 3);
      if (exp > 41) fail('window too large');
      window = 2 ** exp + (2 ** exp / 8) * (wd & 7);
    }
    q += dictSize;
    if (q + fcsSize > src.length) fail('truncated frame header');
    let contentSize = -1;
    if (fcsSize > 0) contentSize = readLE(src, q, fcsSize) + (fcsSize === 2 ? 256 : 0);
    q += fcsSize;
    if (single) window = contentSize;
    const blockMax = Math.min(window, MAX_BLOCK);
    let exact = 0; // raw and RLE blocks
    let blocks = 0; // every block, compressed ones at their most
    for (let last = false; !last; ) {
      if (q + 3 > src.length) fail('truncated block header');
      const h = src[q]! | (src[q + 1]! << 8) | (src[q + 2]! << 16);
      q += 3;
      last = (h & 1) === 1;
      const type = (h >>> 1) & 3;
      const size = h >>> 3;
      if (type === 3) fail('reserved block type');
      if (type === 1) {
        exact += size; // RLE: one byte repeated `size` times
        blocks += size;
        q += 1;
      } else {
        if (type === 0) exact += size;
        blocks += type === 0 ? size : blockMax;
        q += size;
      }
    }
    if (fhd & 0x04) q += 4; // content checksum
    if (q > src.length) fail('frame runs past the input');
    least += contentSize >= 0 ? contentSize : exact;
    bound += contentSize >= 0 ? Math.min(contentSize, blocks) : blocks;
    frames.push({ start: p, end: q, window });
    p = q;
  }
  return { frames, least, bound };
}

/**
 * Scans the frames and refuses, before anything is decoded or allocated, frames whose declared
 * content or raw/RLE blocks alone pass the limit (an RLE block is 4 bytes for 128 KiB: the cheapest
 * bomb there is). Every implementation starts here, so they all fail such frames alike and at once.
 */
function scanWithin(src: Uint8Array, limit: number): FrameScan {
  const scan = scanFrames(src);
  if (scan.least > limit) throw new DecompressedTooLargeError('zstd', limit, `the frames say ${scan.least} bytes`);
  return scan;
}

/** An upper bound of the decoded size of the zstd frames in `src` (see scanFrames). */
export function zstdDecodedBound(src: Uint8Array): number {
  return scanFrames(src).bound;
}

function zlibCodec(
  compress: NonNullable<ZlibZstd['zstdCompressSync']>,
  decompress: NonNullable<ZlibZstd['zstdDecompressSync']>,
): Codec {
  const params = { [z.constants.ZSTD_c_compressionLevel ?? 100]: LEVEL };
  return {
    id: CompressionCodecs.zstd,
    name: 'zstd',
    implementation: 'node:zlib',
    compress: (data) => compress(data, { params }),
    decompress(data, limit) {
      const maxOutputBytes = outputLimit(limit);
      // node:zlib stops after the first frame; Kafka's readers (zstd-jni streams, librdkafka's
      // ZSTD_decompress) continue through concatenated frames, so split them first.
      const { frames } = scanWithin(data, maxOutputBytes);
      let left = maxOutputBytes;
      const one = (frame: Uint8Array) => {
        // zlib stops inflating as soon as the output passes maxOutputLength (which must be >= 1).
        const out = decompress(frame, { maxOutputLength: Math.max(1, left) });
        left -= out.length;
        if (left < 0) throw new DecompressedTooLargeError('zstd', maxOutputBytes);
        return out;
      };
      try {
        if (frames.length === 1 && frames[0]!.start === 0 && frames[0]!.end === data.length) return one(data);
        return Buffer.concat(frames.map((f) => one(data.subarray(f.start, f.end))));
      } catch (err) {
        if (err instanceof DecompressedTooLargeError) throw err;
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw new DecompressedTooLargeError('zstd', maxOutputBytes);
        return fail((err as Error).message, err);
      }
    },
  };
}

function wasmCodec(): Codec | null {
  const wasm = loadZstdWasm();
  if (wasm === null) return null;
  return {
    id: CompressionCodecs.zstd,
    name: 'zstd',
    implementation: 'wasm',
    compress: (data) => wasm.compress(data, LEVEL),
    decompress(data, limit) {
      const maxOutputBytes = outputLimit(limit);
      // WASM memory grows to fit the output and never shrinks. The capacity asked of it is the
      // frames' bound from their headers when that is within the limit (an honest batch). When only
      // decoding can tell (compressed blocks whose bound passes the limit), the frames are streamed
      // through fzstd instead, whose memory is garbage-collected; only frames with windows too large
      // for fzstd are then decoded here, into at most the limit.
      const scan = scanWithin(data, maxOutputBytes);
      if (scan.bound > maxOutputBytes && scan.frames.every((f) => f.window <= FZSTD_MAX_WINDOW)) {
        return fzstdStream(data, scan, maxOutputBytes);
      }
      const capacity = Math.min(scan.bound, maxOutputBytes);
      let out: Buffer | null;
      try {
        out = wasm.decompress(data, capacity);
      } catch (err) {
        return fail((err as Error).message, err);
      }
      if (out !== null) return out;
      if (capacity < scan.bound) throw new DecompressedTooLargeError('zstd', maxOutputBytes);
      return fail(`frame decodes past its declared bound of ${scan.bound} bytes`);
    },
  };
}

/**
 * fzstd keeps a window-sized history and shifts all of it for every block it decodes, so its cost
 * per block grows with the window a frame declares (up to 2 GiB): a 1 GiB window took 65 s and
 * 1.1 GB to inflate 64 MiB. 8 MiB is the window of zstd levels up to 19 (Kafka's default level, 3,
 * uses 2 MiB); larger windows come only from levels 20-22, and are refused here.
 */
const FZSTD_MAX_WINDOW = 8 * 1024 * 1024;

/** Streams the frames through fzstd, counting the output as it comes: a bomb stops at the limit. */
function fzstdStream(data: Uint8Array, scan: FrameScan, maxOutputBytes: number): Buffer {
  for (const f of scan.frames) {
    if (f.window > FZSTD_MAX_WINDOW)
      fail(`the frame's ${f.window}-byte window exceeds the ${FZSTD_MAX_WINDOW} bytes the JavaScript decoder allows`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new FzstdDecompress((chunk) => {
    total += chunk.length;
    if (total > maxOutputBytes) throw new DecompressedTooLargeError('zstd', maxOutputBytes);
    chunks.push(chunk);
  });
  try {
    for (const f of scan.frames) stream.push(data.subarray(f.start, f.end));
    stream.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof DecompressedTooLargeError || err instanceof CompressionError) throw err;
    return fail((err as Error).message, err);
  }
  return chunks.length === 1
    ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.length)
    : Buffer.concat(chunks, total);
}

const fzstdCodec: Codec = {
  id: CompressionCodecs.zstd,
  name: 'zstd',
  implementation: 'fzstd (decompression only)',
  compress() {
    throw new UnsupportedCompressionError(
      CompressionCodecs.zstd,
      `zstd compression needs Node >= 22.15 or WebAssembly (${String(zstdWasmLoadError())})`,
    );
  },
  decompress(data, limit) {
    const maxOutputBytes = outputLimit(limit);
    return fzstdStream(data, scanWithin(data, maxOutputBytes), maxOutputBytes);
  },
};

export type ZstdImplementation = 'node:zlib' | 'wasm' | 'fzstd';

/** Builds the zstd codec from the named implementation, or the best available one. */
export function createZstdCodec(prefer?: ZstdImplementation): Codec {
  const zlibOk = typeof z.zstdCompressSync === 'function' && typeof z.zstdDecompressSync === 'function';
  if ((prefer === undefined || prefer === 'node:zlib') && zlibOk) {
    return zlibCodec(z.zstdCompressSync!, z.zstdDecompressSync!);
  }
  if (prefer === undefined || prefer === 'wasm') {
    const codec = wasmCodec();
    if (codec !== null) return codec;
  }
  if (prefer !== undefined && prefer !== 'fzstd') {
    throw new UnsupportedCompressionError(CompressionCodecs.zstd, `implementation ${prefer} is not available here`);
  }
  return fzstdCodec;
}
