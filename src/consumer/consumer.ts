import { ConfigError } from '../errors.js';
import type { ConsumerGroupMetadata } from '../producer/types.js';
import { kafkaError } from '../protocol/errors.js';
import {
  checkListener,
  checkOffset,
  checkPartition,
  checkPartitions,
  checkRunOptions,
  checkSubscription,
  checkTimeout,
} from './arguments.js';
import { ConsumerCore, type RebalanceListener } from './core.js';
import { Delivery, type RunOptions } from './delivery.js';
import { IllegalStateError } from './errors.js';
import { ClassicGroupMember } from './group/classic.js';
import { ConsumerGroupMember } from './group/consumer-protocol.js';
import { NO_GENERATION } from './group/membership.js';
import type { CommittedOffset, OffsetToCommit } from './offsets.js';
import { type ConsumerOptions, resolveConsumerOptions } from './options.js';
import type { PartitionState } from './partition-state.js';
import { raceDeadline } from './race-deadline.js';
import type { ConsumerRecord } from './record.js';
import { sortPartitions, type TopicPartition, tpKey } from './topic-partition.js';

/** Where `seek()` moves a partition. */
export type SeekTarget =
  | { topic: string; partition: number; offset: number }
  | { topic: string; partition: number; timestamp: number }
  | { topic: string; partition: number; to: 'earliest' | 'latest' };

export interface CloseOptions {
  /** Longest to wait for in-flight handlers, the final commit and LeaveGroup. Default 30000. */
  timeoutMs?: number;
}

type State = 'idle' | 'running' | 'closing' | 'closed';

/**
 * A Kafka consumer: subscribe through a consumer group (or assign partitions by hand), then
 * `run()` a handler or iterate with `for await`. Offsets are committed only for records whose
 * handler finished; see docs/consumer.md for the guarantees.
 */
export class Consumer implements AsyncIterable<ConsumerRecord> {
  private readonly core: ConsumerCore;
  private delivery: Delivery | undefined;
  private subscription: { topics: string[] } | { pattern: RegExp } | undefined;
  private manual: TopicPartition[] | undefined;
  private state: State = 'idle';
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private assignChain: Promise<void> = Promise.resolve();
  /** Resolved when close() has finished: run() returns then, even if a handler ignoring its signal still runs. */
  private readonly closed = resolvable();

  constructor(options: ConsumerOptions) {
    this.core = new ConsumerCore(resolveConsumerOptions(options));
  }

  /**
   * Joins the consumer group for these topics (or every topic matching a RegExp). Calling it again
   * while running changes the subscription and rebalances.
   */
  subscribe(topics: string | string[] | RegExp, listener: RebalanceListener = {}): void {
    this.ensureOpen();
    const wanted = checkSubscription(topics);
    const checkedListener = checkListener(listener);
    if (!this.core.o.groupId) throw new ConfigError('groupId', 'subscribe() needs a groupId (or use assign())');
    if (this.manual)
      throw new IllegalStateError('assign() was already called; a consumer either subscribes or assigns');
    if (wanted instanceof RegExp) {
      this.subscription = { pattern: wanted };
      this.core.cluster.watchTopics(null);
    } else {
      this.subscription = { topics: wanted };
      this.core.cluster.watchTopics(wanted);
    }
    this.core.listener = checkedListener;
    this.core.membership?.requestRejoin('the subscription changed');
  }

  /** Consumes exactly these partitions, with no group membership (offsets still commit to `groupId` if set). */
  assign(partitions: TopicPartition[]): void {
    this.ensureOpen();
    if (this.subscription)
      throw new IllegalStateError('subscribe() was already called; a consumer either subscribes or assigns');
    this.manual = sortPartitions(checkPartitions(partitions, 'assign()'));
    if (this.state === 'running') this.reassign();
  }

