/**
 * Idempotence bookkeeping (Java's TransactionManager / TxnPartitionMap, KIP-98 and KIP-360), per
 * partition: the broker accepts a batch only when its first sequence number follows the last one it
 * wrote for this producer id and epoch, and answers a batch it already wrote (one of the last 5) with
 * its original offset. So a batch keeps its sequence number across retries, and after a failure the
 * failed batches are resent one at a time in sequence order until the partition is clean again.
 *
 * The sequence of events this prevents: batches A (seq 0) and B (seq 10) are in flight; A fails with
 * NOT_LEADER_OR_FOLLOWER, B with OUT_OF_ORDER_SEQUENCE_NUMBER (the broker expected 0). Sending B before
 * A again would fail forever; sending both at once could reorder them. Instead A goes first, alone; B
 * goes once A is acknowledged.
 */
import type { ProducerBatch } from './batch.js';
import type { PartitionQueue } from './partition-queue.js';

/** The broker keeps the metadata of the last 5 batches per producer and partition for deduplication. */
export const MAX_INFLIGHT_BATCHES_PER_PARTITION = 5;

/** Producer id and epoch. An idempotent producer bumps its own epoch (KIP-360); a transactional one asks the coordinator. */
export class ProducerIdentity {
  producerId = -1;
  producerEpoch = -1;

  get valid(): boolean {
    return this.producerId >= 0;
  }

  set(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
  }

  /**
   * Local epoch bump of an idempotent producer (Java's bumpIdempotentProducerEpoch): the broker takes
   * a higher epoch starting at sequence 0 as a fresh start. At the epoch limit, a new id is needed.
   * Returns false when the caller must get a new producer id instead.
   */
  bumpEpoch(): boolean {
    if (this.producerEpoch >= 32766) {
      this.producerId = -1;
      this.producerEpoch = -1;
      return false;
    }
    this.producerEpoch++;
    return true;
  }
}

function stale(q: PartitionQueue, id: ProducerIdentity): boolean {
  return q.producerId !== id.producerId || q.producerEpoch !== id.producerEpoch;
}

/** Renumbers the partition's unacknowledged batches from 0 under the current id and epoch. */
function rewrite(q: PartitionQueue, id: ProducerIdentity): void {
  let seq = 0;
  for (const b of q.inflight) {
    b.restamp(id.producerId, id.producerEpoch, seq);
    seq += b.count;
  }
  q.nextSeq = seq;
  q.lastAckedSeq = -1;
  q.producerId = id.producerId;
  q.producerEpoch = id.producerEpoch;
  q.needsRewrite = false;
  q.unresolved = -1;
}

/**
 * Whether the head batch `b` of `q` may be sent now; assigns its sequence number when it is new.
 * - New batches wait while the partition has an unresolved failure, has 5 batches unacknowledged, or
 *   still has batches of an older epoch (a new epoch must not overtake them).
 * - A batch being retried goes only when it is the oldest unacknowledged one (one at a time, in order).
 */
export function prepareBatch(q: PartitionQueue, b: ProducerBatch, id: ProducerIdentity): boolean {
  if (q.needsRewrite) {
    if (q.onWire > 0) return false;
    rewrite(q, id);
  }
  if (stale(q, id)) {
    // Java's maybeUpdateProducerIdAndEpoch: adopt the new epoch once the old one's batches are done.
    if (q.inflight.length === 0) rewrite(q, id);
    else if (b.seq < 0) return false;
  }
  if (b.seq < 0) {
    if (q.unresolved >= 0 || q.inflight.length >= MAX_INFLIGHT_BATCHES_PER_PARTITION) return false;
    b.restamp(id.producerId, id.producerEpoch, q.nextSeq);
    q.nextSeq += b.count;
    q.inflight.push(b);
    return true;
  }
  return q.inflight[0] === b;
}

/** The batch was written. Returns true when the partition needs a new epoch (see {@link resolve}). */
export function batchAcked(q: PartitionQueue, b: ProducerBatch, baseOffset: number): boolean {
  q.removeInflight(b);
  if (b.producerId === q.producerId && b.producerEpoch === q.producerEpoch) {
    const last = b.seq + b.count - 1;
    if (last > q.lastAckedSeq) q.lastAckedSeq = last;
    if (baseOffset >= 0 && baseOffset + b.count - 1 > q.lastAckedOffset) q.lastAckedOffset = baseOffset + b.count - 1;
  }
  return resolve(q);
}

/**
 * The batch failed for good after it had a sequence number. Whether the broker wrote it is unknown
 * until a later batch is acknowledged (then it was: the broker writes in sequence order) or every other
 * batch is done (then there is a gap, and only a new epoch gets the partition going again).
 */
export function batchFailed(q: PartitionQueue, b: ProducerBatch): boolean {
  q.removeInflight(b);
  if (b.seq >= 0 && b.producerId === q.producerId && b.producerEpoch === q.producerEpoch) {
    q.unresolved = Math.max(q.unresolved, b.seq + b.count - 1);
  }
  return resolve(q);
}

function resolve(q: PartitionQueue): boolean {
  if (q.unresolved < 0 || q.inflight.length > 0) return false;
  if (q.lastAckedSeq >= q.unresolved) {
    q.unresolved = -1;
    return false;
  }
  return true;
}

export type SequenceVerdict = 'retry' | 'retry-new-epoch' | 'retry-renumber' | 'abortable' | 'fenced';

/**
 * What to do about a sequence-related error code from Produce (Java's TransactionManager.canRetry):
 * - OUT_OF_ORDER_SEQUENCE_NUMBER because an earlier batch failed: retry (it goes after that one).
 *   A real gap (this is the very next batch after the last acknowledged or unresolved one): an idempotent
 *   producer bumps its epoch and renumbers; a transaction must abort.
 * - UNKNOWN_PRODUCER_ID: the broker lost this producer's state (e.g. retention removed its batches).
 * - INVALID_PRODUCER_EPOCH / PRODUCER_FENCED: fenced for a transactional producer; an idempotent one
 *   renumbers under its current (newer) epoch.
 */
export function sequenceVerdict(
  q: PartitionQueue,
  b: ProducerBatch,
  code: number,
  logStartOffset: number,
  transactional: boolean,
): SequenceVerdict {
  const current = b.producerId === q.producerId && b.producerEpoch === q.producerEpoch;
  switch (code) {
    case 45: // OUT_OF_ORDER_SEQUENCE_NUMBER
      if (!current) return 'retry';
      if (q.unresolved >= 0) return b.seq === q.unresolved + 1 && !transactional ? 'retry-new-epoch' : 'retry';
      if (b.seq === q.lastAckedSeq + 1) return transactional ? 'abortable' : 'retry-new-epoch';
      return 'retry';
    case 59: // UNKNOWN_PRODUCER_ID
      if (logStartOffset < 0 || !current) return 'retry';
      if (q.lastAckedOffset < logStartOffset) return transactional ? 'retry-renumber' : 'retry-new-epoch';
      return transactional ? 'abortable' : 'retry-new-epoch';
    default: // 47 INVALID_PRODUCER_EPOCH, 90 PRODUCER_FENCED
      if (transactional) return 'fenced';
      return current ? 'retry-new-epoch' : 'retry-renumber';
  }
}
