import { type KafkaError, kafkaError } from '../protocol/errors.js';
import { ListOffsets } from '../protocol/generated/list-offsets.js';
import type { Cluster, RetryOptions } from './cluster.js';

/** Special ListOffsets timestamps (ListOffsetsRequest.java). */
export const OffsetSpec = { latest: -1, earliest: -2, maxTimestamp: -3 } as const;

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** Milliseconds since the epoch, or one of {@link OffsetSpec}. */
  timestamp: number;
}

export interface OffsetAnswer {
  topic: string;
  partition: number;
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

/**
 * ListOffsets for many partitions: one request per leader, retried (with a metadata refresh) while
 * leadership moves. `isolationLevel` 1 (read_committed) makes `latest` the last stable offset.
 */
export async function listOffsets(
  cluster: Cluster,
  queries: readonly OffsetQuery[],
  opts: RetryOptions & { isolationLevel?: 0 | 1 } = {},
): Promise<Map<string, OffsetAnswer>> {
  const out = new Map<string, OffsetAnswer>();
  const key = (t: string, p: number) => `${t}\u0000${p}`;
  let pending = [...queries];
  // One deadline for both steps (the metadata refresh and the requests).
  const call = { ...opts, startedAt: opts.startedAt ?? Date.now() };
  await cluster.refreshMetadata({ ...call, topics: [...new Set(queries.map((q) => q.topic))] });
  await cluster.retry(
    'Listing offsets',
    async (_attempt, signal) => {
      const byLeader = new Map<number, OffsetQuery[]>();
      for (const q of pending) {
        const leader = await cluster.leaderFor(q.topic, q.partition, signal);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(q);
      }
      const failed: OffsetQuery[] = [];
      let lastError: KafkaError | undefined;
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const conn = await cluster.connectionTo(leader, 'general', signal);
          const topics = new Map<string, OffsetQuery[]>();
          for (const q of list) {
            let l = topics.get(q.topic);
            if (!l) topics.set(q.topic, (l = []));
            l.push(q);
          }
          const res = await conn.request(
            ListOffsets,
            {
              replicaId: -1,
              isolationLevel: opts.isolationLevel ?? 0,
              topics: [...topics].map(([name, qs]) => ({
                name,
                partitions: qs.map((q) => ({
                  partitionIndex: q.partition,
                  currentLeaderEpoch: cluster.metadata.partition(q.topic, q.partition)?.leaderEpoch ?? -1,
                  timestamp: BigInt(q.timestamp),
                })),
              })),
            },
            { signal },
          );
          for (const t of res.topics) {
            for (const p of t.partitions) {
              if (p.errorCode) {
                const err = kafkaError(p.errorCode, { api: 'ListOffsets', topic: t.name, partition: p.partitionIndex });
                if (!err.retriable) throw err;
                lastError = err;
                failed.push({ topic: t.name, partition: p.partitionIndex, timestamp: 0 });
                continue;
              }
              out.set(key(t.name, p.partitionIndex), {
                topic: t.name,
                partition: p.partitionIndex,
                offset: Number(p.offset),
                timestamp: Number(p.timestamp),
                leaderEpoch: p.leaderEpoch,
              });
            }
          }
        }),
      );
      pending = pending.filter((q) => !out.has(key(q.topic, q.partition)));
      if (failed.length && lastError) throw lastError;
    },
    call,
  );
  return out;
}
