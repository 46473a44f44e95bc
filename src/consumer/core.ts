import { Cluster } from '../cluster/cluster.js';
import { listOffsets, OffsetSpec } from '../cluster/list-offsets.js';
import { AbortedError } from '../network/errors.js';
import { CommitFailedError, NoOffsetError } from './errors.js';
import { Fetcher } from './fetcher.js';
import type { GroupHooks, GroupMembership } from './group/membership.js';
import { OffsetClient, type OffsetToCommit } from './offsets.js';
import type { ResolvedConsumerOptions } from './options.js';
import { PartitionState } from './partition-state.js';
import { formatPartitions, type TopicPartition, tpKey } from './topic-partition.js';

/** Rebalance listeners (may be async); the consumer waits for each before going on. */
export interface RebalanceListener {
  /** New partitions, before fetching starts: a good place to `seek()`. */
  onPartitionsAssigned?(partitions: TopicPartition[]): unknown;
  /** Partitions given up in an orderly way: their processed offsets were just committed (with auto-commit). */
  onPartitionsRevoked?(partitions: TopicPartition[]): unknown;
  /** Partitions lost (generation fenced, session expired): they may already belong to someone else; nothing was committed. */
  onPartitionsLost?(partitions: TopicPartition[]): unknown;
}

/**
 * The consumer's shared state: assigned partitions, the fetcher, commits, and the group hooks.
 * The public {@link Consumer} and the delivery loop both work on this.
 */
export class ConsumerCore implements GroupHooks {
  readonly cluster: Cluster;
  readonly states = new Map<string, PartitionState>();
  readonly fetcher: Fetcher;
  readonly offsets: OffsetClient | undefined;
  membership: GroupMembership | undefined;
  listener: RebalanceListener = {};
  /** Partitions with records ready and nobody working on them, in arrival order. */
  readonly ready = new Set<PartitionState>();
  private dataWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  /**
   * The partition whose handler is being called right now (synchronous part only). `close()` called
   * from there must not wait for that handler: the handler is waiting for `close()`.
   */
  callingHandler: PartitionState | undefined;
  /** The partition whose handler called `close()`; nothing waits for it to become idle. */
  closeCaller: PartitionState | undefined;
  /** How delivery decodes chunks (`isolation.level`, `check.crcs`). */
  readonly decodeOptions: { isolationLevel: 0 | 1; checkCrcs: boolean };
  /** First fatal error; the delivery loop stops and rethrows it. */
  failure: Error | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  private autoCommitTimer: NodeJS.Timeout | undefined;

