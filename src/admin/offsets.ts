import type { Cluster } from '../cluster/cluster.js';
import { listOffsets as clusterListOffsets, OffsetSpec } from '../cluster/list-offsets.js';
import { ConfigError } from '../errors.js';
import type { KafkaError } from '../protocol/errors.js';
import { OffsetCommit } from '../protocol/generated/offset-commit.js';
import { OffsetDelete } from '../protocol/generated/offset-delete.js';
import { OffsetFetch } from '../protocol/generated/offset-fetch.js';
import { byCoordinator, describeGroups, firstGroupError, groupError } from './groups.js';
import { type CallOptions, type ItemAnswers, perItem } from './per-item.js';
import { describeTopics } from './topics.js';
import type {
  GroupLag,
  GroupOffset,
  ListedOffset,
  OffsetQuery,
  OffsetToAlter,
  PartitionLag,
  TopicPartition,
} from './types.js';

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function byTopic<T extends TopicPartition>(list: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) {
    let l = m.get(x.topic);
    if (!l) m.set(x.topic, (l = []));
    l.push(x);
  }
  return m;
}

function specOf(at: OffsetQuery['at'], what: string): number {
  if (at === undefined || at === 'latest') return OffsetSpec.latest;
  if (at === 'earliest') return OffsetSpec.earliest;
  if (at === 'maxTimestamp') return OffsetSpec.maxTimestamp;
  if (typeof at === 'number' && Number.isSafeInteger(at) && at >= 0) return at;
  throw new ConfigError(
    what,
    `expected 'earliest', 'latest', 'maxTimestamp' or a timestamp, got ${JSON.stringify(at)}`,
  );
}

export async function listOffsets(
  cluster: Cluster,
  queries: readonly OffsetQuery[],
  opts: CallOptions & { isolationLevel?: 'read_uncommitted' | 'read_committed' },
): Promise<ListedOffset[]> {
  const q = queries.map((x, i) => ({
    topic: x.topic,
    partition: x.partition,
    timestamp: specOf(x.at, `queries[${i}].at`),
  }));
  await cluster.connect(opts);
  // A broker rejects a request naming a partition twice (INVALID_REQUEST): several questions about one
  // partition go in separate rounds.
  const rounds: Array<typeof q> = [];
  const answers: ListedOffset[] = new Array(q.length);
  const index: number[][] = [];
  for (const [i, x] of q.entries()) {
    let r = 0;
    while (rounds[r]?.some((y) => y.topic === x.topic && y.partition === x.partition)) r++;
    (rounds[r] ??= []).push(x);
    (index[r] ??= []).push(i);
  }
  for (const [r, round] of rounds.entries()) {
    const res = await clusterListOffsets(cluster, round, {
      ...opts,
      isolationLevel: opts.isolationLevel === 'read_committed' ? 1 : 0,
    });
    round.forEach((x, k) => {
      const a = res.get(tpKey(x.topic, x.partition))!;
      answers[index[r]![k]!] = {
        topic: x.topic,
        partition: x.partition,
        offset: a.offset,
        timestamp: a.timestamp,
        leaderEpoch: a.leaderEpoch,
      };
    });
  }
  return answers;
}

/** Committed offsets of a group (all of them, or for `partitions`). Partitions without one are left out. */
export async function listGroupOffsets(
  cluster: Cluster,
  groupId: string,
  partitions: readonly TopicPartition[] | undefined,
  opts: CallOptions,
): Promise<GroupOffset[]> {
  const topics =
    partitions === undefined
      ? null
      : [...byTopic(partitions)].map(([name, list]) => ({ name, partitionIndexes: list.map((p) => p.partition) }));
  const results = await perItem<GroupOffset[]>(
    cluster,
    'OffsetFetch',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<GroupOffset[]> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        // v10 names topics by id; v9 and below by name, which is what we have.
        const version = Math.min(conn.apiVersions.pick(OffsetFetch), 9);
        const res = await conn.request(
          OffsetFetch,
          version >= 8
            ? { groups: [{ groupId, topics }], requireStable: false }
            : { groupId, topics, requireStable: false },
          { signal, maxVersion: 9 },
        );
        const group = version >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
        if (group?.errorCode) {
          answers.set(groupId, groupError(cluster, group.errorCode, 'OffsetFetch', groupId, conn));
          continue;
        }
        const out: GroupOffset[] = [];
        let failed: KafkaError | undefined;
        for (const t of group?.topics ?? []) {
          for (const p of t.partitions) {
            if (p.errorCode) {
              failed ??= groupError(cluster, p.errorCode, 'OffsetFetch', groupId, conn);
              continue;
            }
            if (p.committedOffset < 0n) continue;
            out.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: Number(p.committedOffset),
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.metadata,
            });
          }
        }
        answers.set(
          groupId,
          failed ?? out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
        );
      }
      return answers;
    },
    opts,
  );
  return results.get(groupId)!;
}

