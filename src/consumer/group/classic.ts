import { backoffDelay, sleep } from '../../cluster/backoff.js';
import type { Cluster } from '../../cluster/cluster.js';
import type { Connection } from '../../network/connection.js';
import { KafkaError, kafkaError } from '../../protocol/errors.js';
import { Heartbeat, JoinGroup, LeaveGroup, SyncGroup } from '../../protocol/generated/index.js';
import type { Assignor } from '../assignors/types.js';
import { formatPartitions, sortPartitions, type TopicPartition, tpKey } from '../topic-partition.js';
import { classifyGroupError, GroupFatalError } from './errors.js';
import type { CommitIdentity, GroupHooks, GroupMembership } from './membership.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './protocol.js';

export interface ClassicGroupOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: Assignor[];
  rackId: string | null;
  /** The topics this member subscribes to right now (a regex subscription re-resolves them). */
  topics: () => string[];
}

const MEMBER_ID_REQUIRED = 79;

/**
 * A member of a classic consumer group (JoinGroup/SyncGroup/Heartbeat, KIP-394 member ids, KIP-345
 * static membership, KIP-429 cooperative rebalancing).
 *
 * One loop owns the membership: it joins when a rejoin is pending, otherwise heartbeats every
 * `heartbeat.interval.ms` on the coordinator's `group` connection. Partition changes go through
 * {@link GroupHooks} in a fixed order — revoke (commit first), then assign — and a generation that
 * the coordinator fences ends with `lose` (no commit), never with a commit for a dead generation.
 */
