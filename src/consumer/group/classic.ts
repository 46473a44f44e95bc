import { backoffDelay, sleep } from '../../cluster/backoff.js';
import type { Cluster } from '../../cluster/cluster.js';
import type { Connection } from '../../network/connection.js';
import { type ConsumerJoinEvent, consumerJoinChannel } from '../../observability/channels.js';
import { KafkaError, kafkaError } from '../../protocol/errors.js';
import { JoinGroup } from '../../protocol/generated/join-group.js';
import { LeaveGroup } from '../../protocol/generated/leave-group.js';
import { SyncGroup } from '../../protocol/generated/sync-group.js';
import type { Assignor } from '../assignors/types.js';
import { raceDeadline } from '../race-deadline.js';
import { formatPartitions, sortPartitions, type TopicPartition, tpKey } from '../topic-partition.js';
import { classifyGroupError, GroupFatalError } from './errors.js';
import { Heartbeats } from './heartbeats.js';
import { leaderAssignment } from './leader.js';
import {
  type CommitIdentity,
  type GenerationInfo,
  type GroupHooks,
  type GroupMembership,
  NO_GENERATION,
} from './membership.js';
import { decodeAssignment, encodeSubscription } from './protocol.js';

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
const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;
const REBALANCE_IN_PROGRESS = 27;
const FENCED_INSTANCE_ID = 82;

/**
 * Where the member is in the classic protocol (Java's MemberState): heartbeats are sent in
 * `syncing` and `stable`, not while a JoinGroup is parked at the coordinator (which keeps a
 * joining member alive by itself).
 */
export type Phase = 'unjoined' | 'joining' | 'syncing' | 'stable';

/**
 * A member of a classic consumer group (JoinGroup/SyncGroup/Heartbeat, KIP-394 member ids, KIP-345
 * static membership, KIP-429 cooperative rebalancing).
 *
 * Two loops, as Java's consumer has a heartbeat thread beside its poll loop:
 *  - the membership loop joins when a rejoin is pending and runs the rebalance work — revocations
 *    (which wait for handlers), rebalance listeners — through {@link GroupHooks}, in a fixed order:
 *    lost or revoked first, then assigned;
 *  - {@link Heartbeats} keeps the session alive meanwhile, so slow listeners or handlers never cost
 *    the member its partitions — bounded by the rebalance timeout (`max.poll.interval.ms`), after
 *    which a member stuck in rebalance work leaves the group, as Java's does.
 * A generation the coordinator fences (heartbeat, commit, sync) ends with `lose` (no commit), never
 * with a commit for a dead generation.
 */
export class ClassicGroupMember implements GroupMembership {
  memberId = '';
  generationId = -1;
  private generationValid = false;
  private joined: GenerationInfo = NO_GENERATION;
  phase: Phase = 'unjoined';
  private readonly owned = new Map<string, TopicPartition>();
  private rejoinReason: string | null = 'joining';
  /** Set when the generation was fenced: the owned partitions must be dropped as lost before rejoining. */
  private lostReason: string | null = null;
  /** Eager protocol: the owned partitions are revoked once before each rebalance. */
  private needsJoinPrepare = true;
  /** When the rebalance work in progress (revocation, listeners) started; 0 when none runs. */
  workSince = 0;
  stopped = false;
  private leaving = false;
  readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly heartbeats: Heartbeats;
  /** Partition counts (0 = missing) the leader assigned from, to notice topics that appear or grow. */
  private assignedFrom = new Map<string, number>();
  private readonly protocol: 'eager' | 'cooperative';
  /** The topics this member subscribed with at its last join. */
  private joinedTopics: string[] = [];

  constructor(
    readonly cluster: Cluster,
    readonly o: ClassicGroupOptions,
    private readonly hooks: GroupHooks,
  ) {
    this.protocol = o.assignors.every((a) => a.rebalanceProtocol === 'cooperative') ? 'cooperative' : 'eager';
    this.heartbeats = new Heartbeats(this);
  }

  start(): void {
    this.loop ??= this.run();
    this.heartbeats.start();
  }

  /** Asks for a rebalance (subscription changed, partitions revoked, metadata changed). */
  requestRejoin(reason: string): void {
    this.rejoinReason ??= reason;
    this.wake?.();
  }

  commitIdentity(): CommitIdentity | null {
    if (!this.generationValid) return null;
    return {
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.o.groupInstanceId,
    };
  }