/**
 * Sets committed offsets of a group that has no active members (OffsetCommit with generation -1, as
 * Java's `alterConsumerGroupOffsets` does). An active group answers UNKNOWN_MEMBER_ID (or similar).
 */
export async function alterGroupOffsets(
  cluster: Cluster,
  groupId: string,
  offsets: readonly OffsetToAlter[],
  opts: CallOptions,
): Promise<void> {
  for (const [i, o] of offsets.entries()) {
    if (!Number.isSafeInteger(o.offset) || o.offset < 0)
      throw new ConfigError(`offsets[${i}].offset`, `expected an offset >= 0, got ${o.offset}`);
  }
  if (offsets.length === 0) return;
  await perItem<true>(
    cluster,
    'OffsetCommit',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        const res = await conn.request(
          OffsetCommit,
          {
            groupId,
            generationIdOrMemberEpoch: -1,
            memberId: '',
            groupInstanceId: null,
            topics: [...byTopic(offsets)].map(([name, list]) => ({
              name,
              partitions: list.map((o) => ({
                partitionIndex: o.partition,
                committedOffset: BigInt(o.offset),
                committedLeaderEpoch: o.leaderEpoch ?? -1,
                committedMetadata: o.metadata ?? null,
              })),
            })),
          },
          { signal, maxVersion: 9 },
        );
        const failed = firstGroupError(
          cluster,
          'OffsetCommit',
          groupId,
          conn,
          res.topics.flatMap((t) =>
            t.partitions.map((p) => ({ errorCode: p.errorCode, what: `${t.name}/${p.partitionIndex}` })),
          ),
        );
        answers.set(groupId, failed ?? true);
      }
      return answers;
    },
    opts,
  );
}

/** Removes committed offsets of partitions the group no longer consumes (OffsetDelete, KIP-496). */
export async function deleteGroupOffsets(
  cluster: Cluster,
  groupId: string,
  partitions: readonly TopicPartition[],
  opts: CallOptions,
): Promise<void> {
  if (partitions.length === 0) return;
  await perItem<true>(
    cluster,
    'OffsetDelete',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        const res = await conn.request(
          OffsetDelete,
          {
            groupId,
            topics: [...byTopic(partitions)].map(([name, list]) => ({
              name,
              partitions: list.map((p) => ({ partitionIndex: p.partition })),
            })),
          },
          { signal },
        );
        if (res.errorCode) {
          answers.set(groupId, groupError(cluster, res.errorCode, 'OffsetDelete', groupId, conn));
          continue;
        }
        const failed = firstGroupError(
          cluster,
          'OffsetDelete',
          groupId,
          conn,
          res.topics.flatMap((t) =>
            t.partitions.map((p) => ({ errorCode: p.errorCode, what: `${t.name}/${p.partitionIndex}` })),
          ),
        );
        answers.set(groupId, failed ?? true);
      }
      return answers;
    },
    opts,
  );
}

/**
 * A group's lag in one call: its committed offsets, and the log end offsets (last stable offsets for
 * read_committed, which is what a read_committed consumer can reach) of every partition of the topics
 * it has committed offsets for. A group that does not exist is GROUP_ID_NOT_FOUND.
 */
export async function groupLag(
  cluster: Cluster,
  groupId: string,
  opts: CallOptions & { isolationLevel?: 'read_uncommitted' | 'read_committed' },
): Promise<GroupLag> {
  const committed = await listGroupOffsets(cluster, groupId, undefined, opts);
  if (committed.length === 0) {
    // No offsets: either an unknown group (this throws GROUP_ID_NOT_FOUND) or one that committed nothing.
    await describeGroups(cluster, [groupId], opts);
    return { groupId, partitions: [], topics: {}, totalLag: 0 };
  }
  const topics = [...new Set(committed.map((c) => c.topic))];
  const described = await describeTopics(cluster, topics, opts).catch(() => undefined);
  const partitions: TopicPartition[] = [];
  if (described) {
    for (const d of described)
      for (const p of d.partitions) partitions.push({ topic: d.topic, partition: p.partition });
  } else {
    for (const c of committed) partitions.push({ topic: c.topic, partition: c.partition });
  }
  const ends = await listOffsets(
    cluster,
    partitions.map((p) => ({ ...p, at: 'latest' as const })),
    opts,
  );
  const byTp = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  const out: PartitionLag[] = [];
  const perTopic: Record<string, number> = {};
  let total = 0;
  for (const e of ends) {
    const c = byTp.get(tpKey(e.topic, e.partition));
    const lag = c === undefined ? null : Math.max(0, e.offset - c);
    out.push({ topic: e.topic, partition: e.partition, committedOffset: c ?? null, logEndOffset: e.offset, lag });
    perTopic[e.topic] = (perTopic[e.topic] ?? 0) + (lag ?? 0);
    total += lag ?? 0;
  }
  return { groupId, partitions: out, topics: perTopic, totalLag: total };
}
