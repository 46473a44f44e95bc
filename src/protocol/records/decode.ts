/**
 * Decoding a partition's `records` blob from a Fetch response: several batches back to back, the last
 * one possibly cut short by the broker's byte limits (KIP-74).
 *
 * Hot path (DESIGN.md "Performance principles"): one pass over the frame; record varints decoded inline
 * with a one-byte fast path; keys, values and header values are zero-copy Buffer views (see `view`); one
 * object per record, one per header; records without headers share a frozen empty array.
 */
import { SluiceError } from '../../errors.js';
import { type CompressionId, UnsupportedCompressionError } from '../compression/codec.js';
import { getCodec } from '../compression/index.js';
import { parseControlRecord } from './control.js';
import { crc32c } from './crc32c.js';
import { CorruptRecordError, UnsupportedRecordFormatError } from './errors.js';
import { BadBatch, bad, EMPTY_HEADERS, readInt16, readInt32, readInt64, view } from './internal.js';
import { decodeLegacyMessage } from './legacy.js';
import type { DecodeContext, DecodedRecords, KafkaRecord, RecordBatch, RecordHeader, TimestampType } from './types.js';

/** baseOffset + batchLength: what precedes every batch or legacy message (`Records.LOG_OVERHEAD`). */
const LOG_OVERHEAD = 12;
/** Header size of a v2 batch, through recordCount (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`). */
const V2_OVERHEAD = 61;
/** The smallest legacy message (`LegacyRecord.RECORD_OVERHEAD_V0`); Java rejects shorter sizes. */
const MIN_MESSAGE = 14;

// Where the slow varint paths leave the cursor: a module slot, so no tuple is allocated per varint.
let cursor = 0;

/** Zig-zag varint (int32) of 2-5 bytes at p; sets `cursor` past it. */
function varintSlow(b: Uint8Array, p: number, limit: number): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (p >= limit) bad('truncated varint');
    const byte = b[p++]!;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      cursor = p;
      return (result >>> 1) ^ -(result & 1);
    }
  }
  return bad('varint longer than 5 bytes');
}

/** Zig-zag varlong (int64, exact below 2^53) of 2-10 bytes at p; sets `cursor` past it. */
function varlongSlow(b: Uint8Array, p: number, limit: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= limit) bad('truncated varlong');
    const byte = b[p++]!;
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) {
      cursor = p;
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    mul *= 128;
  }
  return bad('varlong longer than 10 bytes');
}

/**
 * Decodes `count` records from `b[p, end)`. Fields of each record are bounded by its own length; a
 * record that does not end exactly where its length says is corrupt (Java: InvalidRecordException).
 */
function decodeRecords(
  b: Buffer,
  p: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number,
  topic: string,
  partition: number,
  leaderEpoch: number,
): KafkaRecord[] {
  const records: KafkaRecord[] = new Array(count);
  const ab = b.buffer;
  const bo = b.byteOffset;
  for (let i = 0; i < count; i++) {
    let x = b[p]!;
    let len: number;
    if (x < 0x80 && p < end) {
      len = (x >>> 1) ^ -(x & 1);
      p++;
    } else {
      len = varintSlow(b, p, end);
      p = cursor;
    }
    if (len < 6 || len > end - p) bad(`record ${i} has invalid length ${len}`);
    const recEnd = p + len;
    p++; // attributes: unused
    let tsDelta: number;
    x = b[p]!;
    if (x < 0x80) {
      tsDelta = (x >>> 1) ^ -(x & 1);
      p++;
    } else {
      tsDelta = varlongSlow(b, p, recEnd);
      p = cursor;
    }
    let offsetDelta: number;
    x = b[p]!;
    if (x < 0x80) {
      offsetDelta = (x >>> 1) ^ -(x & 1);
      p++;
    } else {
      offsetDelta = varintSlow(b, p, recEnd);
      p = cursor;
    }
    let n: number;
    x = b[p]!;
    if (x < 0x80) {
      n = (x >>> 1) ^ -(x & 1);
      p++;
    } else {
      n = varintSlow(b, p, recEnd);
      p = cursor;
    }
    let key: Buffer | null = null;
    if (n >= 0) {
      if (n > recEnd - p) bad(`record ${i} key overruns the record`);
      key = view(ab, bo + p, n);
      p += n;
    } else if (n !== -1) bad(`record ${i} has key length ${n}`);
    x = b[p]!;
    if (x < 0x80) {
      n = (x >>> 1) ^ -(x & 1);
      p++;
    } else {
      n = varintSlow(b, p, recEnd);
      p = cursor;
    }
    let value: Buffer | null = null;
    if (n >= 0) {
      if (n > recEnd - p) bad(`record ${i} value overruns the record`);
      value = view(ab, bo + p, n);
      p += n;
    } else if (n !== -1) bad(`record ${i} has value length ${n}`);
    x = b[p]!;
    if (x < 0x80) {
      n = x >>> 1; // a negative header count (odd x) is caught below
      if (x & 1) n = -1;
      p++;
    } else {
      n = varintSlow(b, p, recEnd);
      p = cursor;
    }
    let headers = EMPTY_HEADERS;
    if (n !== 0) {
      if (n < 0 || n > recEnd - p) bad(`record ${i} has header count ${n}`);
      headers = decodeHeaders(b, p, recEnd, n);
      p = cursor;
    }
    if (p !== recEnd) bad(`record ${i} ends at ${p - (recEnd - len)} of its ${len} bytes`);
    records[i] = {
      topic,
      partition,
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + tsDelta,
      key,
      value,
      headers,
      leaderEpoch,
    };
  }
  cursor = p;
  return records;
}

