/**
 * Decoding a partition's `records` blob from a Fetch response: several batches back to back, the last
 * one possibly cut short by the broker's byte limits (KIP-74).
 *
 * Hot path (DESIGN.md "Performance principles"): one pass over the frame; record varints decoded inline
 * with a one-byte fast path; keys, values and header values are zero-copy Buffer views (see `view`); one
 * object per record, one per header; records without headers share a frozen empty array.
 */
import { SluiceError } from '../../errors.js';
import { type CompressionId, DecompressedTooLargeError, UnsupportedCompressionError } from '../compression/codec.js';
import { getCodec } from '../compression/index.js';
import { parseControlRecord } from './control.js';
import { crc32c } from './crc32c.js';
import { BatchTooLargeError, CorruptRecordError, UnsupportedRecordFormatError } from './errors.js';
import { BadBatch, bad, EMPTY_HEADERS, readInt16, readInt32, readInt64, view } from './internal.js';
import { decodeLegacyMessage } from './legacy.js';
import type { DecodeContext, DecodedRecords, KafkaRecord, RecordBatch, RecordHeader, TimestampType } from './types.js';

/** baseOffset + batchLength: what precedes every batch or legacy message (`Records.LOG_OVERHEAD`). */
const LOG_OVERHEAD = 12;
/** Header size of a v2 batch, through recordCount (`DefaultRecordBatch.RECORD_BATCH_OVERHEAD`). */
const V2_OVERHEAD = 61;
/** The smallest legacy message (`LegacyRecord.RECORD_OVERHEAD_V0`); Java rejects shorter sizes. */
const MIN_MESSAGE = 14;
/** What a batch's payload may inflate to unless the caller says otherwise (DecodeContext.maxBatchBytes). */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;

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
  lastOffsetDelta: number,
  prevDelta: number,
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
    // Offsets rise within a batch and end at its lastOffsetDelta: a record past it would be
    // delivered while the fetch position stays before it, and so delivered again and again.
    if (offsetDelta <= prevDelta || offsetDelta > lastOffsetDelta)
      bad(`record ${i} has offset delta ${offsetDelta} (previous ${prevDelta}, last ${lastOffsetDelta})`);
    prevDelta = offsetDelta;
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
  lastDelta = prevDelta;
  return records;
}

// The offset delta of the last record decoded by decodeRecords, for the next slice of the same batch.
let lastDelta = -1;

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

/** A v2 batch opened for reading: header checked, CRC verified, payload decompressed. */
interface OpenV2 {
  batch: RecordBatch;
  /** The records' bytes: the batch itself, or its decompressed payload. */
  buf: Buffer;
  /** Next record's position in `buf`, and where the records end. */
  pos: number;
  stop: number;
  /** Records decoded so far, and the last one's offset delta. */
  read: number;
  prevDelta: number;
  /** Bytes of the decompressed payload (0 when the batch is not compressed). */
  inflated: number;
}