  /** Whether heartbeats may be sent: a generation is valid and no JoinGroup is parked. */
  get inGeneration(): boolean {
    return this.generationValid && (this.phase === 'syncing' || this.phase === 'stable');
  }

  get ownsPartitions(): boolean {
    return this.owned.size > 0;
  }

  /**
   * The last generation this member completed a join in (Java's groupMetadata()): it stays until the
   * next join completes, even after the generation was fenced or the member left, so offsets sent in
   * a transaction with it by a zombie are rejected by the coordinator (KIP-447) rather than taken as
   * those of a client outside any group (generation -1). One object per generation: cheap to read.
   */
  generation(): GenerationInfo {
    return this.joined;
  }

  ownedPartitions(): TopicPartition[] {
    return sortPartitions([...this.owned.values()]);
  }

  /**
   * The generation is over (fenced by a heartbeat, commit or sync, the session expired, or the
   * member left): no more commits; the membership loop drops the owned partitions as lost and rejoins.
   */
  generationLost(reason: string, resetMemberId = false): void {
    if (resetMemberId) this.memberId = '';
    this.generationValid = false;
    this.lostReason ??= reason;
    this.requestRejoin('generation lost');
  }

  fatal(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    this.hooks.fatal(err instanceof GroupFatalError ? err : new GroupFatalError(this.o.groupId, err));
  }

  /** A commit said the generation is gone: treat the partitions as lost and rejoin (as Java does). */
  onGenerationFenced(err: KafkaError, sentWith?: CommitIdentity): void {
    // Only a rejection of the generation we are in now means anything. An auto-commit sent with
    // generation G queues at the coordinator behind our JoinGroup (one request at a time per
    // connection) and comes back ILLEGAL_GENERATION after we joined G+1; a commit sent between our
    // JoinGroup and SyncGroup comes back REBALANCE_IN_PROGRESS. Treating either as "generation lost"
    // would drop partitions of a generation that is fine. Java ignores these too (ConsumerCoordinator).
    if (err.errorCode === REBALANCE_IN_PROGRESS) return;
    // Rejected while our JoinGroup is parked: the group already moved to the generation we are
    // joining, and what we own carries over (cooperative) or was revoked before joining (eager).
    if (this.phase === 'joining') return;
    if (sentWith && (sentWith.generationIdOrMemberEpoch !== this.generationId || sentWith.memberId !== this.memberId))
      return;
    if (err.errorCode === FENCED_INSTANCE_ID) {
      this.fatal(err);
      return;
    }
    this.generationLost(`${err.name} on commit`, err.errorCode === UNKNOWN_MEMBER_ID);
  }

