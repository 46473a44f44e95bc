// Share groups (KIP-932) in the admin: describe groups and members, and the share-partition start
// offsets (describe / alter / delete) and lag. Every request goes to the group's coordinator.
import type { Cluster } from '../cluster/cluster.js';
import { ConfigError } from '../errors.js';
import type { KafkaError } from '../protocol/errors.js';
import { AlterShareGroupOffsets } from '../protocol/generated/alter-share-group-offsets.js';
import { DeleteShareGroupOffsets } from '../protocol/generated/delete-share-group-offsets.js';
import { DescribeShareGroupOffsets } from '../protocol/generated/describe-share-group-offsets.js';
import {
  ShareGroupDescribe,
  type ShareGroupDescribeResponseAssignment,
  type ShareGroupDescribeResponseDescribedGroup,
} from '../protocol/generated/share-group-describe.js';
import { byCoordinator, firstGroupError, groupError, nodeOf } from './groups.js';
import { listOffsets } from './offsets.js';
import { type CallOptions, type ItemAnswers, perItem } from './per-item.js';
import { describeTopics } from './topics.js';
import type {
  ShareGroupDescription,
  ShareGroupLag,
  ShareGroupOffset,
  ShareOffsetToAlter,
  SharePartitionLag,
  TopicPartition,
} from './types.js';

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function byTp(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function byTopic<T extends TopicPartition>(list: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) {
    let l = m.get(x.topic);
    if (!l) m.set(x.topic, (l = []));
    l.push(x);
  }
  return m;
}

/** Share groups with their members and assignments (ShareGroupDescribe). Unknown: GROUP_ID_NOT_FOUND. */
export async function describeShareGroups(
  cluster: Cluster,
  groupIds: readonly string[],
  opts: CallOptions,
): Promise<ShareGroupDescription[]> {
  const results = await perItem<ShareGroupDescription>(
    cluster,
    'ShareGroupDescribe',
    groupIds,
    async (pending, signal) => {
      const answers: ItemAnswers<ShareGroupDescription> = new Map();
      const routes = await byCoordinator(cluster, pending, answers, signal);
      await Promise.all(
        [...routes].map(async ([conn, ids]) => {
          const res = await conn.request(
            ShareGroupDescribe,
            { groupIds: ids, includeAuthorizedOperations: false },
            { signal },
          );
          for (const g of res.groups) {
            answers.set(
              g.groupId,
              g.errorCode
                ? groupError(cluster, g.errorCode, 'ShareGroupDescribe', g.groupId, conn, g.errorMessage)
                : fromShareGroup(g, nodeOf(cluster, conn)),
            );
          }
        }),
      );
      return answers;
    },
    opts,
  );
  return groupIds.map((id) => results.get(id)!);
}

function partitionsOf(a: ShareGroupDescribeResponseAssignment): TopicPartition[] {
  return a.topicPartitions
    .flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topicName, partition })))
    .sort(byTp);
}

function fromShareGroup(g: ShareGroupDescribeResponseDescribedGroup, coordinator: number): ShareGroupDescription {
  return {
    groupId: g.groupId,
    type: 'share',
    state: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignorName,
    coordinator,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rackId: m.rackId,
      memberEpoch: m.memberEpoch,
      subscribedTopics: m.subscribedTopicNames,
      assignment: partitionsOf(m.assignment),
    })),
  };
}

/**
 * The share-partition start offsets of a group (all partitions it has state for, or these), with the
 * broker's lag where it gives one. Partitions the group has no state for are left out.
 */
export async function listShareGroupOffsets(
  cluster: Cluster,
  groupId: string,
  partitions: readonly TopicPartition[] | undefined,
  opts: CallOptions,
): Promise<ShareGroupOffset[]> {
  const topics =
    partitions === undefined
      ? null
      : [...byTopic(partitions)].map(([topicName, list]) => ({ topicName, partitions: list.map((p) => p.partition) }));
  const results = await perItem<ShareGroupOffset[]>(
    cluster,
    'DescribeShareGroupOffsets',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<ShareGroupOffset[]> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        const res = await conn.request(DescribeShareGroupOffsets, { groups: [{ groupId, topics }] }, { signal });
        const group = res.groups.find((g) => g.groupId === groupId);
        if (!group) continue; // no answer: the retry loop asks again
        if (group.errorCode) {
          answers.set(
            groupId,
            groupError(cluster, group.errorCode, 'DescribeShareGroupOffsets', groupId, conn, group.errorMessage),
          );
          continue;
        }
        const out: ShareGroupOffset[] = [];
        let failed: KafkaError | undefined;
        for (const t of group.topics) {
          for (const p of t.partitions) {
            if (p.errorCode) {
              failed ??= groupError(
                cluster,
                p.errorCode,
                'DescribeShareGroupOffsets',
                groupId,
                conn,
                p.errorMessage ?? `${t.topicName}/${p.partitionIndex}`,
              );
              continue;
            }
            // -1: the group has no state for this partition (nothing initialized it yet).
            if (p.startOffset < 0n) continue;
            out.push({
              topic: t.topicName,
              partition: p.partitionIndex,
              startOffset: Number(p.startOffset),
              leaderEpoch: p.leaderEpoch,
              lag: p.lag >= 0n ? Number(p.lag) : null,
            });
          }
        }
        answers.set(groupId, failed ?? out.sort(byTp));
      }
      return answers;
    },
    opts,
  );
  return results.get(groupId)!;
}