  constructor(readonly o: ResolvedConsumerOptions) {
    this.cluster = new Cluster(o);
    this.offsets = o.groupId ? new OffsetClient(this.cluster, o.groupId) : undefined;
    this.decodeOptions = { isolationLevel: o.isolationLevel === 'read_committed' ? 1 : 0, checkCrcs: o.checkCrcs };
    this.fetcher = new Fetcher(
      this.cluster,
      {
        minBytes: o.fetchMinBytes,
        maxBytes: o.fetchMaxBytes,
        maxWaitMs: o.fetchMaxWaitMs,
        maxPartitionBytes: o.maxPartitionFetchBytes,
        isolationLevel: o.isolationLevel === 'read_committed' ? 1 : 0,
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
          this.resolvePositions([s]).catch((err) => this.fail(err));
        },
        onError: (err) => this.fail(err),
      },
    );
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
      if (s.busy || !s.deliverable || !this.states.has(s.key)) continue;
      s.busy = true;
      return s;
    }
    return undefined;
  }

  /** Returns a partition after a handler finished with it. */
  release(s: PartitionState): void {
    s.busy = false;
    if (s.deliverable && this.states.get(s.key) === s) this.ready.add(s);
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of idle) w();
    if (this.ready.size) this.markReady(s);
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

  /** Records that `record` and everything before it in its partition are done. */
  markProcessed(s: PartitionState, offset: number, leaderEpoch: number): void {
    s.processed = offset + 1;
    s.processedEpoch = leaderEpoch;
  }

  fail(err: Error): void {
    if (!this.failure) this.o.logger.error('Consumer stopping', { error: err });
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
      const identity = this.membership
        ? this.membership.commitIdentity()
        : { generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null };
      if (!identity) {
        throw new CommitFailedError(
          'Not committed: the consumer is between generations (rebalancing); records will be redelivered',
        );
      }
      await this.offsets.commit(offsets, identity, {
        ...opts,
        onFenced: (err) => this.membership?.onGenerationFenced(err, identity),
      });
      for (const o of offsets) {
        const s = this.states.get(tpKey(o.topic, o.partition));
        if (s) s.committed = o.offset;
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
    this.o.logger.info('Partitions assigned', { partitions: formatPartitions(partitions) });
    const added: PartitionState[] = [];
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      if (this.states.has(key)) continue;
      const s = new PartitionState(p.topic, p.partition);
      this.states.set(key, s);
      added.push(s);
    }
    this.cluster.watchTopics(partitions.map((p) => p.topic));
    await this.listener.onPartitionsAssigned?.(partitions);
    await this.resolvePositions(added.filter((s) => s.reset !== null));
  }

  async revoke(partitions: TopicPartition[], reason: string): Promise<void> {
    this.o.logger.info('Partitions revoked', { partitions: formatPartitions(partitions), reason });
    const states = this.detach(partitions);
    await this.waitIdle(states, this.o.rebalanceTimeoutMs);
    if (this.o.autoCommit) {
      // A failed commit here loses nothing: the next owner starts from the last committed offset
      // and the records are redelivered. It must not block the rebalance.
      await this.commit(this.pendingCommits(states)).catch((err) =>
        this.o.logger.warn('Commit on revoke failed; the next owner re-reads from the last commit', { error: err }),
      );
    }
    for (const s of states) this.states.delete(s.key);
    await this.listener.onPartitionsRevoked?.(partitions);
  }

  async lose(partitions: TopicPartition[], reason: string): Promise<void> {
    this.o.logger.warn('Partitions lost', { partitions: formatPartitions(partitions), reason });
    const states = this.detach(partitions);
    for (const s of states) this.states.delete(s.key);
    await this.listener.onPartitionsLost?.(partitions);
  }

  /** Stops fetching and delivering `partitions` and drops their buffered records. */
  private detach(partitions: TopicPartition[]): PartitionState[] {
    const states: PartitionState[] = [];
    for (const p of partitions) {
      const s = this.states.get(tpKey(p.topic, p.partition));
      if (!s) continue;
      // `revoking` (not a version bump) stops fetches and deliveries: the record whose handler is
      // running now must still count as processed when it returns, so the commit on revoke covers
      // it. With a bump, a graceful rebalance during an async handler left that record uncommitted
      // and the next owner processed it again.
      s.revoking = true;
      this.ready.delete(s);
      this.fetcher.releaseChunks(s.dropBuffered());
      states.push(s);
    }
    return states;
  }

  /** Waits until no handler works on `states` (bounded: a stuck handler cannot block a rebalance forever). */
  async waitIdle(all: PartitionState[], timeoutMs: number): Promise<void> {
    const states = all.filter((s) => s !== this.closeCaller);
    const deadline = Date.now() + timeoutMs;
    while (states.some((s) => s.busy) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
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

  /**
   * Resolves positions: committed offsets first (OffsetFetch), then the reset policy or a seek
   * target (ListOffsets). Fetching starts as each partition gets a position.
   */
  async resolvePositions(states: PartitionState[], signal?: AbortSignal): Promise<void> {
    const versions = new Map(states.map((s) => [s, s.version]));
    const wantCommitted = states.filter((s) => s.reset === 'committed');
    if (wantCommitted.length) {
      const committed = this.offsets ? await this.offsets.fetch(wantCommitted, { signal }) : new Map();
      for (const s of wantCommitted) {
        if (s.version !== versions.get(s) || s.reset !== 'committed') continue;
        const c = committed.get(s.key);
        if (c) {
          s.position = c.offset;
          s.lastFetchedEpoch = c.leaderEpoch;
          s.committed = c.offset;
          s.processed = c.offset;
          s.reset = null;
        } else {
          s.reset = this.resetTarget(s, 'no committed offset');
        }
      }
    }
    const queries = states.filter((s) => s.reset !== null && s.reset !== 'committed' && s.version === versions.get(s));
    if (queries.length) {
      const answers = await listOffsets(
        this.cluster,
        queries.map((s) => ({
          topic: s.topic,
          partition: s.partition,
          timestamp:
            s.reset === 'earliest'
              ? OffsetSpec.earliest
              : s.reset === 'latest'
                ? OffsetSpec.latest
                : (s.reset as { timestamp: number }).timestamp,
        })),
        { signal, isolationLevel: this.o.isolationLevel === 'read_committed' ? 1 : 0 },
      );
      const missing: typeof queries = [];
      for (const s of queries) {
        if (s.version !== versions.get(s) || s.reset === null) continue;
        const a = answers.get(s.key);
        if (!a) continue;
        if (a.offset < 0) {
          // No record at or after that timestamp: continue from the end.
          missing.push(s);
          s.reset = 'latest';
          continue;
        }
        this.fetcher.releaseChunks(s.seek(a.offset, -1));
        if (s.processed < 0) s.processed = a.offset;
      }
      if (missing.length) await this.resolvePositions(missing, signal);
    }
    this.fetcher.wake();
  }

  async close(): Promise<void> {
    this.stopAutoCommit();
    await this.fetcher.stop();
    this.cluster.close();
  }
}

export function abortError(signal: AbortSignal | undefined): AbortedError {
  return new AbortedError('The consumer was aborted', signal?.reason);
}
