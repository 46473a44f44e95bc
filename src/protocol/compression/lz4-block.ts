/**
 * LZ4 block format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md) and XXH32, in
 * TypeScript. At Kafka batch sizes it is faster than the napi-rs `lz4-napi` binding (whose per-call
 * overhead dominates), and unlike `lz4js` it bounds-checks every read and writes independent blocks,
 * which Kafka's Java reader requires.
 */
import { CompressionError } from './codec.js';

const MIN_MATCH = 4;
const LAST_LITERALS = 5; // the last 5 bytes of a block are always literals
const MF_LIMIT = 12; // a match must start at least 12 bytes before the block end
const HASH_BITS = 16;
const MAX_OFFSET = 65535;

function fail(reason: string): never {
  throw new CompressionError('lz4', reason);
}

/**
 * Decodes the block `src[start, end)` into `out[outStart, outLimit)`. Returns the end position in
 * `out`. Independent blocks only: a match may not reach before `outStart`.
 */
export function lz4DecodeBlock(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outStart: number,
  outLimit: number,
): number {
  let p = start;
  let o = outStart;
  for (;;) {
    if (p >= end) fail('truncated block');
    const token = src[p++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (p >= end) fail('truncated literal length');
        b = src[p++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > end - p) fail('literals run past the block');
    if (lit > outLimit - o) fail('literals run past the output');
    if (lit < 16) {
      for (let i = 0; i < lit; i++) out[o + i] = src[p + i]!;
    } else {
      out.set(src.subarray(p, p + lit), o);
    }
    p += lit;
    o += lit;
    if (p === end) return o; // the last sequence has literals only
    if (p + 2 > end) fail('truncated match offset');
    const offset = src[p]! | (src[p + 1]! << 8);
    p += 2;
    if (offset === 0 || offset > o - outStart) fail(`match offset ${offset} out of range`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (p >= end) fail('truncated match length');
        b = src[p++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (len > outLimit - o) fail('match runs past the output');
    let from = o - offset;
    if (len < 32) {
      for (const stop = o + len; o < stop; ) out[o++] = out[from++]!;
    } else if (offset >= len) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      // An overlapping match repeats the `offset` bytes before it. Copied in doubling chunks, each a
      // whole number of periods (but the last), from the start: a run of thousands of bytes (a value
      // repeated record after record) takes a few native copies instead of a byte loop.
      const stop = o + len;
      while (o < stop) {
        const n = Math.min(o - from, stop - o);
        out.copyWithin(o, from, from + n);
        o += n;
      }
    }
  }
}

/** Worst-case compressed size of `n` bytes (LZ4_COMPRESSBOUND). */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

// Hash table of positions, stamped so it never needs clearing between calls: a value is
// `position - blockStart + base`, and `base` grows past every value a previous call wrote, so a stale
// entry decodes to a position before the current block and is ignored.
const table = new Int32Array(1 << HASH_BITS);
let base = 0;

function load32(a: Uint8Array, p: number): number {
  return a[p]! | (a[p + 1]! << 8) | (a[p + 2]! << 16) | (a[p + 3]! << 24);
}

function writeLength(out: Uint8Array, o: number, n: number): number {
  while (n >= 255) {
    out[o++] = 255;
    n -= 255;
  }
  out[o++] = n;
  return o;
}

function emitSequence(
  src: Uint8Array,
  anchor: number,
  lit: number,
  out: Uint8Array,
  o: number,
  offset: number,
  matchLen: number,
): number {
  const ml = matchLen - MIN_MATCH;
  const tokenAt = o++;
  let token = Math.min(lit, 15) << 4;
  if (lit >= 15) o = writeLength(out, o, lit - 15);
  if (lit < 16) {
    for (let i = 0; i < lit; i++) out[o + i] = src[anchor + i]!;
  } else {
    out.set(src.subarray(anchor, anchor + lit), o);
  }
  o += lit;
  if (matchLen > 0) {
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    token |= Math.min(ml, 15);
    if (ml >= 15) o = writeLength(out, o, ml - 15);
  }
  out[tokenAt] = token;
  return o;
}

/**
 * Compresses `src[start, end)` as one independent block into `out` at `o` (which needs
 * {@link lz4BlockBound} bytes free), with LZ4's fast greedy matcher. Returns the end position.
 */
export function lz4EncodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  if (base > 0x3fffffff - (end - start)) {
    table.fill(0);
    base = 0;
  }
  const stamp = base - start; // table value = position + stamp
  base += end - start + 1; // the next call's stamps start past every value written here
  let anchor = start;
  let ip = start + 1;
  const mfLimit = end - MF_LIMIT;
  const matchLimit = end - LAST_LITERALS;
  const shift = 32 - HASH_BITS;
  if (end - start > MF_LIMIT) {
    table[Math.imul(load32(src, start), -1640531535) >>> shift] = start + stamp;
    let misses = 1 << 6;
    while (ip <= mfLimit) {
      const seq = load32(src, ip);
      const h = Math.imul(seq, -1640531535) >>> shift;
      const ref = table[h]! - stamp;
      table[h] = ip + stamp;
      if (ref < start || ip - ref > MAX_OFFSET || load32(src, ref) !== seq) {
        ip += misses++ >>> 6; // accelerate through incompressible input
        continue;
      }
      misses = 1 << 6;
      let mStart = ip;
      let rStart = ref;
      while (mStart > anchor && rStart > start && src[mStart - 1] === src[rStart - 1]) {
        mStart--;
        rStart--;
      }
      let len = ip - mStart + MIN_MATCH;
      let a = ip + MIN_MATCH;
      let b = ref + MIN_MATCH;
      while (a < matchLimit && src[a] === src[b]) {
        a++;
        b++;
        len++;
      }
      o = emitSequence(src, anchor, mStart - anchor, out, o, mStart - rStart, len);
      ip = mStart + len;
      anchor = ip;
      if (ip - 2 > start) table[Math.imul(load32(src, ip - 2), -1640531535) >>> shift] = ip - 2 + stamp;
    }
  }
  return emitSequence(src, anchor, end - anchor, out, o, 0, 0);
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** XXH32 of `data[start, end)` (the LZ4 frame's header and content checksums). */
export function xxh32(data: Uint8Array, start: number, end: number, seed = 0): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; p <= end - 16; p += 16) {
      v1 = round(v1, load32(data, p));
      v2 = round(v2, load32(data, p + 4));
      v3 = round(v3, load32(data, p + 8));
      v4 = round(v4, load32(data, p + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  for (; p <= end - 4; p += 4) h = Math.imul(rotl((h + Math.imul(load32(data, p), P3)) | 0, 17), P4);
  for (; p < end; p++) h = Math.imul(rotl((h + Math.imul(data[p]!, P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}
