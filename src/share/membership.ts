import { randomUUID } from 'node:crypto';
import { backoffDelay } from '../cluster/backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { classifyGroupError } from '../consumer/group/errors.js';
import { raceDeadline } from '../consumer/race-deadline.js';
import { sortPartitions, type TopicPartition } from '../consumer/topic-partition.js';
import type { Connection } from '../network/connection.js';
import { kafkaError } from '../protocol/errors.js';
import {
  ShareGroupHeartbeat,
  type ShareGroupHeartbeatRequest,
  type ShareGroupHeartbeatResponseTopicPartitions,
} from '../protocol/generated/share-group-heartbeat.js';
import { ShareGroupFatalError, ShareGroupUnsupportedError } from './errors.js';

export interface ShareMemberHooks {
  /** The partitions this member may fetch from now (the whole assignment, replacing the previous one). */
  assign(partitions: TopicPartition[]): void;
  /** The member was fenced: the records it holds are no longer its own. It rejoins by itself. */
  lost(reason: string): void;
  /** An error the membership cannot recover from. */
  fatal(err: ShareGroupFatalError): void;
}

const UNKNOWN_MEMBER_ID = 25;
const UNSUPPORTED_VERSION = 35;
const FENCED_MEMBER_EPOCH = 110;
const JOIN_EPOCH = 0;
const LEAVE_EPOCH = -1;

/**
 * A member of a share group (KIP-932): the ShareGroupHeartbeat loop. As with KIP-848 the member id is
 * the client's own UUID, the broker assigns partitions and sets the heartbeat interval, and a fence
 * (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID) means rejoining with epoch 0. Unlike a consumer group there
 * is nothing to reconcile: several members share each partition, so a new assignment just changes
 * where the member fetches from, with no revocation handshake and no commit.
 */
export class ShareGroupMember {
  readonly memberId = randomUUID();
  memberEpoch = JOIN_EPOCH;
  private heartbeatIntervalMs = 5000;
  /** The subscription last sent (sorted, joined), or null to send it with the next heartbeat. */
  private sentSubscription: string | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private checkedBroker = false;
  private justFenced = false;
  /** Bumped by every fence: an assignment resolved for an older one is dropped. */
  private generation = 0;
  /** An assignment naming topic ids the metadata did not know yet: resolved again with each heartbeat. */
  private unresolved: ShareGroupHeartbeatResponseTopicPartitions[] | null = null;

  constructor(
    readonly cluster: Cluster,
    readonly o: { groupId: string; rackId: string | null; subscription: () => string[] },
    private readonly hooks: ShareMemberHooks,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** The subscription changed: the next heartbeat (sent at once) carries it. */
  subscriptionChanged(): void {
    this.sentSubscription = null;
    this.wake?.();
  }

  /** Stops heartbeating and leaves the group (epoch -1), which makes the broker release what the member holds. */
  async stop(deadline: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await raceDeadline(
      this.loop?.catch(() => {}),
      deadline,
    );
    if (this.memberEpoch <= 0) return;
    const timeoutMs = Math.max(1, deadline - Date.now());
    try {
      const conn = await this.cluster.coordinatorConnection('group', this.o.groupId, AbortSignal.timeout(timeoutMs));
      await conn.request(
        ShareGroupHeartbeat,
        { groupId: this.o.groupId, memberId: this.memberId, memberEpoch: LEAVE_EPOCH },
        { timeoutMs },
      );
    } catch {
      // Best effort: the broker drops the member after its session timeout anyway.
    }
    this.memberEpoch = JOIN_EPOCH;
  }

  private coordinator(): Promise<Connection> {
    return this.cluster.coordinatorConnection('group', this.o.groupId, this.abort.signal);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
      if (this.stopped) done();
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let delay = this.heartbeatIntervalMs;
      try {
        await this.beat();
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        const kind = classifyGroupError(err);
        if (kind === 'fatal') {
          this.stopped = true;
          this.hooks.fatal(err instanceof ShareGroupFatalError ? err : new ShareGroupFatalError(this.o.groupId, err));
          return;
        }
        if (kind === 'coordinator') this.cluster.coordinators.invalidate('group', this.o.groupId);
        this.sentSubscription = null;
        this.cluster.options.logger.debug('ShareGroupHeartbeat failed; retrying', {
          group: this.o.groupId,
          error: err,
        });
        delay = Math.min(
          delay,
          backoffDelay(failures++, {
            initialMs: this.cluster.options.retryBackoffMs,
            maxMs: this.cluster.options.retryBackoffMaxMs,
          }),
        );
      }
      if (this.stopped) return;
      if (this.memberEpoch === JOIN_EPOCH && failures === 0)
        delay = this.justFenced ? this.cluster.options.retryBackoffMs : 0;
      this.justFenced = false;
      // A changed subscription goes out at once (unless the last heartbeat failed: then back off).
      const urgent = failures === 0 && this.sentSubscription === null;
      if (delay > 0 && !urgent) await this.sleep(delay);
    }
  }

