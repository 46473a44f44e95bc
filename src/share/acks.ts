import { tpKey } from '../consumer/topic-partition.js';
import { ACK_CODES, type AckCode, type ShareCommitResult } from './types.js';

/** One acknowledgement batch on the wire: a run of consecutive offsets, one type or one per offset. */
export interface AckBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: number[];
}

/** Acknowledgements of one partition waiting to be sent. */
export interface PartitionAcks {
  topic: string;
  partition: number;
  topicId: string;
  /** offset → wire type (gap, accept, release, reject or renew). */
  acks: Map<number, AckCode>;
}

/**
 * Turns acknowledgements into wire batches: consecutive offsets form one batch; a batch whose offsets
 * share one type carries that type once (KIP-932 allows a single type for the whole range), otherwise
 * one type per offset. Offsets need not be given in order.
 */
export function toAckBatches(acks: ReadonlyMap<number, AckCode>): AckBatch[] {
  const offsets = [...acks.keys()].sort((a, b) => a - b);
  const out: AckBatch[] = [];
  let i = 0;
  while (i < offsets.length) {
    let j = i;
    while (j + 1 < offsets.length && offsets[j + 1] === offsets[j]! + 1) j++;
    const types = offsets.slice(i, j + 1).map((o) => acks.get(o)!);
    const same = types.every((t) => t === types[0]);
    out.push({
      firstOffset: BigInt(offsets[i]!),
      lastOffset: BigInt(offsets[j]!),
      acknowledgeTypes: same ? [types[0]!] : types,
    });
    i = j + 1;
  }
  return out;
}

/** The offsets a result reports: everything acknowledged except gaps (which are not records). */
export function reportedOffsets(acks: ReadonlyMap<number, AckCode>): number[] {
  const out: number[] = [];
  for (const [o, t] of acks) if (t !== ACK_CODES.gap) out.push(o);
  return out.sort((a, b) => a - b);
}

/** Acknowledgements waiting to be sent to one broker, by partition. */
export class PendingAcks {
  private readonly byPartition = new Map<string, PartitionAcks>();

  get size(): number {
    return this.byPartition.size;
  }

  add(topic: string, partition: number, topicId: string, offset: number, code: AckCode): void {
    const key = tpKey(topic, partition);
    let p = this.byPartition.get(key);
    if (!p) this.byPartition.set(key, (p = { topic, partition, topicId, acks: new Map() }));
    p.acks.set(offset, code);
  }

  has(topic: string, partition: number): boolean {
    return this.byPartition.has(tpKey(topic, partition));
  }

  /** The pending acknowledgements, left in place. */
  peek(): PartitionAcks[] {
    return [...this.byPartition.values()];
  }

  /** Removes and returns the acknowledgements of the partitions `filter` selects (all by default). */
  take(filter: (p: PartitionAcks) => boolean = () => true): PartitionAcks[] {
    const out: PartitionAcks[] = [];
    for (const [k, p] of this.byPartition) {
      if (!filter(p)) continue;
      this.byPartition.delete(k);
      out.push(p);
    }
    return out;
  }
}

/** Results for acknowledgements that were never applied (all with the same error). */
export function failedResults(list: PartitionAcks[], error: (p: PartitionAcks) => Error): ShareCommitResult[] {
  return list
    .map((p) => ({ topic: p.topic, partition: p.partition, offsets: reportedOffsets(p.acks), error: error(p) }))
    .filter((r) => r.offsets.length > 0);
}