/**
 * Sets share-partition start offsets (AlterShareGroupOffsets, Kafka 4.1+). Kafka allows it only while
 * the group has no members: otherwise the call fails with NON_EMPTY_GROUP (not retriable).
 */
export async function alterShareGroupOffsets(
  cluster: Cluster,
  groupId: string,
  offsets: readonly ShareOffsetToAlter[],
  opts: CallOptions,
): Promise<void> {
  for (const [i, o] of offsets.entries()) {
    if (!Number.isSafeInteger(o.offset) || o.offset < 0)
      throw new ConfigError(`offsets[${i}].offset`, `expected an offset >= 0, got ${o.offset}`);
    if (typeof o.topic !== 'string' || o.topic === '' || !Number.isSafeInteger(o.partition) || o.partition < 0)
      throw new ConfigError(`offsets[${i}]`, 'expected { topic, partition >= 0, offset }');
  }
  if (offsets.length === 0) return;
  await perItem<true>(
    cluster,
    'AlterShareGroupOffsets',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        const res = await conn.request(
          AlterShareGroupOffsets,
          {
            groupId,
            topics: [...byTopic(offsets)].map(([topicName, list]) => ({
              topicName,
              partitions: list.map((o) => ({ partitionIndex: o.partition, startOffset: BigInt(o.offset) })),
            })),
          },
          { signal },
        );
        if (res.errorCode) {
          answers.set(
            groupId,
            groupError(cluster, res.errorCode, 'AlterShareGroupOffsets', groupId, conn, res.errorMessage),
          );
          continue;
        }
        const failed = firstGroupError(
          cluster,
          'AlterShareGroupOffsets',
          groupId,
          conn,
          res.responses.flatMap((t) =>
            t.partitions.map((p) => ({
              errorCode: p.errorCode,
              what: p.errorMessage ?? `${t.topicName}/${p.partitionIndex}`,
            })),
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
 * Deletes a share group's state for whole topics (DeleteShareGroupOffsets, Kafka 4.1+): the group then
 * starts them afresh by `share.auto.offset.reset`. Only while the group has no members (NON_EMPTY_GROUP).
 */
export async function deleteShareGroupOffsets(
  cluster: Cluster,
  groupId: string,
  topics: readonly string[],
  opts: CallOptions,
): Promise<void> {
  if (topics.length === 0) return;
  await perItem<true>(
    cluster,
    'DeleteShareGroupOffsets',
    [groupId],
    async (_pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const conn of routes.keys()) {
        const res = await conn.request(
          DeleteShareGroupOffsets,
          { groupId, topics: [...new Set(topics)].map((topicName) => ({ topicName })) },
          { signal },
        );
        if (res.errorCode) {
          answers.set(
            groupId,
            groupError(cluster, res.errorCode, 'DeleteShareGroupOffsets', groupId, conn, res.errorMessage),
          );
          continue;
        }
        const failed = firstGroupError(
          cluster,
          'DeleteShareGroupOffsets',
          groupId,
          conn,
          res.responses.map((t) => ({ errorCode: t.errorCode, what: t.errorMessage ?? t.topicName })),
        );
        answers.set(groupId, failed ?? true);
      }
      return answers;
    },
    opts,
  );
}

/**
 * A share group's lag per partition: its start offset, the log end offset, and the records not yet done
 * — the broker's figure where it gives one (DescribeShareGroupOffsets v1), else end − start. Every
 * partition of the topics the group has state for is listed. An unknown group is GROUP_ID_NOT_FOUND.
 */
export async function shareGroupLag(cluster: Cluster, groupId: string, opts: CallOptions): Promise<ShareGroupLag> {
  const starts = await listShareGroupOffsets(cluster, groupId, undefined, opts);
  if (starts.length === 0) {
    // No state: either an unknown group (this throws GROUP_ID_NOT_FOUND) or one that never fetched.
    await describeShareGroups(cluster, [groupId], opts);
    return { groupId, partitions: [], topics: {}, totalLag: 0 };
  }
  const topics = [...new Set(starts.map((s) => s.topic))];
  const described = await describeTopics(cluster, topics, opts).catch(() => undefined);
  const partitions: TopicPartition[] = described
    ? described.flatMap((d) => d.partitions.map((p) => ({ topic: d.topic, partition: p.partition })))
    : starts.map((s) => ({ topic: s.topic, partition: s.partition }));
  const ends = await listOffsets(
    cluster,
    partitions.map((p) => ({ ...p, at: 'latest' as const })),
    opts,
  );
  const startOf = new Map(starts.map((s) => [tpKey(s.topic, s.partition), s]));
  const out: SharePartitionLag[] = [];
  const perTopic: Record<string, number> = {};
  let total = 0;
  for (const e of ends.sort(byTp)) {
    const s = startOf.get(tpKey(e.topic, e.partition));
    let lag: number | null = null;
    let lagSource: SharePartitionLag['lagSource'] = null;
    if (s?.lag != null) [lag, lagSource] = [s.lag, 'broker'];
    else if (s) [lag, lagSource] = [Math.max(0, e.offset - s.startOffset), 'computed'];
    out.push({
      topic: e.topic,
      partition: e.partition,
      startOffset: s?.startOffset ?? null,
      logEndOffset: e.offset,
      lag,
      lagSource,
    });
    perTopic[e.topic] = (perTopic[e.topic] ?? 0) + (lag ?? 0);
    total += lag ?? 0;
  }
  return { groupId, partitions: out, topics: perTopic, totalLag: total };
}
