/**
 * Raw Snappy block format (https://github.com/google/snappy/blob/main/format_description.txt), in
 * TypeScript. Benchmarked at 54 KB batches it matches or beats the napi-rs `snappy` binding (whose
 * per-call overhead dominates at Kafka batch sizes), so there is no native accelerator.
 *
 * The decoder checks every length and offset against both buffers: corrupt input raises
 * {@link CompressionError}, never an out-of-bounds read or a partially filled output.
 */
import { CompressionError, DecompressedTooLargeError } from './codec.js';

const FRAGMENT = 1 << 16; // the compressor works in 64 KiB fragments, like the reference
const HASH_BITS = 14;
const table = new Uint16Array(1 << HASH_BITS);

function fail(reason: string): never {
  throw new CompressionError('snappy', reason);
}

/** Reads the preamble (uncompressed length, a little-endian base-128 varint). Returns [length, bytes]. */
export function snappyUncompressedLength(src: Uint8Array, start: number, end: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let p = start; p < end && p - start < 5; p++) {
    const b = src[p]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (result > 0xffffffff) break;
      return [result, p + 1 - start];
    }
    mul *= 128;
  }
  return fail('bad uncompressed-length preamble');
}

/**
 * Decodes the raw block `src[start, end)` into `out` at `outStart`; the block must fill exactly
 * `length` bytes (its preamble). Returns the end position in `out`.
 */
export function snappyDecodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outStart: number,
): number {
  const [length, pre] = snappyUncompressedLength(src, start, end);
  const outEnd = outStart + length;
  if (outEnd > out.length) fail(`uncompressed length ${length} exceeds the output`);
  let p = start + pre;
  let o = outStart;
  while (p < end) {
    const tag = src[p++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const extra = len - 60; // 1..4 little-endian length bytes
        if (p + extra > end) fail('truncated literal length');
        len = src[p]!;
        if (extra > 1) len |= src[p + 1]! << 8;
        if (extra > 2) len |= src[p + 2]! << 16;
        if (extra > 3) len = (len | (src[p + 3]! << 24)) >>> 0;
        len += 1;
        p += extra;
      }
      if (len > end - p) fail('literal runs past the input');
      if (len > outEnd - o) fail('literal runs past the uncompressed length');
      if (len < 16) {
        for (let i = 0; i < len; i++) out[o + i] = src[p + i]!;
      } else {
        out.set(src.subarray(p, p + len), o);
      }
      p += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (p >= end) fail('truncated copy');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[p++]!;
    } else if (kind === 2) {
      if (p + 2 > end) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = src[p]! | (src[p + 1]! << 8);
      p += 2;
    } else {
      if (p + 4 > end) fail('truncated copy');
      len = (tag >>> 2) + 1;
      offset = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
      p += 4;
    }
    if (offset === 0 || offset > o - outStart) fail(`copy offset ${offset} out of range`);
    if (len > outEnd - o) fail('copy runs past the uncompressed length');
    let from = o - offset;
    if (offset >= len && len >= 32) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      // Overlapping copies repeat the last `offset` bytes: must go byte by byte.
      for (const stop = o + len; o < stop; ) out[o++] = out[from++]!;
    }
  }
  if (o !== outEnd) fail(`decoded ${o - outStart} bytes, preamble says ${length}`);
  return o;
}

/** Decodes one raw Snappy block into a new Buffer. */
export function snappyDecodeRaw(src: Uint8Array, start = 0, end = src.length, maxOutputBytes = Infinity): Buffer {
  const [length] = snappyUncompressedLength(src, start, end);
  if (length > maxOutputBytes)
    throw new DecompressedTooLargeError('snappy', maxOutputBytes, `the block says ${length}`);
  // A block expands at most ~64x per input byte (a 2-byte copy writes 64): reject absurd preambles
  // before allocating.
  if (length > (end - start) * 64 + 64) fail(`uncompressed length ${length} is impossible for ${end - start} bytes`);
  const out = Buffer.allocUnsafe(length);
  snappyDecodeInto(src, start, end, out, 0);
  return out;
}

