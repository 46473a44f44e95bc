/**
 * Encoding one record batch v2 (magic 2) into a {@link Writer}, as the Java producer lays it out
 * (`MemoryRecordsBuilder`, `DefaultRecord.writeTo`).
 *
 * Hot path: one `ensure` per batch from an upper bound of its size, then every field written straight
 * into the buffer (varints inline, no per-record objects or closures), header and CRC-32C back-patched
 * at the end. A compressed batch is built in a reused scratch buffer, compressed, then copied in.
 */

import { CompressionCodecs, type CompressionId, UnsupportedCompressionError } from '../compression/codec.js';
import { getCodec } from '../compression/index.js';
import { Writer } from '../writer.js';
import { crc32c } from './crc32c.js';
import type { BatchToEncode, RecordToEncode } from './types.js';

const V2_OVERHEAD = 61;
const TWO_32 = 4294967296;
const scratch = new Writer(64 * 1024);
let keyLengths = new Int32Array(64);

function codecId(c: BatchToEncode['compression']): CompressionId {
  if (c === undefined) return 0;
  if (typeof c === 'number') {
    if (c >= 0 && c <= 4 && Number.isInteger(c)) return c;
    throw new UnsupportedCompressionError(c);
  }
  const id = CompressionCodecs[c];
  if (id === undefined) throw new UnsupportedCompressionError(-1, `unknown codec name "${String(c)}"`);
  return id;
}

function uvarintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes of a zig-zag varlong for a number (exact below 2^53). */
function varlongSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeInt32(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

function writeInt64(b: Buffer, p: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  writeInt32(b, p, hi | 0);
  writeInt32(b, p + 4, (v - hi * TWO_32) | 0);
}

/** Upper bound of the encoded size of `records` (5-byte varints, 3 UTF-8 bytes per UTF-16 unit). */
function recordsBound(records: readonly RecordToEncode[]): number {
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    size += 32 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    const headers = r.headers;
    if (headers !== undefined) {
      for (let h = 0; h < headers.length; h++)
        size += 10 + headers[h]!.key.length * 3 + (headers[h]!.value?.length ?? 0);
    }
  }
  return size;
}

/**
 * Writes the records of a batch into `w` (which must have room: see recordsBound) and returns the
 * batch's max timestamp and last offset delta through `result`.
 */
