import type { FetchResponseAbortedTransaction } from '../protocol/generated/fetch.js';
import { type BatchCursor, RecordBatchReader } from '../protocol/records/decode.js';
import { CorruptRecordError } from '../protocol/records/errors.js';
import type { ConsumerRecord } from './record.js';

export interface ChunkDecodeOptions {
  isolationLevel: 0 | 1;
  checkCrcs: boolean;
  /** Most bytes one batch may inflate to (from maxBufferedBytes). */
  maxBatchBytes: number;
}

/**
 * Decodes a chunk's batches into the records the application sees, a slice at a time, on delivery
 * (not on fetch), so only the records about to be handed out exist as objects:
 *  - control batches (transaction markers) are skipped;
 *  - under read_committed, batches of aborted transactions are dropped (Java's CompletedFetch
 *    logic: an aborted transaction becomes active at its first offset and ends at its ABORT marker);
 *  - records below the fetch offset (a compressed batch can start earlier) are dropped;
 *  - batches must follow each other in offset order, or the chunk is corrupt.
 * A bad batch throws (typed, located) from {@link ChunkDecoder.next} once the records before it have
 * been sliced out: the consumer raises it after processing them — nothing after it is skipped or
 * committed.
 */
export class ChunkDecoder {
  private readonly reader: RecordBatchReader;
  private batch: BatchCursor | undefined;
  private readonly txns: FetchResponseAbortedTransaction[] | null;
  private nextTxn = 0;
  private readonly abortedProducers = new Set<number>();
  /** Offset after the last batch opened, to check the next one starts past it. */
  private end = -1;
  done = false;

  constructor(
    private readonly topic: string,
    private readonly partition: number,
    data: Buffer,
    aborted: FetchResponseAbortedTransaction[] | null,
    private readonly fetchOffset: number,
    o: ChunkDecodeOptions,
  ) {
    this.reader = new RecordBatchReader(data, {
      topic,
      partition,
      verifyCrc: o.checkCrcs,
      maxBatchBytes: o.maxBatchBytes,
    });
    this.txns =
      o.isolationLevel === 1 && aborted?.length
        ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
        : null;
  }

  /** Bytes the open batch's payload inflated to (held while its records are being delivered). */
  get inflatedBytes(): number {
    return this.batch?.inflatedBytes ?? 0;
  }

  /** Up to `max` more deliverable records, in offset order; [] once the chunk is exhausted. */
  next(max: number): ConsumerRecord[] {
    let out: ConsumerRecord[] = [];
    while (out.length < max && !this.done) {
      if (!this.batch || this.batch.remaining === 0) {
        if (!this.open()) break;
        continue;
      }
      const list = this.batch.read(max - out.length);
      const fetchOffset = this.fetchOffset;
      if (out.length === 0 && (list.length === 0 || list[0]!.offset >= fetchOffset)) out = list;
      else for (const r of list) if (r.offset >= fetchOffset) out.push(r);
    }
    return out;
  }

  /** Opens the next batch that has records to deliver; false at the end of the chunk. */
  private open(): boolean {
    for (;;) {
      const cursor = this.reader.next();
      if (!cursor) {
        this.batch = undefined;
        this.done = true;
        return false;
      }
      const b = cursor.batch;
      if (b.baseOffset < this.end) {
        throw new CorruptRecordError(
          { topic: this.topic, partition: this.partition, offset: b.baseOffset },
          `the batch starts at offset ${b.baseOffset}, inside the previous one (which ends at ${this.end - 1})`,
        );
      }
      const last = b.baseOffset + b.lastOffsetDelta;
      this.end = last + 1;
      const txns = this.txns;
      if (txns && b.isTransactional) {
        while (this.nextTxn < txns.length && Number(txns[this.nextTxn]!.firstOffset) <= last) {
          this.abortedProducers.add(Number(txns[this.nextTxn]!.producerId));
          this.nextTxn++;
        }
      }
      if (b.isControl) {
        if (b.control?.type === 'ABORT') this.abortedProducers.delete(b.producerId);
        continue;
      }
      if (txns && b.isTransactional && this.abortedProducers.has(b.producerId)) continue;
      if (last < this.fetchOffset) continue; // wholly before the position (a compressed batch may start earlier)
      this.batch = cursor;
      return true;
    }
  }
}
