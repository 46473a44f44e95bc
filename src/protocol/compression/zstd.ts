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
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  DecompressedTooLargeError,
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

/** The frames of a zstd stream: [start, end) of each data frame (skippable frames left out), and a size bound. */
interface FrameScan {
  frames: Array<[number, number]>;
  bound: number;
}

/**
 * Walks the zstd frames in `src` from their headers: where each frame ends, and an upper bound of the
 * decoded size (the content size when a frame declares it, else the sum over its blocks: raw and RLE
 * blocks declare their size; a compressed block decodes to at most min(window, 128 KiB)).
 * Throws {@link CompressionError} on a malformed frame.
 */
function scanFrames(src: Uint8Array): FrameScan {
  const frames: Array<[number, number]> = [];
  let total = 0;
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
    let blocks = 0;
    for (let last = false; !last; ) {
      if (q + 3 > src.length) fail('truncated block header');
      const h = src[q]! | (src[q + 1]! << 8) | (src[q + 2]! << 16);
      q += 3;
      last = (h & 1) === 1;
      const type = (h >>> 1) & 3;
      const size = h >>> 3;
      if (type === 3) fail('reserved block type');
      if (type === 1) {
        blocks += size; // RLE: one byte repeated `size` times
        q += 1;
      } else {
        blocks += type === 0 ? size : blockMax;
        q += size;
      }
    }
    if (fhd & 0x04) q += 4; // content checksum
    if (q > src.length) fail('frame runs past the input');
    total += contentSize >= 0 ? Math.min(contentSize, blocks) : blocks;
    frames.push([p, q]);
    p = q;
  }
  return { frames, bound: total };
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
    decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
      // node:zlib stops after the first frame; Kafka's readers (zstd-jni streams, librdkafka's
      // ZSTD_decompress) continue through concatenated frames, so split them first.
      const { frames } = scanFrames(data);
      let left = maxOutputBytes;
      const one = (frame: Uint8Array) => {
        // zlib stops inflating as soon as the output passes maxOutputLength.
        const out = decompress(frame, { maxOutputLength: Math.max(1, left) });
        left -= out.length;
        return out;
      };
      try {
        if (frames.length === 1 && frames[0]![0] === 0 && frames[0]![1] === data.length) return one(data);
        return Buffer.concat(frames.map(([start, end]) => one(data.subarray(start, end))));
      } catch (err) {
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
    decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
      // WASM memory grows to fit the output and never shrinks: the capacity asked of it is the
      // frames' own bound, never more than the limit, so a bomb cannot leave the heap huge.
      const bound = zstdDecodedBound(data);
      const capacity = Math.min(bound, maxOutputBytes);
      let out: Buffer | null;
      try {
        out = wasm.decompress(data, capacity);
      } catch (err) {
        return fail((err as Error).message, err);
      }
      if (out !== null) return out;
      if (capacity < bound) throw new DecompressedTooLargeError('zstd', maxOutputBytes);
      return fail(`frame decodes past its declared bound of ${bound} bytes`);
    },
  };
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
  decompress(data, maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES) {
    // Streamed, so output is counted as it is produced and a bomb stops at the limit.
    const chunks: Uint8Array[] = [];
    let total = 0;
    const stream = new FzstdDecompress((chunk) => {
      total += chunk.length;
      if (total > maxOutputBytes) throw new DecompressedTooLargeError('zstd', maxOutputBytes);
      chunks.push(chunk);
    });
    try {
      for (const [start, end] of scanFrames(data).frames) stream.push(data.subarray(start, end));
      stream.push(new Uint8Array(0), true);
    } catch (err) {
      if (err instanceof DecompressedTooLargeError || err instanceof CompressionError) throw err;
      return fail((err as Error).message, err);
    }
    return chunks.length === 1
      ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.length)
      : Buffer.concat(chunks, total);
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