/** Opens the v2 batch at `data[p, p + 12 + batchLength)`; its records are read with {@link readV2}. */
function openV2(data: Buffer, p: number, batchLength: number, ctx: DecodeContext, verify: boolean): OpenV2 {
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
  if (baseOffset < 0) bad(`negative base offset ${baseOffset}`);
  // Neither field is covered by the CRC; these values cannot be real.
  if (readInt32(data, p + 12) < -1) bad(`partition leader epoch ${readInt32(data, p + 12)}`);
  // Deltas start at 0 and rise by at least 1 per record (compaction may leave gaps, never overlaps).
  if (lastOffsetDelta < 0 || lastOffsetDelta < recordCount - 1)
    bad(`last offset delta ${lastOffsetDelta} does not fit ${recordCount} records`);
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
  let inflated = 0;
  if (compression !== 0 && stop > start) {
    buf = getCodec(compression).decompress(data.subarray(start, stop), ctx.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
    start = 0;
    stop = buf.length;
    inflated = buf.length;
  }
  // Every record takes at least 7 bytes; a larger count cannot be honest (and must not size an array).
  if (recordCount < 0 || recordCount > (stop - start) / 7) bad(`record count ${recordCount} does not fit the batch`);
  const batch: RecordBatch = {
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
    records: [],
    control: null,
  };
  const open: OpenV2 = { batch, buf, pos: start, stop, read: 0, prevDelta: -1, inflated };
  if (isControl && recordCount > 0) {
    // A control batch holds one marker record, never delivered: parse it now.
    const [first] = readV2(open, recordCount, ctx);
    const parsed = parseControlRecord(first!.key, first!.value, first!.offset, first!.timestamp);
    if (typeof parsed === 'string') bad(parsed);
    batch.control = parsed;
  }
  return open;
}

/** Decodes up to `max` more records of an open v2 batch; checks the batch ends where its last record does. */
function readV2(o: OpenV2, max: number, ctx: DecodeContext): KafkaRecord[] {
  const b = o.batch;
  const count = Math.min(max, b.recordCount - o.read);
  if (count <= 0) return [];
  const records = decodeRecords(
    o.buf,
    o.pos,
    o.stop,
    count,
    b.baseOffset,
    b.baseTimestamp,
    b.timestampType === 1 ? b.maxTimestamp : -1,
    ctx.topic,
    ctx.partition,
    b.partitionLeaderEpoch,
    b.lastOffsetDelta,
    o.prevDelta,
  );
  o.pos = cursor;
  o.prevDelta = lastDelta;
  o.read += count;
  if (o.read === b.recordCount && o.pos !== o.stop) bad(`${o.stop - o.pos} bytes after the last record`);
  return records;
}

/** Decodes the v2 batch at `data[p, p + 12 + batchLength)`, every record at once. */
function decodeV2(data: Buffer, p: number, batchLength: number, ctx: DecodeContext, verify: boolean): RecordBatch {
  const open = openV2(data, p, batchLength, ctx, verify);
  if (!open.batch.isControl) open.batch.records = readV2(open, open.batch.recordCount, ctx);
  return open.batch;
}

/**
 * Reads a partition's records blob batch by batch, and each batch's records in slices of a size the
 * caller picks: a consumer decodes only what it is about to deliver, so a batch of millions of tiny
 * records (a compressed one can hold `maxBatchBytes` / 7 of them) never becomes millions of objects
 * at once. Stops at a cut-off last batch (KIP-74). Every error is located (topic, partition, offset).
 */
export class RecordBatchReader {
  private p = 0;
  private readonly verify: boolean;

  constructor(
    private readonly data: Buffer,
    private readonly ctx: DecodeContext,
  ) {
    this.verify = ctx.verifyCrc !== false;
  }

  /** Bytes from the start that were whole batches, so far. */
  get position(): number {
    return this.p;
  }

  /** Opens the next whole batch, or returns undefined at the end (or at a cut-off last batch). */
  next(): BatchCursor | undefined {
    const data = this.data;
    const p = this.p;
    if (data.length - p < LOG_OVERHEAD) return undefined;
    const batchLength = readInt32(data, p + 8);
    if (batchLength > data.length - p - LOG_OVERHEAD) return undefined;
    try {
      if (batchLength < MIN_MESSAGE) bad(`batch length ${batchLength} is below the minimum ${MIN_MESSAGE}`);
      const magic = (data[p + 16]! << 24) >> 24;
      let cursor: BatchCursor;
      if (magic === 2) cursor = new BatchCursor(openV2(data, p, batchLength, this.ctx, this.verify), this.ctx);
      else if (magic === 0 || magic === 1) {
        const legacy = decodeLegacyMessage(data, p, batchLength, this.ctx, this.verify);
        cursor = new BatchCursor(undefined, this.ctx, legacy);
      } else
        throw new UnsupportedRecordFormatError(
          { topic: this.ctx.topic, partition: this.ctx.partition, offset: readInt64(data, p) },
          magic,
        );
      this.p = p + LOG_OVERHEAD + batchLength;
      return cursor;
    } catch (err) {
      throw locate(err, this.ctx, readInt64(data, p));
    }
  }
}

/** One opened batch: its header, and its records read in slices. */
export class BatchCursor {
  readonly batch: RecordBatch;
  private delivered = 0;

  constructor(
    private readonly open: OpenV2 | undefined,
    private readonly ctx: DecodeContext,
    legacy?: RecordBatch,
  ) {
    this.batch = open?.batch ?? legacy!;
  }

  /** Bytes the batch's payload inflated to (0 when it is not compressed); they live as long as its records. */
  get inflatedBytes(): number {
    return this.open?.inflated ?? 0;
  }

  /** Records not read yet (0 for control batches). */
  get remaining(): number {
    if (this.batch.isControl) return 0;
    return this.open ? this.batch.recordCount - this.open.read : this.batch.records.length - this.delivered;
  }

  /** Up to `max` more records, in offset order. */
  read(max: number): KafkaRecord[] {
    if (this.remaining === 0) return [];
    if (!this.open) {
      const out = this.batch.records.slice(this.delivered, this.delivered + max);
      this.delivered += out.length;
      return out;
    }
    try {
      return readV2(this.open, max, this.ctx);
    } catch (err) {
      throw locate(err, this.ctx, this.batch.baseOffset);
    }
  }
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
  if (err instanceof DecompressedTooLargeError)
    return new BatchTooLargeError(at, err.limit, `its ${err.codec} payload inflates past ${err.limit} bytes`, err);
  if (err instanceof SluiceError) return new CorruptRecordError(at, err.message, err);
  return new CorruptRecordError(at, `decoding failed: ${String((err as Error)?.message ?? err)}`, err);
}
