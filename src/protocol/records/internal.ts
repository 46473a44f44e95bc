/** Byte helpers and the internal failure signal shared by the v2 and legacy decoders. */
import type { RecordHeader } from './types.js';

/** The empty header list shared by every record without headers. */
export const EMPTY_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** A malformed batch, thrown inside the decoders and rethrown as CorruptRecordError with its location. */
export class BadBatch extends Error {}

export function bad(reason: string): never {
  throw new BadBatch(reason);
}

const TWO_32 = 4294967296;

export function readInt16(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
}

export function readInt32(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

/** int64 as a number: exact below 2^53, which offsets, timestamps and producer ids stay under. */
export function readInt64(b: Uint8Array, p: number): number {
  return readInt32(b, p) * TWO_32 + (readInt32(b, p + 4) >>> 0);
}

type ViewCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/**
 * Node's own Buffer class, `FastBuffer` (lib/buffer.js), which `Buffer[Symbol.species]` returns so that
 * TypedArray methods on Buffers build Buffers. Constructing it directly makes a real Buffer (prototype
 * `Buffer.prototype`, so `assert.deepStrictEqual` with any other Buffer works) in ~16 ns, against
 * ~45 ns for `buf.subarray()` or `Buffer.from(arrayBuffer, …)`, which validate their arguments and, for
 * subarray, resolve the species each time. Two views per record make this the largest cost of
 * decoding. Checked at load; `Buffer.from` serves if a runtime ever lacks it.
 */
const species = (Buffer as unknown as { [Symbol.species]?: unknown })[Symbol.species];
const FastBuffer: ViewCtor | null =
  typeof species === 'function' && species.prototype === Buffer.prototype ? (species as ViewCtor) : null;

/**
 * A zero-copy Buffer over `length` bytes at `byteOffset` of `buffer`. Reading `buf.buffer` and
 * `buf.byteOffset` costs ~15 ns each, so decoders read them once per batch and pass them in.
 */
export const view: (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer =
  FastBuffer === null
    ? (buffer, byteOffset, length) => Buffer.from(buffer as ArrayBuffer, byteOffset, length)
    : (buffer, byteOffset, length) => new FastBuffer(buffer, byteOffset, length);
