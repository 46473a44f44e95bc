// The fake broker's data: topics, partitions and their in-memory logs. A log is a list of chunks, each
// the bytes of one or more record batches as appended; a fetch returns whole chunks from the one that
// holds the fetch offset, cut at the byte limits exactly like Kafka's file slices (so a fetch can end
// in a partial batch, KIP-74).
import { randomBytes } from 'node:crypto';
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { decodeRecordBatches } from '../../../src/protocol/records/decode.js';
import { encodeRecordBatch } from '../../../src/protocol/records/encode.js';
import type { BatchToEncode, RecordToEncode } from '../../../src/protocol/records/types.js';
import { Writer } from '../../../src/protocol/writer.js';

/** A record as tests write it: strings are UTF-8 encoded. */
export interface FakeRecord {
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  headers?: Record<string, string | Uint8Array | null>;
  timestamp?: number;
}

/** Batch attributes for {@link PartitionLog.appendRecords} (everything of encodeRecordBatch but the records). */
export type BatchOptions = Omit<BatchToEncode, 'records' | 'baseOffset'>;

interface Chunk {
  baseOffset: number;
  /** Offset after the chunk's last record. */
  nextOffset: number;
  bytes: Buffer;
  maxTimestamp: number;
}

const bytesOf = (v: string | Uint8Array | null | undefined): Uint8Array | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;

function toEncode(r: FakeRecord): RecordToEncode {
  return {
    key: bytesOf(r.key),
    value: bytesOf(r.value),
    headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: bytesOf(value) })),
    timestamp: r.timestamp,
  };
}

/** Walks v2 batch headers; undefined when the bytes are not a sequence of whole batches. */
export function walkBatches(
  bytes: Buffer,
): { start: number; end: number; lastOffsetDelta: number; maxTimestamp: number; crcOk: boolean }[] | undefined {
  const out = [];
  let p = 0;
  while (p < bytes.length) {
    if (bytes.length - p < 61) return undefined;
    const end = p + 12 + bytes.readInt32BE(p + 8);
    if (end > bytes.length || end < p + 61 || bytes[p + 16] !== 2) return undefined;
    out.push({
      start: p,
      end,
      lastOffsetDelta: bytes.readInt32BE(p + 23),
      maxTimestamp: Number(bytes.readBigInt64BE(p + 35)),
      crcOk: crc32c(bytes, p + 21, end) === bytes.readUInt32BE(p + 17),
    });
    p = end;
  }
  return out.length > 0 ? out : undefined;
}

export class PartitionLog {
  private chunks: Chunk[] = [];
  logStartOffset = 0;
  /** Log end offset; also the high watermark and last stable offset (no replication, no open transactions). */
  endOffset = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public leader: number,
    public leaderEpoch = 0,
    public replicas: number[] = [],
  ) {}

  /** Encodes `records` as one batch at the log end; returns its base offset. */
  appendRecords(records: readonly FakeRecord[], opts: BatchOptions = {}): number {
    const w = new Writer(256);
    encodeRecordBatch(w, { ...opts, baseOffset: this.endOffset, records: records.map(toEncode) });
    return this.appendBatches(Buffer.from(w.view()));
  }

  /**
   * Appends raw bytes. Whole v2 batches get their base offsets rewritten to the log end, as a broker
   * assigns offsets (the base offset is outside the CRC); anything else (hostile bytes) is stored
   * verbatim and takes up `offsets` offsets (default 1). Returns the base offset.
   */
  appendBatches(bytes: Buffer, offsets = 1): number {
    const base = this.endOffset;
    const copy = Buffer.from(bytes);
    const batches = walkBatches(copy);
    let next = base + offsets;
    let maxTimestamp = -1;
    if (batches) {
      next = base;
      for (const b of batches) {
        copy.writeBigInt64BE(BigInt(next), b.start);
        next += b.lastOffsetDelta + 1;
        maxTimestamp = Math.max(maxTimestamp, b.maxTimestamp);
      }
    }
    this.chunks.push({ baseOffset: base, nextOffset: next, bytes: copy, maxTimestamp });
    this.endOffset = next;
    return base;
  }

  /**
   * Appends `bytes` exactly as given, as one chunk covering `count` offsets from the log end, whatever
   * their headers say (hostile batches). Returns the base offset.
   */
  appendVerbatim(bytes: Buffer, count: number, maxTimestamp = Date.now()): number {
    const base = this.endOffset;
    this.chunks.push({ baseOffset: base, nextOffset: base + count, bytes: Buffer.from(bytes), maxTimestamp });
    this.endOffset = base + count;
    return base;
  }

  /** Drops everything below `offset` (DeleteRecords / retention); whole chunks only, as Kafka drops segments. */
  truncateBefore(offset: number): void {
    this.logStartOffset = Math.min(Math.max(this.logStartOffset, offset), this.endOffset);
    this.chunks = this.chunks.filter((c) => c.nextOffset > this.logStartOffset);
  }

  /**
   * Bytes from the chunk holding `offset`, at most `limit` of them (the last chunk may be cut), except
   * that with `minOne` a first chunk larger than the limit is returned whole (KIP-74).
   */
  read(offset: number, limit: number, minOne: boolean): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    for (const c of this.chunks) {
      if (c.nextOffset <= offset) continue;
      if (size + c.bytes.length <= limit) {
        parts.push(c.bytes);
        size += c.bytes.length;
        continue;
      }
      if (parts.length === 0 && minOne) parts.push(c.bytes);
      else if (limit > size) parts.push(c.bytes.subarray(0, limit - size));
      break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** ListOffsets by timestamp: the first record at or after `ts` (-3: the record with the largest timestamp). */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } {
    let best = { offset: -1, timestamp: -1 };
    for (const c of this.chunks) {
      if (c.nextOffset <= this.logStartOffset) continue;
      if (ts >= 0 && c.maxTimestamp < ts) continue;
      let records: { offset: number; timestamp: number }[];
      try {
        const decoded = decodeRecordBatches(c.bytes, { topic: this.topic, partition: this.partition });
        records = decoded.batches.flatMap((b) => b.records);
      } catch {
        records = [{ offset: c.baseOffset, timestamp: c.maxTimestamp }];
      }
      for (const r of records) {
        if (r.offset < this.logStartOffset) continue;
        if (ts >= 0 && r.timestamp >= ts) return { offset: r.offset, timestamp: r.timestamp };
        if (ts === -3 && r.timestamp > best.timestamp) best = { offset: r.offset, timestamp: r.timestamp };
      }
    }
    return best;
  }
}

export class FakeTopic {
  readonly partitions: PartitionLog[] = [];

  constructor(
    readonly name: string,
    readonly topicId: string,
    readonly configs: Record<string, string> = {},
  ) {}
}

/** A random topic id in Kafka's textual form (22 characters of URL-safe base64). */
export function newTopicId(): string {
  return randomBytes(16).toString('base64url');
}
