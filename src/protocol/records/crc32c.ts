/**
 * CRC-32C (Castagnoli), the checksum of record batch v2 (KIP-98): it covers the bytes from the
 * attributes field to the end of the batch.
 *
 * Two implementations give identical results:
 * - `native`: `@node-rs/crc32` (napi-rs, prebuilt per platform, SSE4.2/ARMv8 CRC instructions),
 *   ~6 GB/s. It is an optional dependency, loaded lazily; any load failure falls back silently.
 * - `js`: slicing-by-8 tables in plain TypeScript, ~1 GB/s; always available.
 *
 * `SLUICE_CRC32C=js` in the environment (read once, at first use) or {@link useCrc32cImplementation}
 * forces the fallback, so tests and benchmarks can exercise both.
 */
import { createRequire } from 'node:module';

/** Computes the CRC of `data`, continuing from `previous` (the CRC of the bytes before it; 0 to start). */
type Crc32cFn = (data: Uint8Array, previous?: number) => number;

export type Crc32cImplementation = 'native' | 'js';

// Slicing-by-8 tables: T[k * 256 + b] is the CRC of byte b followed by k zero bytes.
const T = /* @__PURE__ */ buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** Pure-TypeScript CRC-32C of `data[start, end)`, continuing from `previous`. */
export function crc32cJs(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  let crc = ~previous;
  let i = start;
  const t = T;
  // Eight bytes per step: two table lookups per byte disappear into one XOR of 8 lookups.
  for (const last8 = end - 8; i <= last8; i += 8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

let native: Crc32cFn | null | undefined;
let forced: Crc32cImplementation | undefined;

function loadNative(): Crc32cFn | null {
  if (native !== undefined) return native;
  native = null;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: Crc32cFn };
    const fn = mod.crc32c;
    // Guard against a broken binary: check a known vector once before trusting it.
    if (typeof fn === 'function' && fn(Buffer.from('123456789')) === 0xe3069283) native = fn;
  } catch {
    // Not installed, or no prebuilt binary for this platform: the JS tables serve.
  }
  return native;
}

/** Which implementation {@link crc32c} uses now. */
export function crc32cImplementation(): Crc32cImplementation {
  if (forced === undefined) forced = process.env.SLUICE_CRC32C === 'js' ? 'js' : 'native';
  return forced === 'native' && loadNative() !== null ? 'native' : 'js';
}

/**
 * Forces an implementation (tests, benchmarks). `native` falls back to `js` when the native module is
 * unavailable; check {@link crc32cImplementation}.
 */
export function useCrc32cImplementation(impl: Crc32cImplementation): void {
  forced = impl;
  current = impl === 'native' && loadNative() !== null ? nativeRange : crc32cJs;
}

function nativeRange(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  // Below ~64 bytes the N-API call costs more than the table loop.
  if (end - start < 64) return crc32cJs(data, start, end, previous);
  const view = start === 0 && end === data.length ? data : data.subarray(start, end);
  return native!(view, previous) >>> 0;
}

let current: (data: Uint8Array, start?: number, end?: number, previous?: number) => number = (d, s, e, p) => {
  useCrc32cImplementation(crc32cImplementation());
  return current(d, s, e, p);
};

/** CRC-32C of `data[start, end)` (unsigned), continuing from `previous` (0 to start a new checksum). */
export function crc32c(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  return current(data, start, end, previous);
}