  /**
   * Leaves the group by `deadline`: stops the loops, revokes (and so commits) what it owns, then sends
   * LeaveGroup unless the member is static (KIP-345: a static member that restarts within the session
   * timeout gets its partitions back without a rebalance).
   */
  async stop(deadline: number): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    // The loop may be inside a listener of the application's: never wait past the deadline for it.
    await raceDeadline(
      this.loop?.catch(() => {}),
      deadline,
    );
    this.loop = undefined;
    const owned = this.ownedPartitions();
    this.owned.clear();
    if (owned.length) {
      if (this.commitIdentity()) await this.hooks.revoke(owned, 'closing', deadline);
      else await this.hooks.lose(owned, 'closing without a valid generation', deadline);
    }
    // Heartbeats kept the session alive through the final revocation; now we leave.
    await this.heartbeats.stop();
    if (this.o.groupInstanceId === null && this.memberId) await this.leave('the consumer is closing', deadline);
    this.memberId = '';
    this.generationValid = false;
  }

  /** Sends LeaveGroup (best effort: the coordinator drops us after session.timeout.ms anyway). */
  async leave(reason: string, deadline: number): Promise<void> {
    const memberId = this.memberId;
    const timeoutMs = Math.max(1, deadline - Date.now());
    try {
      const conn = await this.coordinator(AbortSignal.timeout(timeoutMs));
      const useBatch = conn.apiVersions.pick(LeaveGroup) >= 3;
      await conn.request(
        LeaveGroup,
        useBatch
          ? { groupId: this.o.groupId, members: [{ memberId, groupInstanceId: null, reason }] }
          : { groupId: this.o.groupId, memberId },
        { timeoutMs },
      );
    } catch {
      // Best effort.
    }
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; ) {
      try {
        if (this.lostReason !== null) await this.dropLost();
        if (this.rejoinReason !== null) {
          await this.join();
          attempt = 0;
        } else {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            if (this.stopped || this.rejoinReason !== null || this.lostReason !== null) resolve();
          });
          this.wake = undefined;
        }
      } catch (err) {
        if (this.stopped) return;
        if (this.phase !== 'stable') this.phase = 'unjoined';
        this.rejoinReason ??= 'retrying the join';
        const kind = classifyGroupError(err);
        if (kind === 'fatal') {
          this.fatal(err);
          return;
        }
        if (kind === 'coordinator') this.cluster.coordinators.invalidate('group', this.o.groupId);
        if (err instanceof KafkaError && (err.errorCode === ILLEGAL_GENERATION || err.errorCode === UNKNOWN_MEMBER_ID))
          this.generationLost(`${err.name} from the coordinator`, err.errorCode === UNKNOWN_MEMBER_ID);
        this.cluster.options.logger.debug('Group membership retrying', { group: this.o.groupId, error: err });
        const delay = backoffDelay(attempt++, {
          initialMs: this.cluster.options.retryBackoffMs,
          maxMs: this.cluster.options.retryBackoffMaxMs,
        });
        await sleep(delay, this.abort.signal).catch(() => {});
      }
    }
  }

  /** Rebalance work (revocations, listeners), timed for the heartbeat loop's rebalance-timeout check. */
  private async work(fn: () => Promise<void>): Promise<void> {
    this.workSince = Date.now();
    try {
      await fn();
    } finally {
      this.workSince = 0;
    }
  }

  private async dropLost(): Promise<void> {
    const reason = this.lostReason ?? 'generation lost';
    this.lostReason = null;
    const owned = this.ownedPartitions();
    this.owned.clear();
    if (owned.length) await this.work(() => this.hooks.lose(owned, reason));
  }

  coordinator(signal?: AbortSignal, purpose: 'group' | 'rebalance' = 'group'): Promise<Connection> {
    return this.cluster.coordinatorConnection('group', this.o.groupId, signal ?? this.abort.signal, purpose);
  }

  /** Before a JoinGroup (Java's onJoinPrepare): eager members give everything up; cooperative ones what they no longer subscribe to. */
  private async prepareJoin(reason: string): Promise<void> {
    if (!this.needsJoinPrepare) return;
    this.needsJoinPrepare = false;
    if (!this.generationValid || !this.memberId) return; // nothing owned is valid; dropLost handled it
    const subscribed = new Set(this.o.topics());
    const revoked =
      this.protocol === 'eager'
        ? this.ownedPartitions()
        : this.ownedPartitions().filter((p) => !subscribed.has(p.topic));
    // Java calls onPartitionsRevoked before every eager rejoin, even with nothing owned.
    if (this.protocol === 'cooperative' && revoked.length === 0) return;
    for (const p of revoked) this.owned.delete(tpKey(p.topic, p.partition));
    await this.work(() => this.hooks.revoke(revoked, `rebalance (${reason})`));
  }

  private async join(): Promise<void> {
    const reason = this.rejoinReason ?? 'rejoining';
    await this.prepareJoin(reason);
    if (this.stopped) return;
    // Cleared now: a request arriving while we join (e.g. a heartbeat saw a newer rebalance) sets
    // it again and we join once more. Restored by the loop if this join fails.
    this.rejoinReason = null;
    this.phase = 'joining';
    // JoinGroup waits at the coordinator until every member joined (up to the rebalance timeout), and
    // a broker serves one request at a time per connection: on its own connection it does not hold
    // up heartbeats or the commits that keep partitions flowing during a cooperative rebalance.
    const conn = await this.coordinator(undefined, 'rebalance');
    const joinStarted = performance.now();
    const topics = this.o.topics();
    this.joinedTopics = topics;
    const owned = this.ownedPartitions();
    const timeoutMs = Math.max(this.cluster.options.requestTimeoutMs, this.o.rebalanceTimeoutMs + 5000);
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
            generationId: this.generationValid ? this.generationId : -1,
            rackId: this.o.rackId,
          }),
        })),
        reason,
      },
      // The coordinator parks JoinGroup until every member joined, up to the rebalance timeout.
      { timeoutMs, signal: this.abort.signal },
    );
    if (res.errorCode === MEMBER_ID_REQUIRED) {
      // KIP-394: the first join only hands out our member id; join again with it at once.
      this.memberId = res.memberId;
      this.rejoinReason ??= reason;
      this.phase = 'unjoined';
      return;
    }
    if (res.errorCode)
      throw kafkaError(res.errorCode, { api: 'JoinGroup', groupId: this.o.groupId, broker: conn.broker });
    this.memberId = res.memberId;
    this.generationId = res.generationId;
    this.generationValid = true;
    this.phase = 'syncing';

    let assignments: { memberId: string; assignment: Buffer }[] = [];
    if (res.leader === res.memberId && !res.skipAssignment) {
      const plan = await leaderAssignment(this.cluster, this.o, res.protocolName, res.members, this.abort.signal);
      assignments = plan.assignments;
      this.assignedFrom = plan.partitionCounts;
    }

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
      { timeoutMs, signal: this.abort.signal },
    );
    if (sync.errorCode === REBALANCE_IN_PROGRESS) {
      this.rejoinReason ??= 'the group is rebalancing again';
      this.phase = 'unjoined';
      return;
    }
    if (sync.errorCode)
      throw kafkaError(sync.errorCode, { api: 'SyncGroup', groupId: this.o.groupId, broker: conn.broker });
    if (!this.generationValid || this.generationId !== res.generationId) return; // fenced meanwhile
    this.phase = 'stable';
    this.joined = Object.freeze({ generationId: this.generationId, memberId: this.memberId });
    this.needsJoinPrepare = true;
    this.heartbeats.joined();
    this.cluster.options.logger.info('Joined group', {
      group: this.o.groupId,
      generation: this.generationId,
      member: this.memberId,
      leader: res.leader === res.memberId,
      assignor: res.protocolName,
      reason,
    });
    const assigned = decodeAssignment(sync.assignment);
    if (consumerJoinChannel.hasSubscribers) {
      consumerJoinChannel.publish({
        clientId: this.cluster.options.clientId,
        groupId: this.o.groupId,
        memberId: this.memberId,
        generationId: this.generationId,
        leaderId: res.leader,
        isLeader: res.leader === res.memberId,
        protocol: res.protocolName ?? '',
        assignment: assigned,
        durationMs: performance.now() - joinStarted,
      } satisfies ConsumerJoinEvent);
    }
    await this.work(() => this.apply(assigned));
  }

  /**
   * Applies a new assignment: revoked first (KIP-429: then a follow-up rebalance), then added. The
   * assigned listener runs after every completed rebalance, with what was added (maybe nothing).
   */
  private async apply(assigned: TopicPartition[]): Promise<void> {
    const next = new Map(assigned.map((p) => [tpKey(p.topic, p.partition), p]));
    const revoked = [...this.owned].filter(([k]) => !next.has(k)).map(([, p]) => p);
    const added = [...next].filter(([k]) => !this.owned.has(k)).map(([, p]) => p);
    if (revoked.length) {
      for (const p of revoked) this.owned.delete(tpKey(p.topic, p.partition));
      await this.hooks.revoke(sortPartitions(revoked), 'reassigned to another member');
      if (this.protocol === 'cooperative') this.requestRejoin(`revoked ${formatPartitions(revoked)}`);
    }
    // Fenced while revoking (a commit said so): this assignment is dead too.
    if (!this.generationValid || this.stopped) return;
    for (const [k, p] of next) this.owned.set(k, p);
    await this.hooks.assign(sortPartitions(added));
  }

  /** Rejoins when the subscription resolves to other topics, or (leader) a topic appeared or grew. */
  checkMetadata(): void {
    const topics = this.o.topics();
    for (const [t, count] of this.assignedFrom) {
      const info = this.cluster.metadata.topics.get(t);
      const now = info && info.errorCode === 0 ? info.partitions.length : 0;
      if (now > 0 && now !== count) {
        this.requestRejoin(count === 0 ? `topic ${t} now exists` : `topic ${t} now has ${now} partitions`);
        return;
      }
    }
    const known = new Set(this.joinedTopics);
    if (topics.length !== known.size || topics.some((t) => !known.has(t)))
      this.requestRejoin('the subscription changed');
  }

  /** Subscribed topics missing from the metadata (not created yet, or not yet known to the broker asked). */
  missingTopics(): string[] {
    return this.o.topics().filter((t) => {
      const info = this.cluster.metadata.topics.get(t);
      return (info?.errorCode === 0 ? info.partitions.length : 0) === 0;
    });
  }
}