function decodeHeaders(b: Buffer, p: number, end: number, count: number): RecordHeader[] {
  const headers: RecordHeader[] = new Array(count);
  for (let h = 0; h < count; h++) {
    let n = varintAt(b, p, end);
    p = cursor;
    if (n < 0 || n > end - p) bad(`header key length ${n}`);
    const key = b.toString('utf8', p, p + n);
    p += n;
    n = varintAt(b, p, end);
    p = cursor;
    let value: Buffer | null = null;
    if (n >= 0) {
      if (n > end - p) bad('header value overruns the record');
      value = view(b.buffer, b.byteOffset + p, n);
      p += n;
    } else if (n !== -1) bad(`header value length ${n}`);
    headers[h] = { key, value };
  }
  cursor = p;
  return headers;
}

function varintAt(b: Uint8Array, p: number, end: number): number {
  const x = b[p]!;
  if (x < 0x80 && p < end) {
    cursor = p + 1;
    return (x >>> 1) ^ -(x & 1);
  }
  return varintSlow(b, p, end);
}

/** Decodes the v2 batch at `data[p, p + 12 + batchLength)`. */
function decodeV2(data: Buffer, p: number, batchLength: number, ctx: DecodeContext, verify: boolean): RecordBatch {
  if (batchLength < V2_OVERHEAD - LOG_OVERHEAD) bad(`batch length ${batchLength} is below the v2 header size`);
  const end = p + LOG_OVERHEAD + batchLength;
  const baseOffset = readInt64(data, p);
  const crc = readInt32(data, p + 17) >>> 0;
  if (verify) {
    const computed = crc32c(data, p + 21, end);
    if (computed !== crc) {
      bad(
        `CRC-32C mismatch: stored 0x${crc.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`,
      );
    }
  }
  const attributes = readInt16(data, p + 21);
  const lastOffsetDelta = readInt32(data, p + 23);
  const baseTimestamp = readInt64(data, p + 27);
  const maxTimestamp = readInt64(data, p + 35);
  const recordCount = readInt32(data, p + 57);
  const compression = attributes & 7;
  const timestampType = ((attributes >>> 3) & 1) as TimestampType;
  const isControl = (attributes & 0x20) !== 0;
  let buf = data;
  let start = p + V2_OVERHEAD;
  let stop = end;
  if (compression > 4) {
    throw new UnsupportedCompressionError(compression, undefined, {
      topic: ctx.topic,
      partition: ctx.partition,
      offset: baseOffset,
    });
  }
  // Compaction can empty a batch and keep only its header, compression bits included
  // (`MemoryRecords.filterTo` → `writeEmptyHeader`): there is then no payload to decompress.
  if (compression !== 0 && stop > start) {
    buf = getCodec(compression).decompress(data.subarray(start, stop));
    start = 0;
    stop = buf.length;
  }
  // Every record takes at least 7 bytes; a larger count cannot be honest (and must not size an array).
  if (recordCount < 0 || recordCount > (stop - start) / 7) bad(`record count ${recordCount} does not fit the batch`);
  let records = decodeRecords(
    buf,
    start,
    stop,
    recordCount,
    baseOffset,
    baseTimestamp,
    timestampType === 1 ? maxTimestamp : -1,
    ctx.topic,
    ctx.partition,
    readInt32(data, p + 12),
  );
  if (cursor !== stop) bad(`${stop - cursor} bytes after the last record`);
  let control = null;
  if (isControl && records.length > 0) {
    const first = records[0]!;
    const parsed = parseControlRecord(first.key, first.value, first.offset, first.timestamp);
    if (typeof parsed === 'string') bad(parsed);
    control = parsed;
    records = [];
  }
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch: readInt32(data, p + 12),
    magic: 2,
    crc,
    attributes,
    compression: compression as CompressionId,
    timestampType,
    isTransactional: (attributes & 0x10) !== 0,
    isControl,
    hasDeleteHorizon: (attributes & 0x40) !== 0,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: readInt64(data, p + 43),
    producerEpoch: readInt16(data, p + 51),
    baseSequence: readInt32(data, p + 53),
    recordCount,
    records,
    control,
  };
}

