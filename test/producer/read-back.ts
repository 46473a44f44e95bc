// Test-only: reads a whole topic back with bare Fetch requests and the record decoder, independent of
// the Consumer, so producer tests check exactly what the broker stored. read_committed filtering follows
// Java's CompletedFetch (aborted transactions by producer id and first offset, ABORT markers).
import { Cluster } from '../../src/cluster/cluster.js';
import { listOffsets, OffsetSpec } from '../../src/cluster/list-offsets.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { kafkaError } from '../../src/protocol/errors.js';
import { Fetch } from '../../src/protocol/generated/index.js';
import { decodeRecordBatches } from '../../src/protocol/records/decode.js';
import type { RecordHeader } from '../../src/protocol/records/types.js';

export interface ReadRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
  producerId: number;
  transactional: boolean;
  compression: number;
  /** Base offset of the record batch it came in. */
  batchOffset: number;
}

export interface ReadOptions {
  isolation?: 'read_uncommitted' | 'read_committed';
  timeoutMs?: number;
}

/** Every record of every partition up to the end offset (high watermark, or LSO for read_committed). */
export async function readTopic(bootstrap: string, topic: string, opts: ReadOptions = {}): Promise<ReadRecord[][]> {
  const cluster = new Cluster(resolveClientOptions('ReadBack', { brokers: bootstrap }));
  const committed = opts.isolation === 'read_committed';
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    await cluster.refreshMetadata({ topics: [topic] });
    const info = cluster.metadata.topics.get(topic);
    if (!info || info.errorCode) throw kafkaError(info?.errorCode ?? 3, { topic });
    const count = info.partitions.length;
    const ends = await listOffsets(
      cluster,
      Array.from({ length: count }, (_, partition) => ({ topic, partition, timestamp: OffsetSpec.latest })),
      { isolationLevel: committed ? 1 : 0 },
    );
    const out: ReadRecord[][] = [];
    for (let partition = 0; partition < count; partition++) {
      const end = ends.get(`${topic}\u0000${partition}`)!.offset;
      out.push(await readPartition(cluster, topic, partition, end, committed, deadline));
    }
    return out;
  } finally {
    cluster.close();
  }
}

async function readPartition(
  cluster: Cluster,
  topic: string,
  partition: number,
  end: number,
  committed: boolean,
  deadline: number,
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  let offset = 0;
  const aborted: Array<{ producerId: number; firstOffset: number }> = [];
  const abortedProducers = new Set<number>();
  while (offset < end) {
    if (Date.now() > deadline) throw new Error(`read-back of ${topic}/${partition} timed out at ${offset} of ${end}`);
    const leader = await cluster.leaderFor(topic, partition);
    const conn = await cluster.connectionTo(leader, 'fetch');
    const res = await conn.request(
      Fetch,
      {
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 8 * 1024 * 1024,
        isolationLevel: committed ? 1 : 0,
        topics: [
          { topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 4 * 1024 * 1024 }] },
        ],
      },
      { maxVersion: 12 },
    );
    const p = res.responses[0]?.partitions[0];
    if (!p) continue;
    if (p.errorCode) {
      const err = kafkaError(p.errorCode, { api: 'Fetch', topic, partition });
      if (!err.retriable) throw err;
      await cluster.refreshMetadata({ topics: [topic] });
      continue;
    }
    for (const a of p.abortedTransactions ?? []) {
      const e = { producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) };
      if (!aborted.some((x) => x.producerId === e.producerId && x.firstOffset === e.firstOffset)) aborted.push(e);
    }
    aborted.sort((a, b) => a.firstOffset - b.firstOffset);
    const decoded = decodeRecordBatches(p.records ?? Buffer.alloc(0), { topic, partition });
    if (decoded.batches.length === 0) {
      if (decoded.truncatedBytes > 0) throw new Error('a batch is larger than the fetch size');
      continue;
    }
    for (const b of decoded.batches) {
      const last = b.baseOffset + b.lastOffsetDelta;
      if (committed && b.producerId >= 0) {
        while (aborted.length > 0 && aborted[0]!.firstOffset <= last) abortedProducers.add(aborted.shift()!.producerId);
      }
      if (b.control) {
        if (b.control.type === 'ABORT') abortedProducers.delete(b.producerId);
      } else if (!(committed && b.isTransactional && abortedProducers.has(b.producerId))) {
        for (const r of b.records) {
          if (r.offset < offset || r.offset >= end) continue;
          records.push({
            partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key,
            value: r.value,
            headers: r.headers,
            producerId: b.producerId,
            transactional: b.isTransactional,
            compression: b.compression,
            batchOffset: b.baseOffset,
          });
        }
      }
      offset = Math.max(offset, last + 1);
    }
  }
  return records;
}
