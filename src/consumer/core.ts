import { Cluster } from '../cluster/cluster.js';
import { AbortedError } from '../network/errors.js';
import {
  type ConsumerCommitEvent,
  type ConsumerRebalanceEvent,
  consumerCommitChannel,
  consumerRebalanceChannel,
  publishConsumerError,
} from '../observability/channels.js';
import { KafkaError } from '../protocol/errors.js';
import { CommitFailedError, NoOffsetError } from './errors.js';
import type { ChunkDecodeOptions } from './fetch-records.js';
import { Fetcher } from './fetcher.js';
import type { CommitIdentity, GroupHooks, GroupMembership } from './group/membership.js';
import { OffsetClient, type OffsetToCommit } from './offsets.js';
import type { ResolvedConsumerOptions } from './options.js';
import { PartitionState } from './partition-state.js';
import { PositionResolver } from './positions.js';
import { formatPartitions, type TopicPartition, tpKey } from './topic-partition.js';

/** OffsetCommit with an older member epoch than the member's current one (KIP-848). */
const STALE_MEMBER_EPOCH = 113;

/** Rebalance listeners (may be async); the consumer waits for each before going on. */
export interface RebalanceListener {
  /**
   * Called after every completed rebalance with the partitions it added (possibly none, as in Java),
   * before fetching them starts: a good place to `seek()`.
   */
  onPartitionsAssigned?(partitions: TopicPartition[]): unknown;
  /**
   * Partitions given up in an orderly way: their handlers have finished and their processed offsets
   * were just committed (with auto-commit). With an eager assignor (`range`, `roundrobin`) it is called
   * before every rejoin, even with nothing owned, as in Java.
   */
  onPartitionsRevoked?(partitions: TopicPartition[]): unknown;
  /** Partitions lost (generation fenced, session expired): they may already be someone else's; nothing was committed. */
  onPartitionsLost?(partitions: TopicPartition[]): unknown;
}

/**
 * The consumer's shared state: assigned partitions, the fetcher, commits, and the group hooks.
 * The public {@link Consumer} and the delivery loop both work on this.
 *
 * Ownership (DESIGN invariant 7): a partition's handlers run only while its state is assigned. On
 * revoke or loss its signal aborts, nothing its handlers finish later is committed, and if it comes
 * back to this consumer the new state delivers nothing until the old handler has returned (`draining`).
 */
export class ConsumerCore implements GroupHooks {
  readonly cluster: Cluster;
  readonly states = new Map<string, PartitionState>();
  readonly fetcher: Fetcher;
  readonly offsets: OffsetClient | undefined;
  readonly positions: PositionResolver;
  membership: GroupMembership | undefined;
  listener: RebalanceListener = {};
  /** Partitions with records ready and nobody working on them, in arrival order. */
  readonly ready = new Set<PartitionState>();
  /** Revoked or lost states whose handler still runs, by key: a new owner of the key waits for them. */
  readonly draining = new Map<string, PartitionState>();
  private dataWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  /** How delivery decodes chunks (`isolation.level`, `check.crcs`, the most a batch may inflate to). */
  readonly decodeOptions: ChunkDecodeOptions;
  /** Partitions whose handler (or iterator loop body) called close(): nothing waits for them. */
  readonly exempt = new Set<PartitionState>();
  /** First fatal error; the delivery loop stops and rethrows it. */
  failure: Error | undefined;
  /** Aborted when the consumer closes: background work (position lookups, retries) stops. */
  readonly closing = new AbortController();
  private commitChain: Promise<void> = Promise.resolve();
  private autoCommitTimer: NodeJS.Timeout | undefined;

  constructor(readonly o: ResolvedConsumerOptions) {
    this.cluster = new Cluster(o);
    this.cluster.allowAutoTopicCreation = o.allowAutoCreateTopics;
    this.offsets = o.groupId ? new OffsetClient(this.cluster, o.groupId) : undefined;
    const isolationLevel = o.isolationLevel === 'read_committed' ? 1 : 0;
    // A batch larger than the whole buffer could not be held within it: that is the per-batch bound.
    this.decodeOptions = { isolationLevel, checkCrcs: o.checkCrcs, maxBatchBytes: o.maxBufferedBytes };
    this.positions = new PositionResolver({
      cluster: this.cluster,
      offsets: this.offsets,
      logger: o.logger,
      isolationLevel,
      owns: (s) => this.owns(s),
      resetTarget: (s, why) => this.resetTarget(s, why),
      moved: (s, offset, epoch) => this.fetcher.releaseChunks(s.seek(offset, epoch)),
      resolved: () => this.fetcher.wake(),
      fail: (err) => this.fail(err),
      closing: this.closing.signal,
    });
    this.fetcher = new Fetcher(
      this.cluster,
      {
        minBytes: o.fetchMinBytes,
        maxBytes: o.fetchMaxBytes,
        maxWaitMs: o.fetchMaxWaitMs,
        maxPartitionBytes: o.maxPartitionFetchBytes,
        isolationLevel,
        maxBufferedBytes: o.maxBufferedBytes,
        checkCrcs: o.checkCrcs,
        rackId: o.clientRack,
      },
      () => this.states.values(),
      {
        onData: (s) => this.markReady(s),
        onOutOfRange: (s) => {
          o.logger.info('Fetch position out of range; resetting', {
            partition: `${s.topic}-${s.partition}`,
            position: s.position,
            policy: o.autoOffsetReset,
          });
          s.reset = this.resetTarget(s, 'the fetch position is out of range');
          this.fetcher.releaseChunks(s.dropBuffered());
          this.positions.resolve([s]);
        },
        onError: (err) => this.fail(err),
      },
    );
  }

