import { SluiceError } from '../errors.js';

/**
 * A frame or record could not be decoded: it ended early, a length was negative where it may not be,
 * or a value was out of range. Names what was being decoded and the byte offset where it went wrong.
 */
export class ProtocolDecodeError extends SluiceError {
  /** What was being decoded, e.g. `FetchResponse v17`. */
  readonly what: string;
  /** Byte offset inside the decoded buffer where decoding failed. */
  readonly offset: number;

  constructor(what: string, offset: number, reason: string, cause?: unknown) {
    super(`Cannot decode ${what} at byte ${offset}: ${reason}`, { code: 'PROTOCOL_DECODE', cause });
    this.what = what;
    this.offset = offset;
  }
}

const EMPTY = Buffer.alloc(0);
const TWO_32 = 4294967296;

/**
 * A cursor over one frame with a *sticky* error: reads past the end, or invalid lengths, do not throw
 * per field. They set `failed`, remember the first bad offset, and return neutral values (0, '', empty
 * buffers), so decoding a whole message costs one check at the end: {@link Reader.check}.
 *
 * Byte arrays are returned as zero-copy `subarray` views of the frame.
 */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;
  /** Set on the first out-of-bounds or invalid read; sticky. */
  failed = false;
  /** Byte offset of the first failure, or -1. */
  failedAt = -1;
  failReason = '';

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Marks the reader failed (first failure wins) and moves the cursor to the end. */
  fail(reason: string): void {
    if (!this.failed) {
      this.failed = true;
      this.failedAt = this.pos;
      this.failReason = reason;
    }
    this.pos = this.end;
  }

  /** Throws a {@link ProtocolDecodeError} naming `what` if any read so far failed. */
  check(what: string): void {
    if (this.failed) throw new ProtocolDecodeError(what, this.failedAt, this.failReason);
  }

  /** Advances past n bytes, returning the old position, or -1 (and fails) if they are not there. */
  private take(n: number): number {
    const p = this.pos;
    if (n > this.end - p || n < 0) {
      this.fail(n < 0 ? `negative length ${n}` : `needs ${n} bytes, ${this.end - p} left`);
      return -1;
    }
    this.pos = p + n;
    return p;
  }

  skip(n: number): void {
    this.take(n);
  }

  int8(): number {
    const p = this.take(1);
    return p < 0 ? 0 : (this.buf[p]! << 24) >> 24;
  }

  uint8(): number {
    const p = this.take(1);
    return p < 0 ? 0 : this.buf[p]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    const p = this.take(2);
    if (p < 0) return 0;
    const b = this.buf;
    return (((b[p]! << 8) | b[p + 1]!) << 16) >> 16;
  }

  uint16(): number {
    const p = this.take(2);
    if (p < 0) return 0;
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  int32(): number {
    const p = this.take(4);
    if (p < 0) return 0;
    const b = this.buf;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  /** int64 as an exact bigint (the protocol layer's representation of int64 fields). */
  int64(): bigint {
    const p = this.take(8);
    return p < 0 ? 0n : this.buf.readBigInt64BE(p);
  }

  /**
   * int64 as a JS number, for record-batch hot paths (offsets, timestamps) where values stay far
   * below 2^53. Exact in that range.
   */
  int64Number(): number {
    const p = this.take(8);
    if (p < 0) return 0;
    const b = this.buf;
    const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    return hi * TWO_32 + lo;
  }

  float64(): number {
    const p = this.take(8);
    return p < 0 ? 0 : this.buf.readDoubleBE(p);
  }

  /** 16 bytes, returned as Kafka's textual form (URL-safe base64 without padding, 22 chars). */
  uuid(): string {
    const p = this.take(16);
    if (p < 0) return ZERO_UUID;
    return this.buf.toString('base64url', p, p + 16);
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits). */
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    if (p < this.end) {
      const first = b[p]!;
      if (first < 0x80) {
        this.pos = p + 1;
        return first;
      }
    }
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5 && p < this.end; i++) {
      const byte = b[p++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    this.fail('malformed unsigned varint');
    return 0;
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const v = this.uvarint();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Zig-zag signed varlong (at most 10 bytes) as a JS number, exact below 2^53. */
  varlong(): number {
    const b = this.buf;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10 && p < this.end; i++) {
      const byte = b[p++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        this.pos = p;
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    this.fail('malformed varlong');
    return 0;
  }

  /** int16-length string; null for length -1. */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    const p = this.take(n);
    return p < 0 ? '' : this.buf.toString('utf8', p, p + n);
  }

  string(): string {
    return this.nullableString() ?? this.nullFound('string');
  }

  /** unsigned-varint (length+1) string; null for 0. */
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n === -1) return null;
    const p = this.take(n);
    return p < 0 ? '' : this.buf.toString('utf8', p, p + n);
  }

  compactString(): string {
    return this.compactNullableString() ?? this.nullFound('string');
  }

  /** int32-length bytes as a zero-copy view; null for -1. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    const p = this.take(n);
    return p < 0 ? EMPTY : this.buf.subarray(p, p + n);
  }

  bytes(): Buffer {
    return this.nullableBytes() ?? this.nullFound('bytes');
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n === -1) return null;
    const p = this.take(n);
    return p < 0 ? EMPTY : this.buf.subarray(p, p + n);
  }

  compactBytes(): Buffer {
    return this.compactNullableBytes() ?? this.nullFound('bytes');
  }

  /** Array length in classic encoding (int32, -1 = null); each element takes at least `minElementBytes`. */
  arrayLength(minElementBytes = 1): number {
    const n = this.int32();
    return this.checkCount(n, minElementBytes);
  }

  /** Array length in compact encoding (uvarint N+1, 0 = null → -1); each element takes at least `minElementBytes`. */
  compactArrayLength(minElementBytes = 1): number {
    return this.checkCount(this.uvarint() - 1, minElementBytes);
  }

  /**
   * Skips the tagged-field section and returns nothing; generated decoders call
   * {@link Reader.taggedFields} with a handler when the struct defines tagged fields.
   */
  skipTaggedFields(): void {
    const count = this.taggedCount();
    for (let i = 0; i < count && !this.failed; i++) {
      this.uvarint();
      this.take(this.uvarint());
    }
  }

  /**
   * Walks the tagged-field section; `onTag` decodes known tags from a sub-reader bounded to the field.
   * Unknown tags are skipped, as the protocol requires.
   */
  taggedFields(onTag: (tag: number, r: Reader) => boolean): void {
    const count = this.taggedCount();
    for (let i = 0; i < count && !this.failed; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      const p = this.take(size);
      if (p < 0) return;
      const sub = new Reader(this.buf, p, p + size);
      if (onTag(tag, sub) && sub.failed) this.fail(`tagged field ${tag}: ${sub.failReason}`);
    }
  }

  /** The number of tagged fields: each takes at least two bytes (tag and size). */
  taggedCount(): number {
    const n = this.uvarint();
    return n === 0 ? 0 : this.checkCount(n, 2);
  }

  /**
   * A count must be -1 (null) or fit in the bytes left, each element taking at least `min` bytes: a
   * hostile count fails here, before anything is allocated for it.
   */
  private checkCount(n: number, min: number): number {
    if (n < -1 || n * min > this.end - this.pos) {
      this.fail(`element count ${n} does not fit the ${this.end - this.pos} bytes left`);
      return 0;
    }
    return n;
  }

  private nullFound(kind: string): never {
    // A null where the schema forbids it: record the failure but keep the sticky contract.
    this.fail(`unexpected null ${kind}`);
    return (kind === 'string' ? '' : EMPTY) as never;
  }
}

/** Kafka's all-zero UUID ("no id") in textual form. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
