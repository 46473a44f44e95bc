import { setMaxListeners } from 'node:events';
import type { FetchResponseAbortedTransaction } from '../protocol/generated/fetch.js';
import type { ChunkDecoder } from './fetch-records.js';
import type { ConsumerRecord } from './record.js';
import { type TopicPartition, tpKey } from './topic-partition.js';

/**
 * One fetch response's weight in the prefetch buffer. Records are zero-copy views of the response,
 * so the whole response stays in memory until the last chunk cut from it is done; it is counted
 * (and released) as a whole.
 */
export interface FetchedFrame {
  bytes: number;
  /** Chunks of this response not yet done. */
  pending: number;
}

/**
 * One partition's share of one fetch response. Its batches are decoded only when delivery reaches
 * it, and then a slice of records at a time, so memory holds raw bytes for the backlog and decoded
 * records only for the slices in hand.
 */
export interface FetchedChunk {
  /** Whole record batches (a view of the response); handed to the decoder when delivery starts. */
  data: Buffer | null;
  /** Decodes the chunk slice by slice once delivery reaches it. */
  decoder: ChunkDecoder | null;
  aborted: FetchResponseAbortedTransaction[] | null;
  /** The offset this chunk was fetched from: records below it (in a compressed batch) are dropped. */
  fetchOffset: number;
  /** Offset after the chunk's last batch, and that batch's leader epoch. */
  nextOffset: number;
  lastEpoch: number;
  /** The slice of decoded records being delivered; null until delivery reaches the chunk. */
  records: ConsumerRecord[] | null;
  /** A bad batch met after the records before it: raised once they are processed. */
  error: Error | undefined;
  /** Index in `records` of the next record to hand out. */
  next: number;
  frame: FetchedFrame;
  /** Heap of the slice in hand plus the open batch's inflated payload, counted in the buffer. */
  decodedBytes: number;
  released: boolean;
}

/**
 * Fetched chunks a partition may have waiting before it stops being fetched: one in hand, two
 * ahead, so a fetch round trip hides behind the application's work even on a single partition.
 * The byte bound (`maxBufferedBytes`) still caps the total.
 */
const PREFETCH_CHUNKS = 3;

/** Where to start a partition that has no usable position. */
export type ResetTarget = 'earliest' | 'latest' | { timestamp: number };

/**
 * Everything the consumer tracks for one assigned partition. Three offsets move independently:
 *  - `position`: next offset to *fetch* (runs ahead while the buffer fills);
 *  - `processed`: next offset after the last record the application *finished* — the only thing
 *    ever committed (DESIGN invariant 1);
 *  - `committed`: what the group coordinator last acknowledged.
 */
export class PartitionState implements TopicPartition {
  readonly key: string;
  /** Next offset to fetch; -1 until resolved from a commit or the reset policy. */
  position = -1;
  /** Leader epoch of the last fetched batch (KIP-320), -1 if unknown. */
  lastFetchedEpoch = -1;
  /** Next offset after the last completed record, -1 before any. */
  processed = -1;
  /** Leader epoch of the last completed record, sent with the commit. */
  processedEpoch = -1;
  /** Last offset acknowledged by the coordinator (or written with the commit), -1 if none. */
  committed = -1;
  /** Set when the position must be resolved (new assignment, out of range, seek to a time). */
  reset: ResetTarget | 'committed' | null = 'committed';
  /** Paused by the application. */
  paused = false;
  /** Being revoked (or lost): no new fetches or deliveries. */
  revoking = false;
  /**
   * Ownership ended without a clean hand-over (lost, or a revocation whose handler outlived the
   * wait): nothing this state's handlers finish from now on is committed (DESIGN invariant 7).
   */
  lost = false;
  /** In the consumer's state map (ConsumerCore.states): what `owns` checks once per record, without a lookup. */
  attached = false;
  /**
   * Aborted when the partition is revoked or lost, or the consumer stops: handlers get it as
   * `ctx.signal`. A partition assigned again gets a new state, with a new signal. Every record in
   * flight may listen to it (parallel delivery runs up to `concurrency` handlers per partition, each
   * perhaps passing it to a send), so Node's 10-listener leak warning does not apply.
   */
  readonly controller = withoutListenerLimit(new AbortController());
  /** A handler asked for a redelivery (`ctx.retryAfter`): nothing is delivered before this time (ms). */
  heldUntil = 0;
  holdTimer: NodeJS.Timeout | undefined;
  /** After a retriable partition error, the partition is not fetched again before this time (ms). */
  retryAt = 0;
  /** Consecutive retriable fetch errors of this partition, for its backoff. */
  fetchFailures = 0;
  /** Consecutive fetch responses whose batches ended past their high watermark (fetcher.ts). */
  pastHighWatermark = 0;
  /**
   * Bumped on every seek/reset. A fetch response tagged with an older value is discarded, so data
   * fetched before a seek never reaches the application.
   */
  version = 0;
  readonly queue: FetchedChunk[] = [];
  /** A worker is on this partition: running its handler (at most one: order is kept), or dispatching. */
  busy = false;
  /** Records of this partition whose handlers run now (key-ordered and unordered parallel delivery). */
  inflight = 0;
  /** Lag inputs from the last fetch response. */
  highWatermark = -1;
  lastStableOffset = -1;
  logStartOffset = -1;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.key = tpKey(topic, partition);
  }

  /** Whether the fetcher may ask for this partition's data now. */
  get fetchable(): boolean {
    return (
      this.position >= 0 &&
      this.reset === null &&
      !this.paused &&
      !this.revoking &&
      !this.prefetchFull &&
      (this.retryAt === 0 || Date.now() >= this.retryAt)
    );
  }

  /** Whether it has as many chunks waiting as it may prefetch (so it is not fetched until one is consumed). */
  get prefetchFull(): boolean {
    return this.queue.length >= PREFETCH_CHUNKS;
  }

  /** Whether there are records to hand to the application. */
  get deliverable(): boolean {
    return this.queue.length > 0 && !this.paused && !this.revoking && this.heldUntil === 0;
  }

  /**
   * Moves the fetch position (seek); data fetched for the old position is dropped (returned, for
   * the caller to release from the buffer), and responses in flight are ignored.
   */
  seek(offset: number, leaderEpoch = -1): FetchedChunk[] {
    this.position = offset;
    this.lastFetchedEpoch = leaderEpoch;
    this.reset = null;
    this.version++;
    return this.dropBuffered();
  }

  /** Removes the buffered chunks and returns them (release them with `Fetcher.releaseChunks`). */
  dropBuffered(): FetchedChunk[] {
    return this.queue.splice(0, this.queue.length);
  }

  /** Records fetched but not yet handed out, plus the partition's lag against the high watermark. */
  lag(readCommitted: boolean): number | undefined {
    const end = readCommitted ? this.lastStableOffset : this.highWatermark;
    const from = this.processed >= 0 ? this.processed : this.position;
    if (end < 0 || from < 0) return undefined;
    return Math.max(0, end - from);
  }
}

function withoutListenerLimit(c: AbortController): AbortController {
  setMaxListeners(0, c.signal);
  return c;
}