  /**
   * Starts consuming and calls the handler for each record (`eachMessage`) or each fetched chunk
   * (`eachBatch`). Resolves when the consumer is closed (or `signal` aborts); rejects with the first
   * fatal error, e.g. a {@link HandlerError} — after committing what was processed and leaving the group.
   */
  async run(opts: RunOptions): Promise<void> {
    checkRunOptions(opts);
    const delivery = this.beginDelivery();
    if (opts.signal?.aborted) {
      // Aborted before it started: nothing to consume.
      await this.close();
      return;
    }
    const onAbort = () => this.close().catch(() => {});
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.start();
      await Promise.race([delivery.run(opts), this.closed.promise]);
    } catch (err) {
      // close() while still starting: what start-up was waiting for failed because we closed.
      const closedByUser = this.closePromise !== undefined && !this.core.failure;
      await this.close().catch(() => {});
      if (closedByUser) return;
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    await this.finishAfterDelivery();
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    const delivery = this.beginDelivery();
    const inner = delivery.iterator();
    let started = false;
    return {
      next: async () => {
        if (!started) {
          started = true;
          await this.start().catch(async (err) => {
            await this.close().catch(() => {});
            throw err;
          });
        }
        try {
          return await inner.next();
        } catch (err) {
          await this.finishAfterDelivery().catch(() => {});
          throw err;
        }
      },
      return: async () => inner.return!(),
    };
  }

  /** Moves a partition's position; records already buffered for it are dropped. */
  seek(target: SeekTarget): void {
    const { topic, partition } = checkPartition(target, 'seek');
    const s = this.requireState(topic, partition);
    if ('offset' in target) {
      const offset = checkOffset(target.offset, 'offset');
      this.core.fetcher.releaseChunks(s.seek(offset));
      s.processed = offset;
      this.core.fetcher.wake();
      return;
    }
    let reset: PartitionState['reset'];
    if ('timestamp' in target) reset = { timestamp: checkOffset(target.timestamp, 'timestamp') };
    else if ('to' in target && (target.to === 'earliest' || target.to === 'latest')) reset = target.to;
    else throw new ConfigError('seek', 'expected { offset }, { timestamp } or { to: "earliest" | "latest" }');
    this.core.fetcher.releaseChunks(s.dropBuffered());
    s.version++;
    s.position = -1;
    s.reset = reset;
    this.core.positions.resolve([s]);
  }

  /** Stops fetching and delivering these partitions until `resume()`. */
  pause(partitions: TopicPartition[]): void {
    for (const p of checkPartitions(partitions, 'pause()')) {
      const s = this.requireState(p.topic, p.partition);
      s.paused = true;
      this.core.ready.delete(s);
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const p of checkPartitions(partitions, 'resume()')) {
      const s = this.requireState(p.topic, p.partition);
      s.paused = false;
      this.core.markReady(s);
    }
    this.core.fetcher.wake();
  }

  paused(): TopicPartition[] {
    return sortPartitions(
      [...this.core.states.values()].filter((s) => s.paused).map(({ topic, partition }) => ({ topic, partition })),
    );
  }

  /**
   * The group identity to pass to `producer.sendOffsetsToTransaction({ consumerGroupMetadata })`, like
   * Java's `groupMetadata()`: the coordinator then rejects the offsets of a member whose generation is
   * over (KIP-447). Called from a handler (or a `for await` loop body), it is the generation that
   * handler's records were delivered in — as Java's is the generation of the last poll — so a handler
   * that outlived its partition cannot commit them with a newer generation. Elsewhere, the last
   * generation joined (kept after a fence or a leave, until the next join completes); -1 before the
   * first join. Handlers also get it as `ctx.groupMetadata`.
   */
  groupMetadata(): ConsumerGroupMetadata {
    const g = this.delivery?.callerGeneration() ?? this.core.membership?.generation() ?? NO_GENERATION;
    return {
      groupId: this.core.o.groupId ?? '',
      generationId: g.generationId,
      memberId: g.memberId,
      groupInstanceId: this.core.o.groupInstanceId ?? null,
    };
  }