/**
 * Decodes every complete batch in a partition's records blob (v2 record batches, and legacy v0/v1
 * message sets). A partial trailing batch is not an error: see {@link DecodedRecords.truncatedBytes}.
 *
 * Throws {@link CorruptRecordError} (bad CRC, inconsistent lengths, undecompressable data),
 * {@link UnsupportedCompressionError} or {@link UnsupportedRecordFormatError}, each naming topic,
 * partition and the batch's offset. With `partialOnError`, returns the batches before the bad one and
 * the error in `error` instead, so a consumer can deliver them and then stop exactly at the bad batch.
 */
export function decodeRecordBatches(data: Buffer, ctx: DecodeContext): DecodedRecords {
  const verify = ctx.verifyCrc !== false;
  const batches: RecordBatch[] = [];
  const n = data.length;
  let p = 0;
  while (n - p >= LOG_OVERHEAD) {
    const batchLength = readInt32(data, p + 8);
    // A length that does not fit what is left is the cut-off last batch (also when it exceeds
    // fetch.max.bytes): stop, and report the leftover bytes.
    if (batchLength > n - p - LOG_OVERHEAD) break;
    try {
      if (batchLength < MIN_MESSAGE) bad(`batch length ${batchLength} is below the minimum ${MIN_MESSAGE}`);
      const magic = (data[p + 16]! << 24) >> 24;
      if (magic === 2) batches.push(decodeV2(data, p, batchLength, ctx, verify));
      else if (magic === 0 || magic === 1) batches.push(decodeLegacyMessage(data, p, batchLength, ctx, verify));
      else
        throw new UnsupportedRecordFormatError(
          { topic: ctx.topic, partition: ctx.partition, offset: readInt64(data, p) },
          magic,
        );
    } catch (err) {
      const located = locate(err, ctx, readInt64(data, p));
      if (ctx.partialOnError === true) return { batches, truncatedBytes: 0, error: located };
      throw located;
    }
    p += LOG_OVERHEAD + batchLength;
  }
  return { batches, truncatedBytes: n - p };
}

/** Gives every failure a location; anything unexpected (a bug) still surfaces as a typed error. */
function locate(err: unknown, ctx: DecodeContext, offset: number): SluiceError {
  const at = { topic: ctx.topic, partition: ctx.partition, offset };
  if (err instanceof BadBatch) return new CorruptRecordError(at, err.message);
  if (err instanceof UnsupportedCompressionError && err.topic === undefined) {
    return new UnsupportedCompressionError(err.codecId, undefined, at);
  }
  if (err instanceof CorruptRecordError || err instanceof UnsupportedRecordFormatError) return err;
  if (err instanceof UnsupportedCompressionError) return err;
  if (err instanceof SluiceError) return new CorruptRecordError(at, err.message, err);
  return new CorruptRecordError(at, `decoding failed: ${String((err as Error)?.message ?? err)}`, err);
}