export class ClassicGroupMember implements GroupMembership {
  private memberId = '';
  private generationId = -1;
  private generationValid = false;
  private readonly owned = new Map<string, TopicPartition>();
  private rejoinReason: string | null = 'joining';
  private lastHeartbeatOk = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** Partition counts the leader assigned from, to notice topics that grow. */
  private assignedFrom = new Map<string, number>();
  private readonly protocol: 'eager' | 'cooperative';
  /** The topics this member subscribed with at its last join. */
  private joinedTopics: string[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly o: ClassicGroupOptions,
    private readonly hooks: GroupHooks,
  ) {
    this.protocol = o.assignors.every((a) => a.rebalanceProtocol === 'cooperative') ? 'cooperative' : 'eager';
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Asks for a rebalance (subscription changed, partitions revoked, metadata changed). */
  requestRejoin(reason: string): void {
    this.rejoinReason ??= reason;
    this.wake?.();
  }

  commitIdentity(): CommitIdentity | null {
    if (!this.generationValid || this.rejoinReason === 'generation lost') return null;
    return {
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.o.groupInstanceId,
    };
  }

  generation(): { generationId: number; memberId: string } {
    return this.generationValid
      ? { generationId: this.generationId, memberId: this.memberId }
      : { generationId: -1, memberId: this.memberId };
  }

  ownedPartitions(): TopicPartition[] {
    return sortPartitions([...this.owned.values()]);
  }

  /** A commit said the generation is gone: stop using it and rejoin. */
  onGenerationFenced(err: KafkaError, sentWith?: CommitIdentity): void {
    // Only a rejection of the generation we are in now means anything. An auto-commit sent with
    // generation G queues at the coordinator behind our JoinGroup (one request at a time per
    // connection) and comes back ILLEGAL_GENERATION after we joined G+1; a commit sent between our
    // JoinGroup and SyncGroup comes back REBALANCE_IN_PROGRESS. Treating either as "generation lost"
    // left generationValid false after the SyncGroup succeeded (the rejoin request was swallowed by
    // the join in progress), so every later commit — including commit-on-revoke — was refused and
    // the next owners re-read from old offsets. Java ignores these too (ConsumerCoordinator).
    if (err.errorCode === 27) return;
    if (sentWith && (sentWith.generationIdOrMemberEpoch !== this.generationId || sentWith.memberId !== this.memberId))
      return;
    if (err.errorCode === 25) this.memberId = '';
    this.generationValid = false;
    this.requestRejoin('generation lost');
  }

  /**
   * Leaves the group: stops the loop, revokes (and so commits) what it owns, then sends LeaveGroup
   * unless the member is static (KIP-345: a static member that restarts within the session timeout
   * gets its partitions back without a rebalance).
   */
  async stop(leaveTimeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop?.catch(() => {});
    const owned = this.ownedPartitions();
    this.owned.clear();
    if (owned.length) {
      if (this.commitIdentity()) await this.hooks.revoke(owned, 'closing');
      else await this.hooks.lose(owned, 'closing without a valid generation');
    }
    if (this.o.groupInstanceId !== null || !this.memberId) return;
    try {
      const conn = await this.coordinator(AbortSignal.timeout(leaveTimeoutMs));
      const useBatch = conn.apiVersions.pick(LeaveGroup) >= 3;
      await conn.request(
        LeaveGroup,
        useBatch
          ? {
              groupId: this.o.groupId,
              members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }],
            }
          : { groupId: this.o.groupId, memberId: this.memberId },
        { timeoutMs: leaveTimeoutMs },
      );
    } catch {
      // Best effort: the coordinator drops us after session.timeout.ms anyway.
    }
    this.memberId = '';
    this.generationValid = false;
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; ) {
      try {
        if (this.rejoinReason !== null) await this.join();
        else await this.heartbeat();
        attempt = 0;
      } catch (err) {
        if (this.stopped) return;
        const kind = classifyGroupError(err);
        if (kind === 'fatal') {
          this.hooks.fatal(err instanceof GroupFatalError ? err : new GroupFatalError(this.o.groupId, err));
          return;
        }
        if (kind === 'coordinator') this.cluster.coordinators.invalidate('group', this.o.groupId);
        this.cluster.options.logger.debug('Group membership retrying', { group: this.o.groupId, error: err });
        await this.lostIfFenced(err);
        const delay = backoffDelay(attempt++, {
          initialMs: this.cluster.options.retryBackoffMs,
          maxMs: this.cluster.options.retryBackoffMaxMs,
        });
        await sleep(delay, this.abort.signal).catch(() => {});
      }
    }
  }

  /** ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED: the partitions are gone; drop without commit. */
  private async lostIfFenced(err: unknown): Promise<void> {
    if (!(err instanceof KafkaError) || (err.errorCode !== 22 && err.errorCode !== 25)) return;
    if (err.errorCode === 25) this.memberId = '';
    this.generationValid = false;
    this.rejoinReason ??= 'generation lost';
    const owned = this.ownedPartitions();
    this.owned.clear();
    if (owned.length) await this.hooks.lose(owned, `${err.name} from the coordinator`);
  }

  private coordinator(signal?: AbortSignal, purpose: 'group' | 'rebalance' = 'group'): Promise<Connection> {
    return this.cluster.coordinatorConnection('group', this.o.groupId, signal ?? this.abort.signal, purpose);
  }

  private async heartbeat(): Promise<void> {
    await this.waitFor(this.o.heartbeatIntervalMs);
    if (this.stopped || this.rejoinReason !== null) return;
    this.checkMetadata();
    // No heartbeat got through for a whole session: the coordinator has evicted us and another
    // member may own our partitions. Stop processing them now rather than when we learn it.
    if (this.owned.size && Date.now() - this.lastHeartbeatOk > this.o.sessionTimeoutMs) {
      throw kafkaError(25, {
        api: 'Heartbeat',
        groupId: this.o.groupId,
        serverMessage: 'no heartbeat got through within session.timeout.ms',
      });
    }
    const conn = await this.coordinator();
    const res = await conn.request(
      Heartbeat,
      {
        groupId: this.o.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
      },
      { signal: this.abort.signal },
    );
    if (res.errorCode === 27) {
      this.requestRejoin('the group is rebalancing');
      this.lastHeartbeatOk = Date.now();
      return;
    }
    if (res.errorCode)
      throw kafkaError(res.errorCode, { api: 'Heartbeat', groupId: this.o.groupId, broker: conn.broker });
    this.lastHeartbeatOk = Date.now();
  }

  private async join(): Promise<void> {
    const reason = this.rejoinReason ?? 'rejoining';
    if (this.protocol === 'eager' && this.owned.size) {
      const owned = this.ownedPartitions();
      this.owned.clear();
      await this.hooks.revoke(owned, `rebalance (${reason})`);
    }
    // JoinGroup waits at the coordinator until every member joined (up to the rebalance timeout), and
    // a broker serves one request at a time per connection: on its own connection it does not hold
    // up heartbeats or the commits that keep partitions flowing during a cooperative rebalance.
    const conn = await this.coordinator(undefined, 'rebalance');
    const topics = this.o.topics();
    this.joinedTopics = topics;
    const owned = this.ownedPartitions();
    const res = await conn.request(
      JoinGroup,
      {
        groupId: this.o.groupId,
        sessionTimeoutMs: this.o.sessionTimeoutMs,
        rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
        protocolType: 'consumer',
        protocols: this.o.assignors.map((a) => ({
          name: a.name,
          metadata: encodeSubscription({
            topics,
            userData: a.userData?.(topics) ?? null,
            owned,
            generationId: this.generationId,
            rackId: this.o.rackId,
          }),
        })),
        reason,
      },
      // The coordinator parks JoinGroup until every member joined, up to the rebalance timeout.
      {
        timeoutMs: Math.max(this.cluster.options.requestTimeoutMs, this.o.rebalanceTimeoutMs + 5000),
        signal: this.abort.signal,
      },
    );
    if (res.errorCode === MEMBER_ID_REQUIRED) {
      // KIP-394: the first join only hands out our member id; join again with it at once.
      this.memberId = res.memberId;
      return;
    }
    if (res.errorCode)
      throw kafkaError(res.errorCode, { api: 'JoinGroup', groupId: this.o.groupId, broker: conn.broker });
    this.memberId = res.memberId;
    this.generationId = res.generationId;
    this.generationValid = true;

    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (res.leader === res.memberId && !res.skipAssignment)
      assignments = await this.assign(res.protocolName, res.members);

    const sync = await conn.request(
      SyncGroup,
      {
        groupId: this.o.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.o.groupInstanceId,
        protocolType: 'consumer',
        protocolName: res.protocolName,
        assignments,
      },
      {
        timeoutMs: Math.max(this.cluster.options.requestTimeoutMs, this.o.rebalanceTimeoutMs + 5000),
        signal: this.abort.signal,
      },
    );
    if (sync.errorCode === 27) return; // rebalancing again: loop and rejoin
    if (sync.errorCode)
      throw kafkaError(sync.errorCode, { api: 'SyncGroup', groupId: this.o.groupId, broker: conn.broker });
    this.rejoinReason = null;
    this.lastHeartbeatOk = Date.now();
    this.cluster.options.logger.info('Joined group', {
      group: this.o.groupId,
      generation: this.generationId,
      member: this.memberId,
      leader: res.leader === res.memberId,
      assignor: res.protocolName,
      reason,
    });
    await this.apply(decodeAssignment(sync.assignment));
  }

  /** Leader only: decode every member's subscription, run the chosen assignor, encode the result. */
  private async assign(
    protocolName: string | null,
    members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[],
  ) {
    const assignor = this.o.assignors.find((a) => a.name === protocolName);
    if (!assignor)
      throw new GroupFatalError(this.o.groupId, new Error(`the coordinator chose unknown assignor "${protocolName}"`));
    const subs = members.map((m) => decodeSubscription(m.memberId, m.groupInstanceId, m.metadata));
    const topics = [...new Set(subs.flatMap((s) => s.topics))];
    await this.cluster.refreshMetadata({ topics, signal: this.abort.signal });
    const partitionsPerTopic = new Map<string, number>();
    for (const t of topics) {
      const info = this.cluster.metadata.topics.get(t);
      if (info && info.errorCode === 0 && info.partitions.length) partitionsPerTopic.set(t, info.partitions.length);
    }
    this.assignedFrom = partitionsPerTopic;
    const result = assignor.assign({ members: subs, partitionsPerTopic });
    return subs.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment(result.get(s.memberId) ?? []) }));
  }

  /** Applies a new assignment: revoked first (KIP-429 follow-up rebalance if any), then added. */
  private async apply(assigned: TopicPartition[]): Promise<void> {
    const next = new Map(assigned.map((p) => [tpKey(p.topic, p.partition), p]));
    const revoked = [...this.owned].filter(([k]) => !next.has(k)).map(([, p]) => p);
    const added = [...next].filter(([k]) => !this.owned.has(k)).map(([, p]) => p);
    if (revoked.length) {
      for (const p of revoked) this.owned.delete(tpKey(p.topic, p.partition));
      await this.hooks.revoke(sortPartitions(revoked), 'reassigned to another member');
      if (this.protocol === 'cooperative') this.requestRejoin(`revoked ${formatPartitions(revoked)}`);
    }
    for (const [k, p] of next) this.owned.set(k, p);
    if (added.length) await this.hooks.assign(sortPartitions(added));
  }

  /** Rejoins when the subscription resolves to other topics, or (leader) a topic's partition count changed. */
  private checkMetadata(): void {
    const topics = this.o.topics();
    for (const [t, count] of this.assignedFrom) {
      const now = this.cluster.metadata.topics.get(t)?.partitions.length;
      if (now !== undefined && now !== count) {
        this.requestRejoin(`topic ${t} now has ${now} partitions`);
        return;
      }
    }
    const known = new Set(this.joinedTopics);
    if (topics.length !== known.size || topics.some((t) => !known.has(t)))
      this.requestRejoin('the subscription changed');
  }

  /** Sleeps up to `ms`, waking early on a rejoin request or stop. */
  private waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