  /** Partitions currently assigned to this consumer. */
  assignment(): TopicPartition[] {
    return sortPartitions([...this.core.states.values()].map(({ topic, partition }) => ({ topic, partition })));
  }

  /** Next offset to fetch for a partition (-1 while unresolved). */
  position(topic: string, partition: number): number {
    return this.requireState(topic, partition).position;
  }

  /**
   * Commits offsets and waits for the coordinator: by default the processed offsets of every
   * assigned partition; or exactly the given ones (offset = next record to read).
   */
  async commit(offsets?: OffsetToCommit[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    if (!this.core.offsets) throw new ConfigError('groupId', 'commit() needs a groupId');
    await this.core.commit(offsets ?? this.core.pendingCommits(), opts);
  }

  /** Like {@link Consumer.commit} without waiting; a failure is reported to `onError` if given. */
  commitAsync(offsets?: OffsetToCommit[], onError?: (err: Error) => void): void {
    this.core.commit(offsets ?? this.core.pendingCommits()).catch((err: Error) => onError?.(err));
  }

  /** The group's committed offsets for these partitions (absent = none committed). */
  async committed(
    partitions: TopicPartition[],
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Map<string, CommittedOffset>> {
    if (!this.core.offsets) throw new ConfigError('groupId', 'committed() needs a groupId');
    await this.core.cluster.connect(opts);
    return this.core.offsets.fetch(partitions, opts);
  }

  /**
   * Stops gracefully: no new fetches, in-flight handlers finish, processed offsets are committed,
   * and the consumer leaves the group (static members stay, by design), all within `timeoutMs`.
   */
  close(opts: CloseOptions = {}): Promise<void> {
    const timeoutMs = checkTimeout(opts?.timeoutMs, 'timeoutMs') ?? 30000;
    // Called from inside a handler (e.g. `if (done) await consumer.close()`), or while an iterator's
    // loop body holds a record: that code waits for us, so we must not wait for it.
    const exempt = this.delivery?.closeExempt();
    if (exempt?.size) {
      for (const s of exempt) this.core.exempt.add(s);
      this.core.notifyIdle();
    }
    this.closePromise ??= this.doClose(timeoutMs);
    return this.closePromise;
  }

  // ---- internals --------------------------------------------------------------------------

  private beginDelivery(): Delivery {
    this.ensureOpen();
    if (this.delivery) throw new IllegalStateError('The consumer is already running');
    if (!this.subscription && !this.manual)
      throw new IllegalStateError('Call subscribe() or assign() before consuming');
    this.delivery = new Delivery(this.core);
    return this.delivery;
  }

  private start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const core = this.core;
    this.state = 'running';
    await core.cluster.connect({ signal: core.closing.signal });
    if (this.subscription) {
      // Topics that do not exist yet are waited for (the leader assigns them once they appear), as
      // Java's consumer does; `allowAutoCreateTopics` lets the metadata requests create them.
      const o = core.o;
      if (o.groupProtocol === 'consumer') {
        const sub = this.subscription;
        core.membership = new ConsumerGroupMember(
          core.cluster,
          {
            groupId: o.groupId!,
            groupInstanceId: o.groupInstanceId ?? null,
            rebalanceTimeoutMs: o.rebalanceTimeoutMs,
            rackId: o.clientRack || null,
            remoteAssignor: o.groupRemoteAssignor ?? null,
            // The broker resolves a regex itself (RE2/J syntax), so topics created later join in.
            subscription: () => {
              const s = this.subscription ?? sub;
              return 'pattern' in s ? { regex: s.pattern.source } : { topics: s.topics };
            },
          },
          core,
        );
      } else
        core.membership = new ClassicGroupMember(
          core.cluster,
          {
            groupId: o.groupId!,
            groupInstanceId: o.groupInstanceId ?? null,
            sessionTimeoutMs: o.sessionTimeoutMs,
            rebalanceTimeoutMs: o.rebalanceTimeoutMs,
            heartbeatIntervalMs: o.heartbeatIntervalMs,
            assignors: o.assignors,
            rackId: o.clientRack || null,
            topics: () => this.subscribedTopics(),
          },
          core,
        );
      core.membership.start();
    } else {
      const first = this.applyManualAssignment();
      this.assignChain = first.catch(() => {});
      await first;
    }
    core.fetcher.start();
    core.startAutoCommit();
  }

  private subscribedTopics(): string[] {
    const sub = this.subscription;
    if (!sub) return [];
    if ('topics' in sub) return sub.topics;
    const out: string[] = [];
    for (const t of this.core.cluster.metadata.topics.values()) {
      if (!t.isInternal && t.errorCode === 0 && sub.pattern.test(t.name)) out.push(t.name);
    }
    return out.sort();
  }

  /** Applies assign() calls one at a time, in order: each works from what the previous one left. */
  private reassign(): void {
    const run = () => this.applyManualAssignment();
    this.assignChain = this.assignChain.then(run, run);
    this.assignChain.catch((err) => this.core.fail(err));
  }

  private async applyManualAssignment(): Promise<void> {
    const core = this.core;
    const wanted = this.manual ?? [];
    const keys = new Set(wanted.map((p) => tpKey(p.topic, p.partition)));
    const removed = [...core.states.values()].filter((s) => !keys.has(s.key));
    if (removed.length) await core.revoke(removed, 'assign() changed');
    const topics = [...new Set(wanted.map((p) => p.topic))];
    // A topic created moments ago may not have reached every broker yet: look again until the
    // deadline, then fail with the (retriable) error that says which partition is missing.
    await core.cluster.retry(
      'Looking up the assigned partitions',
      async () => {
        await core.cluster.refreshMetadata({ topics, signal: core.closing.signal });
        for (const p of wanted) {
          const info = core.cluster.metadata.topics.get(p.topic);
          if (!info || info.errorCode) throw kafkaError(info?.errorCode || 3, { topic: p.topic });
          if (!info.partitions[p.partition]) throw kafkaError(3, { topic: p.topic, partition: p.partition });
        }
      },
      { signal: core.closing.signal },
    );
    await core.assign(wanted.filter((p) => !core.states.has(tpKey(p.topic, p.partition))));
    core.fetcher.wake();
  }

  /** After delivery stops: close (commit, leave) and surface the failure, if any. */
  private async finishAfterDelivery(): Promise<void> {
    const failure = this.core.failure;
    await this.close();
    if (failure) throw failure;
  }

  private async doClose(timeoutMs: number): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    const core = this.core;
    const deadline = Date.now() + timeoutMs;
    this.delivery?.stop();
    // Every step is bounded by the deadline, and so is the whole: a step that overruns (a listener
    // of the application's, a broker that does not answer) is left behind, and closing the
    // connections below ends whatever it waits for.
    const steps = async () => {
      await core.waitIdle([...core.states.values()], deadline);
      core.stopAutoCommit();
      await raceDeadline(core.fetcher.stop(), deadline);
      if (core.membership) {
        await core.membership.stop(deadline);
      } else if (core.o.autoCommit && core.offsets) {
        await core
          .commit(core.pendingCommits(), { timeoutMs: Math.max(1, deadline - Date.now()) })
          .catch((err) => core.o.logger.warn('Final commit on close failed', { error: err }));
      }
    };
    await raceDeadline(steps(), deadline);
    if (Date.now() >= deadline) core.o.logger.warn('Close timed out; closing the connections now', { timeoutMs });
    core.close();
    this.state = 'closed';
    this.closed.resolve();
  }

  private ensureOpen(): void {
    if (this.state === 'closing' || this.state === 'closed') throw new IllegalStateError('The consumer is closed');
  }

  private requireState(topic: string, partition: number): PartitionState {
    const s = this.core.states.get(tpKey(topic, partition));
    if (!s) throw new IllegalStateError(`${topic}-${partition} is not assigned to this consumer`);
    return s;
  }
}

function resolvable(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
