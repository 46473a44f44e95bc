import type { TopicInfo } from '../cluster/metadata.js';
import { ConfigError } from '../errors.js';
import { BATCH_OVERHEAD, ProducerBatch, type SendHandle } from './batch.js';
import { BufferMemory } from './memory.js';
import { PartitionQueue } from './partition-queue.js';
import { partitionForKey, StickyPartitions } from './partitioner.js';
import { asBuffer, type ProducerRecord } from './record.js';
import type { Partitioner } from './types.js';

/** Per-record bytes beyond its body: length, attributes, deltas (upper bound; DefaultRecord.MAX_RECORD_OVERHEAD). */
export const RECORD_OVERHEAD_BOUND = 21;

export interface AccumulatorOptions {
  batchSize: number;
  maxRequestSize: number;
  bufferMemory: number;
  partitioner: Partitioner | undefined;
  partitionerIgnoreKeys: boolean;
}

/**
 * Batches per partition (Java's RecordAccumulator): records are appended to the open batch of their
 * partition until it reaches `batch.size`; the sender takes batches when they are full, lingered long
 * enough, or someone is waiting (flush, close, a full buffer).
 */
export class Accumulator {
  readonly memory: BufferMemory;
  /** Partitions that have batches waiting. */
  readonly active = new Set<PartitionQueue>();
  private readonly queues = new Map<string, Array<PartitionQueue | undefined>>();
  private readonly sticky = new StickyPartitions();
  private readonly available = new WeakMap<TopicInfo, number[]>();
  private readonly batchLimit: number;
  /** Called when a batch is created (to arm the linger timer) and when one fills up (to send now). */
  onNewBatch: (b: ProducerBatch) => void = () => {};
  onBatchFull: () => void = () => {};

  constructor(private readonly o: AccumulatorOptions) {
    this.memory = new BufferMemory(o.bufferMemory);
    this.batchLimit = Math.min(o.batchSize, o.maxRequestSize);
  }

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.queues.get(topic);
    if (!list) this.queues.set(topic, (list = []));
    let q = list[partition];
    if (!q) list[partition] = q = new PartitionQueue(topic, partition);
    return q;
  }

  /** Every partition queue ever used (for resets after an epoch change and for close). */
  *allQueues(): Iterable<PartitionQueue> {
    for (const list of this.queues.values()) for (const q of list) if (q) yield q;
  }

  /**
   * Chooses the partition of every record in [from, to) that has a key or goes through a custom
   * partitioner, before anything is appended, so a bad partition fails the whole call. Keyless records
   * keep -1: their sticky partition is chosen as they are appended, since it moves when batches fill.
   */
  assignPartitions(topic: TopicInfo, records: readonly ProducerRecord[], from: number, to: number): void {
    const count = topic.partitions.length;
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      if (r.partition >= 0) {
        if (r.partition >= count) {
          throw new ConfigError(
            `messages[${i}].partition`,
            `topic ${topic.name} has ${count} partitions (0-${count - 1}), got ${r.partition}`,
          );
        }
        continue;
      }
      const custom = this.o.partitioner;
      if (custom !== undefined) {
        const p = custom({
          topic: topic.name,
          key: asBuffer(r.key),
          value: asBuffer(r.value),
          partitionCount: count,
          availablePartitions: this.availableOf(topic),
        });
        if (p !== undefined) {
          if (!Number.isInteger(p) || p < 0 || p >= count) {
            throw new ConfigError(
              'partitioner',
              `returned ${p} for topic ${topic.name}, which has ${count} partitions`,
            );
          }
          r.partition = p;
          continue;
        }
      }
      if (r.key !== null && !this.o.partitionerIgnoreKeys) r.partition = partitionForKey(r.key, count);
    }
  }

  /** Appends records [from, to) of one send call; their memory is already reserved. */
  append(topic: TopicInfo, records: readonly ProducerRecord[], from: number, to: number, handle: SendHandle): void {
    const count = topic.partitions.length;
    const now = Date.now();
    const limit = this.batchLimit;
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      const p = r.partition >= 0 ? r.partition : this.sticky.get(topic.name, count, this.availableOf(topic));
      const q = this.queue(topic.name, p);
      let b = q.open;
      let size = b === undefined ? 0 : b.sizeOf(r);
      if (b === undefined || (b.count > 0 && b.bytes + size > limit)) {
        if (b !== undefined) this.close(b);
        b = new ProducerBatch(q, now);
        size = b.sizeOf(r);
        q.batches.push(b);
        this.active.add(q);
        this.onNewBatch(b);
      }
      b.append(r, size, handle, i);
      b.reserved += r.bodySize + RECORD_OVERHEAD_BOUND;
      if (b.bytes >= limit) {
        this.close(b);
        this.onBatchFull();
      }
    }
  }

  /** Bytes reserved for a record while it is held. */
  static reservation(r: ProducerRecord): number {
    return r.bodySize + RECORD_OVERHEAD_BOUND;
  }

  /** Largest single record, to check against max.request.size and buffer.memory up front. */
  static recordBound(r: ProducerRecord): number {
    return BATCH_OVERHEAD + r.bodySize + RECORD_OVERHEAD_BOUND;
  }

  /** No more appends to this batch; the next keyless record goes to another partition (KIP-480). */
  close(b: ProducerBatch): void {
    if (b.closed) return;
    b.closed = true;
    this.sticky.batchClosed(b.queue.topic, b.queue.partition);
  }

  private availableOf(topic: TopicInfo): number[] {
    let list = this.available.get(topic);
    if (!list) {
      list = [];
      for (const p of topic.partitions) if (p && p.leader >= 0) list.push(p.partition);
      this.available.set(topic, list);
    }
    return list;
  }
}