  private async beat(): Promise<void> {
    const conn = await this.coordinator();
    if (!this.checkedBroker) {
      // v1 is KIP-932 as released (4.1 preview, 4.2 production); 4.0's early-access v0 is not supported.
      if ((conn.apiVersions.highest(ShareGroupHeartbeat) ?? -1) < 1)
        throw new ShareGroupFatalError(this.o.groupId, new ShareGroupUnsupportedError(this.o.groupId, conn.broker));
      this.checkedBroker = true;
    }
    const topics = [...new Set(this.o.subscription())].sort();
    const subKey = topics.join(',');
    const full = this.memberEpoch === JOIN_EPOCH;
    const req: ShareGroupHeartbeatRequest = {
      groupId: this.o.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
    };
    if (full) req.rackId = this.o.rackId;
    if (full || this.sentSubscription !== subKey) req.subscribedTopicNames = topics;
    const epochSent = this.memberEpoch;
    const generation = this.generation;
    const res = await conn.request(ShareGroupHeartbeat, req, {
      signal: this.abort.signal,
      timeoutMs: this.cluster.options.requestTimeoutMs,
    });
    if (this.stopped) return;
    if (res.errorCode === FENCED_MEMBER_EPOCH || res.errorCode === UNKNOWN_MEMBER_ID) {
      const name = res.errorCode === FENCED_MEMBER_EPOCH ? 'FENCED_MEMBER_EPOCH' : 'UNKNOWN_MEMBER_ID';
      this.cluster.options.logger.info('Fenced by the share group coordinator; rejoining', {
        group: this.o.groupId,
        member: this.memberId,
        epoch: epochSent,
        error: res.errorMessage ?? name,
      });
      this.fenced(`ShareGroupHeartbeat: ${name}`);
      return;
    }
    if (res.errorCode === UNSUPPORTED_VERSION) {
      throw new ShareGroupFatalError(
        this.o.groupId,
        new ShareGroupUnsupportedError(
          this.o.groupId,
          conn.broker,
          `the group coordinator answered UNSUPPORTED_VERSION${res.errorMessage ? ` (${res.errorMessage})` : ''}`,
        ),
      );
    }
    if (res.errorCode) {
      const err = kafkaError(res.errorCode, {
        api: 'ShareGroupHeartbeat',
        groupId: this.o.groupId,
        broker: conn.broker,
      });
      if (res.errorMessage) err.message += ` (${res.errorMessage})`;
      throw err;
    }
    if (generation !== this.generation) return;
    if (req.subscribedTopicNames) this.sentSubscription = subKey;
    if (res.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = res.heartbeatIntervalMs;
    this.memberEpoch = res.memberEpoch;
    if (res.assignment) this.applyAssignment(res.assignment.topicPartitions, generation);
    else if (this.unresolved) this.applyAssignment(this.unresolved, generation);
  }

  /** The epoch is over: what the member holds is gone; rejoin with epoch 0 (after one backoff). */
  private fenced(reason: string): void {
    this.generation++;
    this.memberEpoch = JOIN_EPOCH;
    this.sentSubscription = null;
    this.justFenced = true;
    this.unresolved = null;
    this.hooks.lost(reason);
    this.hooks.assign([]);
  }

  private applyAssignment(target: ShareGroupHeartbeatResponseTopicPartitions[], generation: number): void {
    this.unresolved = null;
    this.resolveNames(target)
      .then(({ names, complete }) => {
        if (generation !== this.generation || this.stopped) return;
        if (!complete) this.unresolved = target;
        this.hooks.assign(sortPartitions(names));
      })
      .catch((err) => {
        if (!this.stopped)
          this.cluster.options.logger.warn('Could not apply the share group assignment', {
            group: this.o.groupId,
            error: err,
          });
      });
  }

  /** Names of the assigned topics, refreshing metadata (a few times) for ids not yet known. */
  private async resolveNames(
    target: ShareGroupHeartbeatResponseTopicPartitions[],
  ): Promise<{ names: TopicPartition[]; complete: boolean }> {
    const byId = this.cluster.metadata.topicNamesById;
    for (let attempt = 0; target.some((t) => !byId.has(t.topicId)) && attempt < 3 && !this.stopped; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.cluster.options.retryBackoffMs));
      await this.cluster.refreshMetadata({ signal: this.abort.signal }).catch(() => {});
    }
    const names: TopicPartition[] = [];
    let complete = true;
    for (const t of target) {
      const topic = byId.get(t.topicId);
      if (topic === undefined) {
        complete = false;
        this.cluster.options.logger.debug('Assigned a topic id the metadata does not name yet', {
          group: this.o.groupId,
          topicId: t.topicId,
        });
        continue;
      }
      for (const partition of t.partitions) names.push({ topic, partition });
    }
    return { names, complete };
  }
}
