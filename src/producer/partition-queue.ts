import type { ProducerBatch } from './batch.js';

/**
 * One partition's batches waiting to be sent (oldest first; the last may still take records), and its
 * idempotence bookkeeping (sequence numbers, batches not yet acknowledged).
 */
export class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  /** Next batch creation number. */
  nextOrder = 0;

  // Idempotence (see sequences.ts). Sequence numbers are kept as plain counts that never wrap; the
  // batch header gets them modulo 2^31, as Java's DefaultRecordBatch.incrementSequence does.
  nextSeq = 0;
  lastAckedSeq = -1;
  lastAckedOffset = -1;
  /** Batches with a sequence number and no final outcome, in sequence order (sent, or waiting to be resent). */
  readonly inflight: ProducerBatch[] = [];
  /** Batches of this partition in outstanding requests. */
  onWire = 0;
  /** The producer id and epoch the sequence numbers above belong to. */
  producerId = -1;
  producerEpoch = -1;
  /** Renumber the unacknowledged batches from 0 under the current epoch once none is on the wire. */
  needsRewrite = false;
  /** Last sequence of a batch that failed with an unknown outcome, until resolved; -1 when none. */
  unresolved = -1;
  /** Transactions: the partition is part of the current transaction (AddPartitionsToTxn succeeded). */
  inTransaction = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get head(): ProducerBatch | undefined {
    return this.batches[0];
  }

  /** The batch still taking records, if any. */
  get open(): ProducerBatch | undefined {
    const last = this.batches[this.batches.length - 1];
    return last !== undefined && !last.closed ? last : undefined;
  }

  /** Puts a batch back for a retry, before every batch created after it. */
  requeue(b: ProducerBatch): void {
    const list = this.batches;
    let i = 0;
    while (i < list.length && list[i]!.order < b.order) i++;
    list.splice(i, 0, b);
  }

  /** Removes a finished batch from the sequence bookkeeping. */
  removeInflight(b: ProducerBatch): void {
    const list = this.inflight;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
  }
}