/** Worst-case size of a compressed block for `n` input bytes (from the reference implementation). */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function load32(a: Uint8Array, p: number): number {
  return a[p]! | (a[p + 1]! << 8) | (a[p + 2]! << 16) | (a[p + 3]! << 24);
}

function emitLiteral(src: Uint8Array, from: number, len: number, out: Uint8Array, o: number): number {
  const n = len - 1;
  if (n < 60) {
    out[o++] = n << 2;
  } else if (n < 256) {
    out[o++] = 60 << 2;
    out[o++] = n;
  } else {
    out[o++] = 61 << 2; // fragments are ≤ 64 KiB, so two length bytes always suffice
    out[o++] = n & 0xff;
    out[o++] = n >>> 8;
  }
  if (len < 16) {
    for (let i = 0; i < len; i++) out[o + i] = src[from + i]!;
  } else {
    out.set(src.subarray(from, from + len), o);
  }
  return o + len;
}

function emitCopyUpTo64(out: Uint8Array, o: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[o] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[o + 1] = offset & 0xff;
    return o + 2;
  }
  out[o] = 2 | ((len - 1) << 2);
  out[o + 1] = offset & 0xff;
  out[o + 2] = offset >>> 8;
  return o + 3;
}

function emitCopy(out: Uint8Array, o: number, offset: number, len: number): number {
  while (len >= 68) {
    o = emitCopyUpTo64(out, o, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    o = emitCopyUpTo64(out, o, offset, 60);
    len -= 60;
  }
  return emitCopyUpTo64(out, o, offset, len);
}

/** Compresses one fragment (≤ 64 KiB) with the reference's greedy hash-match loop. */
function compressFragment(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  let nextEmit = start;
  if (end - start >= 15) {
    table.fill(0);
    const shift = 32 - HASH_BITS;
    const limit = end - 15;
    let ip = start + 1;
    let nextHash = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
    outer: for (;;) {
      // Skip faster through incompressible data: the step grows every 32 misses.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip++ >>> 5);
        if (nextIp > limit) break outer;
        nextHash = Math.imul(load32(src, nextIp), 0x1e35a7bd) >>> shift;
        candidate = start + table[h]!;
        table[h] = ip - start;
      } while (load32(src, ip) !== load32(src, candidate));
      o = emitLiteral(src, nextEmit, ip - nextEmit, out, o);
      do {
        const base = ip;
        let matched = 4;
        while (ip + matched < end && src[ip + matched] === src[candidate + matched]) matched++;
        ip += matched;
        o = emitCopy(out, o, base - candidate, matched);
        nextEmit = ip;
        if (ip >= limit) break outer;
        table[Math.imul(load32(src, ip - 1), 0x1e35a7bd) >>> shift] = ip - 1 - start;
        const h = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
        candidate = start + table[h]!;
        table[h] = ip - start;
      } while (load32(src, ip) === load32(src, candidate));
      ip++;
      nextHash = Math.imul(load32(src, ip), 0x1e35a7bd) >>> shift;
    }
  }
  if (nextEmit < end) o = emitLiteral(src, nextEmit, end - nextEmit, out, o);
  return o;
}

/**
 * Compresses `src[start, end)` as one raw block into `out` at `o` (which must have
 * {@link snappyMaxCompressedLength} bytes free). Returns the end position.
 */
export function snappyEncodeInto(src: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  let n = end - start;
  while (n >= 0x80) {
    out[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[o++] = n;
  for (let p = start; p < end; p += FRAGMENT) o = compressFragment(src, p, Math.min(p + FRAGMENT, end), out, o);
  return o;
}

/** Compresses `src` as one raw Snappy block into a new Buffer. */
export function snappyEncodeRaw(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(snappyMaxCompressedLength(src.length));
  return out.subarray(0, snappyEncodeInto(src, 0, src.length, out, 0));
}