function writeRecords(
  w: Writer,
  records: readonly RecordToEncode[],
  baseTimestamp: number,
  now: number,
  result: number[],
): void {
  const b = w.buf;
  let p = w.pos;
  let maxTimestamp = -1;
  let lastOffsetDelta = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const key = r.key ?? null;
    const value = r.value;
    const headers = r.headers;
    const timestamp = r.timestamp ?? now;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const tsDelta = timestamp - baseTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    lastOffsetDelta = offsetDelta;
    const keyLen = key === null ? -1 : key.length;
    const valueLen = value === null ? -1 : value.length;
    const headerCount = headers === undefined ? 0 : headers.length;
    // Body size, to write the record's length prefix first.
    let size =
      1 +
      varlongSize(tsDelta) +
      uvarintSize(((offsetDelta << 1) ^ (offsetDelta >> 31)) >>> 0) +
      uvarintSize(((keyLen << 1) ^ (keyLen >> 31)) >>> 0) +
      Math.max(keyLen, 0) +
      uvarintSize(((valueLen << 1) ^ (valueLen >> 31)) >>> 0) +
      Math.max(valueLen, 0) +
      uvarintSize(headerCount << 1);
    if (headerCount > 0) {
      if (keyLengths.length < headerCount) keyLengths = new Int32Array(headerCount * 2);
      for (let h = 0; h < headerCount; h++) {
        const hd = headers![h]!;
        const kl = Buffer.byteLength(hd.key, 'utf8');
        keyLengths[h] = kl;
        const vl = hd.value === null ? -1 : hd.value.length;
        size += uvarintSize(kl << 1) + kl + uvarintSize(((vl << 1) ^ (vl >> 31)) >>> 0) + Math.max(vl, 0);
      }
    }
    let n = size << 1;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    b[p++] = 0; // record attributes: unused
    if (tsDelta >= -0x40000000 && tsDelta < 0x40000000) {
      n = ((tsDelta << 1) ^ (tsDelta >> 31)) >>> 0;
      while (n >= 0x80) {
        b[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      b[p++] = n;
    } else {
      let m = tsDelta >= 0 ? tsDelta * 2 : -tsDelta * 2 - 1;
      while (m >= 0x80) {
        b[p++] = (m % 128) | 0x80;
        m = Math.floor(m / 128);
      }
      b[p++] = m;
    }
    n = ((offsetDelta << 1) ^ (offsetDelta >> 31)) >>> 0;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    p = writeBytes(b, p, key);
    p = writeBytes(b, p, value);
    n = headerCount << 1;
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    for (let h = 0; h < headerCount; h++) {
      const hd = headers![h]!;
      const kl = keyLengths[h]!;
      n = kl << 1;
      while (n >= 0x80) {
        b[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      b[p++] = n;
      p += kl === hd.key.length && kl < 16 ? writeAscii(b, p, hd.key) : b.write(hd.key, p, kl, 'utf8');
      p = writeBytes(b, p, hd.value);
    }
  }
  w.pos = p;
  result[0] = maxTimestamp;
  result[1] = lastOffsetDelta;
}

/** Short keys whose UTF-8 length equals their UTF-16 length are ASCII: a loop beats Buffer#write. */
function writeAscii(b: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return s.length;
}

/** Writes a varint length (-1 for null) and the bytes. */
function writeBytes(b: Buffer, p: number, v: Uint8Array | null): number {
  if (v === null) {
    b[p] = 1; // zig-zag(-1)
    return p + 1;
  }
  const len = v.length;
  let n = len << 1;
  while (n >= 0x80) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  if (len < 24) {
    for (let i = 0; i < len; i++) b[p + i] = v[i]!;
  } else {
    b.set(v, p);
  }
  return p + len;
}

const result = [0, 0];

/**
 * Appends one record batch v2 to `w` and returns the number of bytes written. Defaults follow the Java
 * producer: baseOffset 0, partitionLeaderEpoch -1, producerId/epoch/baseSequence -1 (not idempotent),
 * CreateTime, baseTimestamp = the first record's timestamp, record timestamps default to now.
 */
export function encodeRecordBatch(w: Writer, batch: BatchToEncode): number {
  const records = batch.records;
  const compression = codecId(batch.compression);
  const now = Date.now();
  const baseTimestamp = batch.baseTimestamp ?? records[0]?.timestamp ?? now;
  const start = w.pos;
  const bound = recordsBound(records);
  if (compression === 0) {
    w.ensure(V2_OVERHEAD + bound);
    w.pos = start + V2_OVERHEAD;
    writeRecords(w, records, baseTimestamp, now, result);
  } else {
    scratch.pos = 0;
    scratch.ensure(bound);
    writeRecords(scratch, records, baseTimestamp, now, result);
    const compressed = getCodec(compression).compress(scratch.view());
    w.ensure(V2_OVERHEAD + compressed.length);
    w.buf.set(compressed, start + V2_OVERHEAD);
    w.pos = start + V2_OVERHEAD + compressed.length;
  }
  const end = w.pos;
  const b = w.buf;
  const attributes =
    compression |
    (batch.timestampType === 1 ? 0x08 : 0) |
    (batch.transactional === true ? 0x10 : 0) |
    (batch.control === true ? 0x20 : 0) |
    (batch.deleteHorizon === true ? 0x40 : 0);
  writeInt64(b, start, batch.baseOffset ?? 0);
  writeInt32(b, start + 8, end - start - 12);
  writeInt32(b, start + 12, batch.partitionLeaderEpoch ?? -1);
  b[start + 16] = 2;
  b[start + 21] = attributes >>> 8;
  b[start + 22] = attributes;
  writeInt32(b, start + 23, records.length === 0 ? 0 : result[1]!);
  writeInt64(b, start + 27, baseTimestamp);
  writeInt64(b, start + 35, records.length === 0 ? baseTimestamp : result[0]!);
  writeInt64(b, start + 43, batch.producerId ?? -1);
  b[start + 51] = (batch.producerEpoch ?? -1) >>> 8;
  b[start + 52] = batch.producerEpoch ?? -1;
  writeInt32(b, start + 53, batch.baseSequence ?? -1);
  writeInt32(b, start + 57, records.length);
  writeInt32(b, start + 17, crc32c(b, start + 21, end));
  return end - start;
}
