import type { CompressionId } from '../protocol/compression/codec.js';
import { crc32c } from '../protocol/records/crc32c.js';
import { decodeRecordBatches } from '../protocol/records/decode.js';
import { encodeRecordBatch } from '../protocol/records/encode.js';
import { Writer } from '../protocol/writer.js';
import type { PartitionQueue } from './partition-queue.js';
import { bodySizeOf, type ProducerRecord, recordSize } from './record.js';
import type { RecordMetadata } from './types.js';

/** Record batch v2 header size (DefaultRecordBatch.RECORD_BATCH_OVERHEAD). */
export const BATCH_OVERHEAD = 61;

/**
 * One `send()` call: one promise, whatever the number of records. Each batch holding some of its
 * records fills in their results; the promise settles when the last one is known, or rejects at the
 * first failure (records of the same call in other batches may still be written).
 */
export class SendHandle {
  readonly results: RecordMetadata[];
  remaining: number;
  settled = false;
  readonly promise: Promise<RecordMetadata[]>;
  private resolveFn!: (r: RecordMetadata[]) => void;
  private rejectFn!: (err: unknown) => void;

  constructor(
    readonly topic: string,
    count: number,
    /** The producer's set of unsettled calls (for flush and close); the handle leaves it when settled. */
    private readonly open: Set<SendHandle>,
  ) {
    open.add(this);
    this.results = new Array<RecordMetadata>(count);
    this.remaining = count;
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  /** `count` records of this call are done (their results are filled in). */
  done(count: number): void {
    this.remaining -= count;
    if (this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.open.delete(this);
      this.resolveFn(this.results);
    }
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.open.delete(this);
    this.rejectFn(err);
  }
}

/**
 * Records for one partition that travel together in one record batch. Records are appended until the
 * batch reaches `batch.size`; the sender then encodes it once (its bytes are kept for retries, which
 * must resend the very same batch with the same sequence number). Which `send()` call owns which
 * records is kept as runs (handle, first index, count), not per record.
 */
export class ProducerBatch {
  /** The records until the batch is encoded (then only its bytes are kept). */
  records: ProducerRecord[] = [];
  /** Each record's timestamp once the records are dropped; undefined when all equal baseTimestamp. */
  private timestamps: Float64Array | undefined;
  /** Encoded size so far: header plus every record (uncompressed). */
  bytes = BATCH_OVERHEAD;
  /** Bytes reserved in the producer's buffer for this batch. */
  reserved = 0;
  readonly createdAt: number;
  baseTimestamp = -1;
  /** Runs of records per send call, flat: handle, index of its first record in the call, count. */
  private readonly runs: Array<SendHandle | number> = [];
  count = 0;
  /** No more appends (full, or taken by the sender). */
  closed = false;
  encoded: Buffer | undefined;
  /** Creation order within the partition; retries go back in this order. */
  readonly order: number;
  // Idempotence: the sequence ordinal (a record count that does not wrap) and the producer id/epoch.
  seq = -1;
  producerId = -1;
  producerEpoch = -1;
  attempts = 0;
  /** Not before this time (retry backoff). */
  retryAt = 0;
  /** The last error, reported if the batch expires. */
  lastError: unknown;
  /** True while a request carrying the batch is outstanding. */
  onWire = false;
  /** Scratch flag while a response is matched to its batches. */
  answered = false;
  done = false;

  constructor(
    readonly queue: PartitionQueue,
    now: number,
    order?: number,
  ) {
    this.createdAt = now;
    this.order = order ?? queue.nextOrder++;
  }

  /** Encoded size of `r` if appended now. */
  sizeOf(r: ProducerRecord): number {
    const base = this.count === 0 ? r.timestamp : this.baseTimestamp;
    return recordSize(r.bodySize, r.timestamp - base, this.count);
  }

  append(r: ProducerRecord, size: number, handle: SendHandle, index: number): void {
    if (this.count === 0) this.baseTimestamp = r.timestamp;
    this.records.push(r);
    this.bytes += size;
    this.count++;
    const runs = this.runs;
    const n = runs.length;
    if (n > 0 && runs[n - 3] === handle && (runs[n - 2] as number) + (runs[n - 1] as number) === index) {
      runs[n - 1] = (runs[n - 1] as number) + 1;
    } else {
      runs.push(handle, index, 1);
    }
  }

  /**
   * Encodes the batch (once) and returns its bytes. Retries resend these bytes, and a new producer epoch
   * only rewrites the header (see {@link ProducerBatch.restamp}). The records are dropped then, so a
   * batch in flight holds its bytes once; only their timestamps are kept (for the results), and only
   * when they differ.
   */
  encode(compression: CompressionId, transactional: boolean): Buffer {
    if (this.encoded) return this.encoded;
    const records = this.records;
    const w = new Writer(this.bytes + 64);
    encodeRecordBatch(w, {
      compression,
      transactional,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.seq < 0 ? -1 : this.seq % 2147483648,
      baseTimestamp: this.baseTimestamp,
      records,
    });
    this.encoded = w.view();
    for (let i = 0; i < records.length; i++) {
      if (records[i]!.timestamp !== this.baseTimestamp) {
        const ts = new Float64Array(records.length);
        for (let k = 0; k < records.length; k++) ts[k] = records[k]!.timestamp;
        this.timestamps = ts;
        break;
      }
    }
    this.records = [];
    return this.encoded;
  }

