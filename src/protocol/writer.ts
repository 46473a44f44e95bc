/**
 * Builds one outgoing frame in a single growable buffer. Lengths that are only known at the end
 * (the frame size, a record batch length) are reserved and back-patched, so nothing is copied twice.
 */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written so far, as a view (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
    return this;
  }

  uint16(v: number): this {
    return this.int16(v);
  }

  int32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
    return this;
  }

  uint32(v: number): this {
    return this.int32(v);
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** int64 from a JS number (exact below 2^53); the record-batch hot path uses this. */
  int64Number(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    const b = this.buf;
    const p = this.pos;
    b[p] = (hi >>> 24) & 0xff;
    b[p + 1] = (hi >>> 16) & 0xff;
    b[p + 2] = (hi >>> 8) & 0xff;
    b[p + 3] = hi & 0xff;
    b[p + 4] = (lo >>> 24) & 0xff;
    b[p + 5] = (lo >>> 16) & 0xff;
    b[p + 6] = (lo >>> 8) & 0xff;
    b[p + 7] = lo & 0xff;
    this.pos = p + 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** A UUID in Kafka's textual form (22-char URL-safe base64). */
  uuid(v: string): this {
    this.ensure(16);
    const written = this.buf.write(v, this.pos, 16, 'base64url');
    if (written !== 16) throw new RangeError(`Invalid UUID "${v}": expected 22 base64url characters`);
    this.pos += 16;
    return this;
  }

  /** Unsigned LEB128 varint (up to 32 bits). */
  uvarint(v: number): this {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    let n = v >>> 0;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    this.pos = p;
    return this;
  }

  /** Zig-zag signed varint (int32). */
  varint(v: number): this {
    return this.uvarint((v << 1) ^ (v >> 31));
  }

  /** Zig-zag signed varlong from a JS number (exact below 2^53). */
  varlong(v: number): this {
    this.ensure(10);
    let n = v >= 0 ? v * 2 : -v * 2 - 1;
    const b = this.buf;
    let p = this.pos;
    while (n >= 0x80) {
      b[p++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[p++] = n;
    this.pos = p;
    return this;
  }

  /** Raw bytes, copied in. */
  raw(src: Uint8Array): this {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
    return this;
  }

  /** int16-length string (-1 for null). */
  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    const len = Buffer.byteLength(v, 'utf8');
    this.int16(len);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
    return this;
  }

  /** unsigned-varint (length+1) string (0 for null). */
  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const len = Buffer.byteLength(v, 'utf8');
    this.uvarint(len + 1);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
    return this;
  }

  /** int32-length bytes (-1 for null). */
  nullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    return this.raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.uvarint(0);
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  /** Classic array length (int32, -1 for null). */
  arrayLength(n: number): this {
    return this.int32(n);
  }

  /** Compact array length (uvarint N+1, 0 for null: pass -1). */
  compactArrayLength(n: number): this {
    return this.uvarint(n + 1);
  }

  /** Reserves 4 bytes for an int32 to be filled later by {@link Writer.patchInt32}. */
  reserveInt32(): number {
    this.ensure(4);
    const p = this.pos;
    this.pos += 4;
    return p;
  }

  patchInt32(at: number, v: number): void {
    const b = this.buf;
    b[at] = (v >>> 24) & 0xff;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
  }

  /**
   * Reserves one byte for the unsigned-varint size of what is written next (a tagged field's
   * content); {@link Writer.patchUvarintSize} fills it in, moving the content up in the rare case
   * the size needs more than one byte. Returns the mark to pass there.
   */
  reserveUvarintSize(): number {
    this.ensure(1);
    return this.pos++;
  }

  patchUvarintSize(mark: number): void {
    const size = this.pos - mark - 1;
    if (size < 0x80) {
      this.buf[mark] = size;
      return;
    }
    let extra = 0;
    for (let n = size >>> 7; n > 0; n >>>= 7) extra++;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    const end = this.pos + extra;
    this.pos = mark;
    this.uvarint(size);
    this.pos = end;
  }
}
