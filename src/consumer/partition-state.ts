import type { ConsumerRecord } from './record.js';
import { type TopicPartition, tpKey } from './topic-partition.js';

/** Records fetched for one partition in one fetch response, handed out in order. */
export interface FetchedChunk {
  records: ConsumerRecord[];
  /** Index of the next record to hand out. */
  next: number;
  /** Bytes this chunk holds in the prefetch buffer (released when the chunk is fully processed). */
  bytes: number;
}

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
  /** Being revoked: no new fetches or deliveries. */
  revoking = false;
  /**
   * Bumped on every seek/reset. A fetch response tagged with an older value is discarded, so data
   * fetched before a seek never reaches the application.
   */
  version = 0;
  readonly queue: FetchedChunk[] = [];
  /** A handler is currently working on this partition's records (at most one: order is kept). */
  busy = false;
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
    return this.position >= 0 && this.reset === null && !this.paused && !this.revoking && this.queue.length < 2;
  }

  /** Whether there are records to hand to the application. */
  get deliverable(): boolean {
    return this.queue.length > 0 && !this.paused && !this.revoking;
  }

  /** Moves the fetch position (seek); buffered and in-flight data for the old position is dropped. */
  seek(offset: number, leaderEpoch = -1): number {
    this.position = offset;
    this.lastFetchedEpoch = leaderEpoch;
    this.reset = null;
    this.version++;
    return this.dropBuffered();
  }

  /** Clears buffered chunks; returns the bytes released. */
  dropBuffered(): number {
    let bytes = 0;
    for (const c of this.queue) bytes += c.bytes;
    this.queue.length = 0;
    return bytes;
  }

  /** Records fetched but not yet handed out, plus the partition's lag against the high watermark. */
  lag(readCommitted: boolean): number | undefined {
    const end = readCommitted ? this.lastStableOffset : this.highWatermark;
    const from = this.processed >= 0 ? this.processed : this.position;
    if (end < 0 || from < 0) return undefined;
    return Math.max(0, end - from);
  }
}
