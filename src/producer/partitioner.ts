/**
 * The default partitioner, compatible with Java's (`BuiltInPartitioner.partitionForKey`):
 * `toPositive(murmur2(keyBytes)) % numPartitions`, so a key lands on the same partition whichever
 * client wrote it. Records without a key stick to one partition until its batch is closed (KIP-480),
 * then move to another, so small records still fill batches.
 */

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/** Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed 0x9747b28c, as a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail falls through in Java's switch: bytes 2, 1, 0 of the last partial word.
  const rest = length & 3;
  if (rest > 0) {
    const tail = length & ~3;
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs: that differs for negative numbers). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's producer picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * Sticky partition per topic for records without a key (KIP-480): the same partition until the batch
 * being filled there is closed (full, or taken by the sender), then a random other available one.
 */
export class StickyPartitions {
  private readonly current = new Map<string, number>();
  private readonly closed = new Map<string, number>();

  /** The topic's sticky partition, choosing one when there is none (or it went out of range). */
  get(topic: string, partitionCount: number, available: readonly number[]): number {
    const p = this.current.get(topic);
    if (p !== undefined && p < partitionCount) return p;
    const previous = this.closed.get(topic) ?? -1;
    this.closed.delete(topic);
    return this.choose(topic, partitionCount, available, previous);
  }

  /** The batch on `partition` was closed: the next keyless record of `topic` goes elsewhere. */
  batchClosed(topic: string, partition: number): void {
    if (this.current.get(topic) !== partition) return;
    this.current.delete(topic);
    this.closed.set(topic, partition);
  }

  private choose(topic: string, partitionCount: number, available: readonly number[], previous: number): number {
    let p: number;
    if (available.length === 0) p = Math.floor(Math.random() * partitionCount);
    else if (available.length === 1) p = available[0]!;
    else {
      do p = available[Math.floor(Math.random() * available.length)]!;
      while (p === previous);
    }
    this.current.set(topic, p);
    return p;
  }
}