  /** The records back from the encoded bytes (only needed to split a batch the broker refused). */
  private recordsAgain(): ProducerRecord[] {
    if (this.records.length > 0 || !this.encoded) return this.records;
    const q = this.queue;
    const [decoded] = decodeRecordBatches(this.encoded, { topic: q.topic, partition: q.partition }).batches;
    return (decoded?.records ?? []).map((r) => {
      const headers = r.headers.length === 0 ? undefined : r.headers.map((h) => ({ key: h.key, value: h.value }));
      return {
        key: r.key,
        value: r.value,
        headers,
        timestamp: r.timestamp,
        bodySize: bodySizeOf(r.key, r.value, headers),
        partition: q.partition,
      };
    });
  }

  /** Sets producer id, epoch and sequence, rewriting them (and the CRC) in already encoded bytes. */
  restamp(producerId: number, producerEpoch: number, seq: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.seq = seq;
    const b = this.encoded;
    if (!b) return;
    const hi = Math.floor(producerId / 4294967296);
    b.writeInt32BE(hi | 0, 43);
    b.writeInt32BE((producerId - hi * 4294967296) | 0, 47);
    b.writeInt16BE(producerEpoch, 51);
    b.writeInt32BE(seq < 0 ? -1 : seq % 2147483648, 53);
    b.writeUInt32BE(crc32c(b, 21, b.length), 17);
  }

  /**
   * Splits a batch the broker found too large (MESSAGE_TOO_LARGE) into batches of at most `maxBytes`,
   * as Java's ProducerBatch.split does, so one oversized record fails alone instead of taking the
   * records batched with it down too. The parts take the batch's place: same creation time, an order
   * between it and the next batch, and (idempotence) consecutive slices of its sequence range.
   */
  split(maxBytes: number): ProducerBatch[] {
    const parts: ProducerBatch[] = [];
    const runs = this.runs;
    const records = this.recordsAgain();
    let part: ProducerBatch | undefined;
    let i = 0;
    for (let r = 0; r < runs.length; r += 3) {
      const handle = runs[r] as SendHandle;
      const start = runs[r + 1] as number;
      const n = runs[r + 2] as number;
      for (let k = 0; k < n; k++, i++) {
        const rec = records[i]!;
        let size = part === undefined ? 0 : part.sizeOf(rec);
        if (part === undefined || (part.count > 0 && part.bytes + size > maxBytes)) {
          part = new ProducerBatch(this.queue, this.createdAt, this.order + (parts.length + 1) / (this.count + 2));
          part.closed = true;
          parts.push(part);
          size = part.sizeOf(rec);
        }
        part.append(rec, size, handle, start + k);
      }
    }
    // Memory stays reserved as before, now spread over the parts.
    let seq = this.seq;
    for (const p of parts) {
      p.reserved = Math.round((this.reserved * p.count) / this.count);
      p.attempts = this.attempts;
      p.lastError = this.lastError;
      if (seq >= 0) {
        p.restamp(this.producerId, this.producerEpoch, seq);
        seq += p.count;
      }
    }
    const rounding = this.reserved - parts.reduce((s, p) => s + p.reserved, 0);
    parts[0]!.reserved += rounding;
    this.done = true;
    this.records = [];
    return parts;
  }

  /** Fills in every record's result from the broker's base offset and hands them to their send calls. */
  complete(baseOffset: number, logAppendTime: number): void {
    this.done = true;
    const topic = this.queue.topic;
    const partition = this.queue.partition;
    const runs = this.runs;
    const timestamps = this.timestamps;
    const base = this.baseTimestamp;
    let i = 0;
    for (let r = 0; r < runs.length; r += 3) {
      const handle = runs[r] as SendHandle;
      const start = runs[r + 1] as number;
      const n = runs[r + 2] as number;
      if (!handle.settled) {
        const results = handle.results;
        for (let k = 0; k < n; k++) {
          results[start + k] = {
            topic,
            partition,
            offset: baseOffset < 0 ? -1 : baseOffset + i + k,
            timestamp: logAppendTime >= 0 ? logAppendTime : timestamps === undefined ? base : timestamps[i + k]!,
          };
        }
        handle.done(n);
      }
      i += n;
    }
    this.records = [];
  }

  /** Rejects every send call with records here (each call rejects once, at its first failure). */
  fail(err: unknown): void {
    this.done = true;
    const runs = this.runs;
    for (let r = 0; r < runs.length; r += 3) (runs[r] as SendHandle).fail(err);
    this.records = [];
  }
}
