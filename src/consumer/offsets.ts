import type { Cluster } from '../cluster/cluster.js';
import { type KafkaError, kafkaError } from '../protocol/errors.js';
import { OffsetCommit } from '../protocol/generated/offset-commit.js';
import { OffsetFetch } from '../protocol/generated/offset-fetch.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { CommitFailedError } from './errors.js';
import type { CommitIdentity } from './group/membership.js';
import { type TopicPartition, tpKey } from './topic-partition.js';

export interface OffsetToCommit extends TopicPartition {
  /** The next offset to read (last processed + 1). */
  offset: number;
  leaderEpoch?: number;
  /** Free text stored with the offset (at most `offset.metadata.max.bytes`, 4096 by default). */
  metadata?: string | null;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** Generation errors: the commit belongs to a membership that is over. */
const FENCED = new Set([22, 25, 27, 82, 110]);

/**
 * Commits and reads a group's offsets on the group coordinator, retrying coordinator moves and
 * loads until the deadline. A commit is only sent with a valid generation (DESIGN invariant 5).
 */
export class OffsetClient {
  constructor(
    private readonly cluster: Cluster,
    private readonly groupId: string,
  ) {}

  async commit(
    offsets: readonly OffsetToCommit[],
    identity: CommitIdentity,
    opts: { signal?: AbortSignal; timeoutMs?: number; onFenced?: (err: KafkaError) => void } = {},
  ): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, OffsetToCommit[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    const topicIds = await this.topicIds([...byTopic.keys()], opts.signal);
    await this.cluster.retry(
      `Committing offsets for group "${this.groupId}"`,
      async (_attempt, signal) => {
        const conn = await this.cluster.coordinatorConnection('group', this.groupId, signal);
        const res = await conn.request(
          OffsetCommit,
          {
            groupId: this.groupId,
            generationIdOrMemberEpoch: identity.generationIdOrMemberEpoch,
            memberId: identity.memberId,
            groupInstanceId: identity.groupInstanceId,
            topics: [...byTopic].map(([name, list]) => ({
              name,
              topicId: topicIds.get(name) ?? ZERO_UUID,
              partitions: list.map((o) => ({
                partitionIndex: o.partition,
                committedOffset: BigInt(o.offset),
                committedLeaderEpoch: o.leaderEpoch ?? -1,
                committedMetadata: o.metadata ?? null,
              })),
            })),
          },
          // v10+ names topics by id only; stay below it if an id is unknown.
          { signal, maxVersion: topicIds.size === byTopic.size ? undefined : 9 },
        );
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (!p.errorCode) continue;
            const err = kafkaError(p.errorCode, {
              api: 'OffsetCommit',
              groupId: this.groupId,
              topic: t.name,
              partition: p.partitionIndex,
              broker: conn.broker,
            });
            if (p.errorCode === 15 || p.errorCode === 16) this.cluster.coordinators.invalidate('group', this.groupId);
            if (FENCED.has(p.errorCode)) {
              opts.onFenced?.(err);
              throw new CommitFailedError(
                `Commit rejected for group "${this.groupId}" (${err.code}): the group rebalanced and these partitions may have moved; their records will be redelivered`,
                err,
              );
            }
            throw err;
          }
        }
      },
      { signal: opts.signal, timeoutMs: opts.timeoutMs },
    );
  }

  /** Topic ids of `topics` (refreshing metadata for unknown ones); topics without an id are absent. */
  private async topicIds(topics: string[], signal?: AbortSignal): Promise<Map<string, string>> {
    const missing = topics.filter((t) => !this.cluster.metadata.topics.has(t));
    if (missing.length) await this.cluster.refreshMetadata({ topics: missing, signal }).catch(() => {});
    const out = new Map<string, string>();
    for (const t of topics) {
      const id = this.cluster.metadata.topics.get(t)?.topicId;
      if (id && id !== ZERO_UUID) out.set(t, id);
    }
    return out;
  }

  /** Committed offsets (OffsetFetch with RequireStable, KIP-447); partitions without one are absent. */
  async fetch(
    partitions: readonly TopicPartition[],
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Map<string, CommittedOffset>> {
    const out = new Map<string, CommittedOffset>();
    if (partitions.length === 0) return out;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p.partition);
    }
    const topicIds = await this.topicIds([...byTopic.keys()], opts.signal);
    await this.cluster.retry(
      `Fetching committed offsets for group "${this.groupId}"`,
      async (_attempt, signal) => {
        const conn = await this.cluster.coordinatorConnection('group', this.groupId, signal);
        // v10+ names topics by id only; stay below it if an id is unknown.
        const version = Math.min(conn.apiVersions.pick(OffsetFetch), topicIds.size === byTopic.size ? 99 : 9);
        const topics = [...byTopic].map(([name, partitionIndexes]) => ({
          name,
          topicId: topicIds.get(name) ?? ZERO_UUID,
          partitionIndexes,
        }));
        const res = await conn.request(
          OffsetFetch,
          version >= 8
            ? { groups: [{ groupId: this.groupId, topics }], requireStable: true }
            : { groupId: this.groupId, topics, requireStable: true },
          { signal, maxVersion: version },
        );
        const group = version >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
        const check = (code: number, extra: { topic?: string; partition?: number } = {}) => {
          if (!code) return;
          if (code === 15 || code === 16) this.cluster.coordinators.invalidate('group', this.groupId);
          throw kafkaError(code, { api: 'OffsetFetch', groupId: this.groupId, broker: conn.broker, ...extra });
        };
        check(group?.errorCode ?? 0);
        for (const t of group?.topics ?? []) {
          const id = (t as { topicId?: string }).topicId;
          const name = t.name || (id && this.cluster.metadata.topicNamesById.get(id)) || '';
          for (const p of t.partitions) {
            // UNSTABLE_OFFSET_COMMIT (88): a transactional commit is pending; retriable.
            check(p.errorCode, { topic: name, partition: p.partitionIndex });
            if (p.committedOffset < 0n) continue;
            out.set(tpKey(name, p.partitionIndex), {
              offset: Number(p.committedOffset),
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.metadata,
            });
          }
        }
      },
      opts,
    );
    return out;
  }
}