  /** Whether `s` is the live state of an assigned partition (not revoked, lost or replaced). */
  owns(s: PartitionState): boolean {
    return s.attached && !s.lost;
  }

  // ---- records handed to the application --------------------------------------------------

  markReady(s: PartitionState): void {
    if (!s.busy && s.deliverable) this.ready.add(s);
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const w of waiters) w();
  }

  /** Takes the next partition with records (marking it busy), or undefined. */
  takeReady(): PartitionState | undefined {
    for (const s of this.ready) {
      this.ready.delete(s);
      // A previous owner's handler of this partition still runs: it goes first (release re-adds s).
      if (s.busy || !s.deliverable || !this.owns(s) || this.draining.has(s.key)) continue;
      s.busy = true;
      return s;
    }
    return undefined;
  }

  /** Returns a partition after a handler finished with it. */
  release(s: PartitionState): void {
    s.busy = false;
    if (this.draining.get(s.key) === s) this.settle(s);
    else if (s.deliverable && this.owns(s)) this.ready.add(s);
    this.notifyIdle();
    if (this.ready.size) this.markReady(s);
  }

  /**
   * A revoked/lost state has no worker and no handler left (parallel delivery calls this when its
   * last in-flight record finishes): its successor may deliver now.
   */
  settle(s: PartitionState): void {
    if (s.busy || s.inflight > 0) return;
    if (this.draining.get(s.key) === s) {
      this.draining.delete(s.key);
      const next = this.states.get(s.key);
      if (next) this.markReady(next);
    }
    this.notifyIdle();
  }

  /** Wakes whoever waits for handlers to finish (see {@link ConsumerCore.waitIdle}). */
  notifyIdle(): void {
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of idle) w();
  }

  /** Resolves when new records may be ready (or the consumer is failing/stopping). */
  waitForData(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.dataWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wakeAll(): void {
    this.markReady({ busy: true } as PartitionState);
  }

  /**
   * Records that `offset` and everything before it in its partition are done. Ignored for a state
   * that no longer owns its partition: a handler that outlived its ownership is never committed.
   */
  markProcessed(s: PartitionState, offset: number, leaderEpoch: number): void {
    if (!this.owns(s)) return;
    s.processed = offset + 1;
    s.processedEpoch = leaderEpoch;
  }

  /**
   * `ctx.retryAfter` (eachBatch, which may name any offset): the partition goes back to `offset`
   * (buffered records dropped; nothing at or after it counts as processed) and delivers nothing until
   * `delayMs` has passed.
   */
  retryLater(s: PartitionState, offset: number, delayMs: number): void {
    if (!this.owns(s)) return;
    this.fetcher.releaseChunks(s.seek(offset));
    if (s.processed > offset) s.processed = offset;
    this.hold(s, delayMs);
  }

  /**
   * The partition delivers nothing until `delayMs` has passed; its buffered records stay where they
   * are (eachMessage's `ctx.retryAfter` leaves the record in hand first in line, so it comes back
   * without a fetch). A timer, not a waiting handler: other partitions and the membership are not held
   * up, and no CPU is spent.
   */
  hold(s: PartitionState, delayMs: number): void {
    if (!this.owns(s)) return;
    this.ready.delete(s);
    if (s.holdTimer) clearTimeout(s.holdTimer);
    s.heldUntil = Date.now() + delayMs;
    s.holdTimer = setTimeout(() => {
      s.holdTimer = undefined;
      s.heldUntil = 0;
      if (!this.owns(s)) return;
      this.markReady(s);
      this.fetcher.wake();
    }, delayMs);
    this.fetcher.wake();
  }

  fail(err: Error): void {
    if (!this.failure) {
      this.o.logger.error('Consumer stopping', { error: err });
      publishConsumerError(this.o.clientId, 'consumer', err);
    }
    this.failure ??= err;
    this.wakeAll();
  }

  // ---- commits ----------------------------------------------------------------------------

  /** Processed-but-uncommitted offsets of the given (default: all assigned) partitions. */
  pendingCommits(partitions?: Iterable<PartitionState>): OffsetToCommit[] {
    const out: OffsetToCommit[] = [];
    for (const s of partitions ?? this.states.values()) {
      if (s.processed >= 0 && s.processed !== s.committed) {
        out.push({ topic: s.topic, partition: s.partition, offset: s.processed, leaderEpoch: s.processedEpoch });
      }
    }
    return out;
  }

  /**
   * Commits `offsets` (one commit at a time, in call order). Without a valid generation nothing is
   * sent: committing for a dead generation could move offsets of partitions another member owns.
   */
  commit(offsets: OffsetToCommit[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const run = async () => {
      if (!this.offsets || offsets.length === 0) return;
      let identity = this.membership
        ? this.membership.commitIdentity()
        : { generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null };
      if (!identity) {
        throw new CommitFailedError(
          'Not committed: the consumer is between generations (rebalancing); records will be redelivered',
        );
      }
      const started = performance.now();
      try {
        const send = (id: CommitIdentity) =>
          this.offsets!.commit(offsets, id, {
            ...opts,
            onFenced: (err) => this.membership?.onGenerationFenced(err, id),
          });
        try {
          await send(identity);
        } catch (err) {
          // KIP-848: the epoch moved on (a heartbeat brought a new one) while the commit was on its way.
          // The partitions are still ours if the membership still gives an identity: commit again with it.
          const fresh = this.membership?.commitIdentity();
          if (!(err instanceof KafkaError && err.errorCode === STALE_MEMBER_EPOCH) || !fresh) throw err;
          if (fresh.generationIdOrMemberEpoch === identity.generationIdOrMemberEpoch) throw err;
          identity = fresh;
          await send(identity);
        }
      } catch (err) {
        publishConsumerError(this.o.clientId, 'commit', err);
        throw err;
      }
      const durationMs = performance.now() - started;
      for (const o of offsets) {
        const s = this.states.get(tpKey(o.topic, o.partition));
        if (s) s.committed = o.offset;
      }
      if (consumerCommitChannel.hasSubscribers) {
        consumerCommitChannel.publish({
          groupId: this.o.groupId ?? '',
          clientId: this.o.clientId,
          memberId: identity.memberId,
          generationId: identity.generationIdOrMemberEpoch,
          offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
          durationMs,
        } satisfies ConsumerCommitEvent);
      }
    };
    const p = this.commitChain.then(run, run);
    this.commitChain = p.catch(() => {});
    return p;
  }

  startAutoCommit(): void {
    if (!this.o.autoCommit || !this.offsets || this.autoCommitTimer) return;
    this.autoCommitTimer = setInterval(() => {
      const pending = this.pendingCommits();
      if (pending.length) {
        this.commit(pending).catch((err) => this.o.logger.warn('Auto-commit failed; will retry', { error: err }));
      }
    }, this.o.autoCommitIntervalMs);
    this.autoCommitTimer.unref();
  }

  stopAutoCommit(): void {
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    this.autoCommitTimer = undefined;
  }

  // ---- group hooks ------------------------------------------------------------------------

  async assign(partitions: TopicPartition[]): Promise<void> {
    if (this.closing.signal.aborted) return;
    if (partitions.length) this.o.logger.info('Partitions assigned', { partitions: formatPartitions(partitions) });
    const added: PartitionState[] = [];
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      if (this.states.has(key)) continue;
      const s = new PartitionState(p.topic, p.partition);
      this.states.set(key, s);
      s.attached = true;
      added.push(s);
    }
    this.cluster.watchTopics(partitions.map((p) => p.topic));
    await this.listener.onPartitionsAssigned?.(partitions);
    this.publishRebalance('assigned', partitions);
    this.positions.resolve(added.filter((s) => s.reset !== null));
    this.fetcher.wake();
  }

  /**
   * Gives partitions up in an orderly way: their signals abort, in-flight handlers get until
   * `deadline` to return, processed offsets are committed, then the partitions are released. A
   * handler still running at the deadline has its partition released anyway (the rebalance cannot
   * wait forever, as Java's max.poll.interval.ms) but is treated as lost: what it finishes later is
   * not committed, and this consumer does not hand the partition to a new handler before it returns.
   */
  async revoke(partitions: TopicPartition[], reason: string, deadline?: number): Promise<void> {
    const states = this.detach(partitions, reason);
    if (states.length) this.o.logger.info('Partitions revoked', { partitions: formatPartitions(partitions), reason });
    const stuck = await this.waitIdle(states, deadline ?? Date.now() + this.o.rebalanceTimeoutMs);
    for (const s of stuck) s.lost = true;
    if (stuck.length) {
      this.o.logger.warn(
        'Handlers still running when their partitions were revoked; their results will not be committed',
        {
          partitions: formatPartitions(stuck),
        },
      );
    }
    if (this.o.autoCommit && states.length) {
      // A failed commit here loses nothing: the next owner starts from the last committed offset
      // and the records are redelivered. It must not block the rebalance.
      const timeoutMs = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
      await this.commit(this.pendingCommits(states), { timeoutMs }).catch((err) =>
        this.o.logger.warn('Commit on revoke failed; the next owner re-reads from the last commit', { error: err }),
      );
    }
    this.remove(states);
    await this.listener.onPartitionsRevoked?.(partitions);
    this.publishRebalance('revoked', partitions);
  }

  /** The partitions may already be someone else's: abort, wait (bounded) for handlers, commit nothing. */
  async lose(partitions: TopicPartition[], reason: string, deadline?: number): Promise<void> {
    const states = this.detach(partitions, reason);
    for (const s of states) s.lost = true;
    if (states.length) this.o.logger.warn('Partitions lost', { partitions: formatPartitions(partitions), reason });
    await this.waitIdle(states, deadline ?? Date.now() + this.o.rebalanceTimeoutMs);
    this.remove(states);
    if (partitions.length) await this.listener.onPartitionsLost?.(partitions);
    this.publishRebalance('lost', partitions);
  }

  private publishRebalance(kind: ConsumerRebalanceEvent['kind'], partitions: TopicPartition[]): void {
    if (!consumerRebalanceChannel.hasSubscribers) return;
    consumerRebalanceChannel.publish({
      clientId: this.o.clientId,
      groupId: this.o.groupId ?? '',
      kind,
      partitions: partitions.map(({ topic, partition }) => ({ topic, partition })),
    } satisfies ConsumerRebalanceEvent);
  }

  /** Stops fetching and delivering `partitions`, aborts their handlers' signals and drops buffered records. */
  private detach(partitions: TopicPartition[], reason: string): PartitionState[] {
    const states: PartitionState[] = [];
    for (const p of partitions) {
      const s = this.states.get(tpKey(p.topic, p.partition));
      if (!s) continue;
      // `revoking` (not a version bump) stops fetches and deliveries: the record whose handler is
      // running now still counts as processed when it returns in time, so the commit on revoke
      // covers it.
      s.revoking = true;
      if (s.holdTimer) clearTimeout(s.holdTimer);
      s.controller.abort(new AbortedError(`${s.topic}-${s.partition} was ${reason}`));
      this.ready.delete(s);
      this.fetcher.releaseChunks(s.dropBuffered());
      states.push(s);
    }
    return states;
  }

  private remove(states: PartitionState[]): void {
    for (const s of states) {
      if (this.states.get(s.key) === s) this.states.delete(s.key);
      s.attached = false;
      if (s.busy || s.inflight > 0) this.draining.set(s.key, s);
    }
  }

  /**
   * Waits until no handler works on `states` or `deadline` (ms since the epoch) passes; returns the
   * states still busy. Partitions in `exempt` are never waited for (their handler called close()).
   */
  async waitIdle(states: PartitionState[], deadline: number): Promise<PartitionState[]> {
    const busy = () => states.filter((s) => (s.busy || s.inflight > 0) && !this.exempt.has(s));
    while (busy().length && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return busy();
  }

  fatal(err: Error): void {
    this.fail(err);
  }

  // ---- positions --------------------------------------------------------------------------

  resetTarget(s: PartitionState, why: string): PartitionState['reset'] {
    if (this.o.autoOffsetReset === 'none') {
      this.fail(new NoOffsetError(s.topic, s.partition, why));
      return null;
    }
    return this.o.autoOffsetReset;
  }

  /** Aborts every partition's signal (the consumer is stopping). */
  abortHandlers(reason: string): void {
    for (const s of this.states.values()) s.controller.abort(new AbortedError(reason));
  }

  /**
   * Ends everything at once: background work, fetch loops, connections. What was still waiting on a
   * connection fails and unwinds by itself; nothing here waits for it.
   */
  close(): void {
    this.closing.abort();
    for (const s of this.states.values()) if (s.holdTimer) clearTimeout(s.holdTimer);
    this.stopAutoCommit();
    this.fetcher.stop().catch(() => {});
    this.cluster.close();
  }
}
