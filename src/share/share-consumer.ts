import { AsyncLocalStorage } from 'node:async_hooks';
import { Cluster } from '../cluster/cluster.js';
import { checkSubscription, describe } from '../consumer/arguments.js';
import { IllegalStateError } from '../consumer/errors.js';
import type { TopicPartition } from '../consumer/topic-partition.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkTimeout } from '../network/timeouts.js';
import type { AcquiredChunk } from './chunk.js';
import { deliverChunk } from './delivery.js';
import { ShareFetcher } from './fetcher.js';
import { ShareGroupMember } from './membership.js';
import { resolveShareConsumerOptions, type ShareConsumerOptions } from './options.js';
import type { AcknowledgeType, ShareCommitResult, ShareRecord, ShareRunOptions } from './types.js';

const ACK_TYPES = new Set<AcknowledgeType>(['accept', 'release', 'reject', 'renew']);

type State = 'idle' | 'running' | 'closing' | 'closed';

/**
 * A member of a share group (KIP-932, "queues for Kafka"): many members read the same partitions,
 * the broker hands each record to one of them at a time, and each record is acknowledged on its own —
 * accepted, released for redelivery (with its delivery count raised), rejected, or renewed. See
 * docs/share-groups.md.
 */
export class ShareConsumer implements AsyncIterable<ShareRecord> {
  private readonly o: ReturnType<typeof resolveShareConsumerOptions>;
  private readonly cluster: Cluster;
  readonly fetcher: ShareFetcher;
  private readonly member: ShareGroupMember;
  private topics: string[] = [];
  private state: State = 'idle';
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private delivering = false;
  /** Chunks fetched and not yet handed to the application. */
  private readonly ready: AcquiredChunk[] = [];
  /** The chunk the application is working on. */
  private current: AcquiredChunk | undefined;
  private waiter: (() => void) | undefined;
  /** True while run()'s handler works on {@link current}: close() waits for it. */
  private inHandler = false;
  /** Set inside run()'s handlers: a close() called from one must not wait for it. */
  private readonly handlerScope = new AsyncLocalStorage<true>();
  private failure: Error | undefined;

  constructor(options: ShareConsumerOptions) {
    this.o = resolveShareConsumerOptions(options);
    this.cluster = new Cluster(this.o);
    this.member = new ShareGroupMember(
      this.cluster,
      { groupId: this.o.groupId, rackId: this.o.clientRack || null, subscription: () => this.topics },
      {
        assign: (partitions) => this.fetcher.assign(partitions),
        lost: (reason) => {
          // Drop what was fetched but not delivered, abort the handler's signal; acks would be rejected.
          this.ready.length = 0;
          this.fetcher.dropAll(`the member lost its records (${reason})`);
        },
        fatal: (err) => this.fail(err),
      },
    );
    this.fetcher = new ShareFetcher(this.cluster, this.o, () => this.member.memberId, {
      onChunks: (chunks) => {
        this.ready.push(...chunks);
        this.notify();
      },
      onFatal: (err) => this.fail(err),
    });
  }

  /** The share group this consumer is a member of. */
  get groupId(): string {
    return this.o.groupId;
  }

  get mode(): 'implicit' | 'explicit' {
    return this.o.acknowledgementMode;
  }

  get logger(): Logger {
    return this.cluster.options.logger;
  }

  get stopping(): boolean {
    return this.state === 'closing' || this.state === 'closed' || this.failure !== undefined;
  }

  /** The member id this consumer joined with (a UUID it generated). */
  get memberId(): string {
    return this.member.memberId;
  }

  /** Subscribes to these topics (replacing the previous subscription); the broker assigns partitions. */
  subscribe(topics: string | string[]): void {
    this.ensureOpen();
    const wanted = checkSubscription(topics);
    if (wanted instanceof RegExp)
      throw new ConfigError('topics', 'share groups subscribe to topic names, not patterns');
    this.topics = wanted;
    this.cluster.watchTopics(wanted);
    this.member.subscriptionChanged();
  }

  /** Subscribes to nothing: the member stays in the group with no partitions. */
  unsubscribe(): void {
    this.ensureOpen();
    this.topics = [];
    this.member.subscriptionChanged();
  }

  subscription(): string[] {
    return [...this.topics];
  }

  /** The partitions the broker currently assigns this member (it shares each with other members). */
  assignment(): TopicPartition[] {
    return this.fetcher.assigned();
  }

  /**
   * Acknowledges a delivered record (default 'accept'). Accept, release and reject are final and are
   * sent with the next ShareFetch or by commit(); renew is sent at once and keeps the record held.
   * A record the member lost (fenced) or gave back at close is ignored: the broker redelivers it.
   */
  acknowledge(record: ShareRecord, type: AcknowledgeType = 'accept'): void {
    if (!ACK_TYPES.has(type))
      throw new ConfigError('type', `expected 'accept', 'release', 'reject' or 'renew', got ${describe(type)}`);
    if (typeof record !== 'object' || record === null)
      throw new ConfigError('record', `expected a record, got ${describe(record)}`);
    this.fetcher.acknowledge(record, type);
  }

  /** Sends the pending acknowledgements now; resolves with the outcome per partition (errors included, not thrown). */
  async commit(): Promise<ShareCommitResult[]> {
    if (this.state === 'closed') throw new IllegalStateError('commit(): the share consumer is closed');
    return this.fetcher.commit();
  }

  /** commit() in the background; `onError` gets the first failure (a failed request or partition). */
  commitAsync(onError?: (err: Error) => void): void {
    this.commit().then(
      (results) => {
        const failed = results.find((r) => r.error);
        if (failed?.error) onError?.(failed.error);
      },
      (err) => onError?.(err as Error),
    );
  }

  /**
   * Joins the group and calls the handler for each record (`eachMessage`) or each partition's records
   * of one fetch (`eachBatch`), one call at a time. Resolves when the consumer is closed (or `signal`
   * aborts); rejects with an error that stops the consumer (e.g. a ShareGroupUnsupportedError, an
   * authorization failure), after closing.
   */
  async run(opts: ShareRunOptions): Promise<void> {
    checkRunOptions(opts);
    this.beginDelivery();
    if (opts.signal?.aborted) {
      await this.close();
      return;
    }
    const onAbort = () => this.close().catch(() => {});
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.start();
      for (let chunk = await this.nextChunk(); chunk; chunk = await this.nextChunk()) {
        this.current = chunk;
        this.inHandler = true;
        try {
          await this.handlerScope.run(true, () => deliverChunk(this, chunk, opts));
        } finally {
          this.inHandler = false;
          this.current = undefined;
        }
      }
    } catch (err) {
      this.failure ??= err as Error;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    await this.close().catch(() => {});
    if (this.failure) throw this.failure;
  }

  /**
   * Iterates the records one at a time. Implicit mode: asking for the next record accepts the previous
   * one (unless it was acknowledged); explicit mode: asking for the next record with the previous one
   * unacknowledged throws an IllegalStateError. Leaving the loop (break, throw) releases the record in
   * hand and closes the consumer.
   */
  [Symbol.asyncIterator](): AsyncIterator<ShareRecord> {
    this.beginDelivery();
    let chunk: AcquiredChunk | undefined;
    let index = 0;
    let last: ShareRecord | undefined;
    const settleLast = () => {
      if (!last || !chunk || chunk.abandoned || chunk.isSettled(last)) return;
      if (this.mode === 'implicit') this.fetcher.acknowledge(last, 'accept');
      else
        throw new IllegalStateError(
          `acknowledgementMode is 'explicit': acknowledge ${last.topic}-${last.partition} offset ${last.offset} before asking for the next record`,
        );
    };
    return {
      next: async () => {
        settleLast();
        last = undefined;
        await this.start();
        for (;;) {
          while (chunk && index < chunk.records.length && !chunk.abandoned && !this.stopping) {
            const r = chunk.records[index++]!;
            if (chunk.isSettled(r)) continue;
            last = r;
            return { value: r, done: false };
          }
          this.current = undefined;
          chunk = await this.nextChunk();
          index = 0;
          if (!chunk) {
            if (this.failure) {
              await this.close().catch(() => {});
              throw this.failure;
            }
            return { value: undefined, done: true };
          }
          this.current = chunk;
        }
      },
      return: async () => {
        if (last && chunk && !chunk.abandoned && !chunk.isSettled(last)) this.fetcher.acknowledge(last, 'release');
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Stops: waits (up to `timeoutMs`, default 30000) for the handler in progress, releases every record
   * still held — at once, not after the lock timeout — sends the pending acknowledgements and closes
   * the share sessions (epoch -1), then leaves the group (epoch -1).
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs === undefined ? 30000 : checkTimeout('timeoutMs', opts.timeoutMs);
    const fromHandler = this.handlerScope.getStore() === true;
    this.closePromise ??= this.doClose(Date.now(), timeoutMs, fromHandler);
    return this.closePromise;
  }

  private async doClose(started: number, timeoutMs: number, fromHandler: boolean): Promise<void> {
    const wasIdle = this.state === 'idle';
    const deadline = started + timeoutMs;
    this.state = 'closing';
    this.fetcher.halt();
    this.notify();
    try {
      if (!wasIdle && this.startPromise) {
        await this.startPromise.catch(() => {});
        // Handlers should give up now; the one in progress may still finish (and settle its records)
        // while at least half of the time (or 5 s) is left for releasing and leaving. A close() called
        // from the handler does not wait for it: that record is released.
        for (const c of [...this.ready, ...(this.current ? [this.current] : [])]) c.controller.abort();
        if (!fromHandler) await waitUntil(() => !this.inHandler, deadline - Math.min(5000, timeoutMs / 2));
        const held = [...this.ready];
        if (this.current) held.push(this.current);
        this.ready.length = 0;
        const results = await this.fetcher.close(held, deadline);
        for (const c of held) {
          c.abandoned = true; // a handler still running past the timeout: its acks are moot now
          c.controller.abort();
        }
        this.fetcher.ackResults(results);
        await this.member.stop(deadline);
      }
    } finally {
      this.state = 'closed';
      this.cluster.close();
      this.notify();
    }
  }

  private beginDelivery(): void {
    this.ensureOpen();
    if (this.delivering)
      throw new IllegalStateError('run() or iteration is already in progress on this share consumer');
    if (this.topics.length === 0) throw new IllegalStateError('subscribe() to topics before run() or iterating');
    this.delivering = true;
  }

  private start(): Promise<void> {
    this.startPromise ??= (async () => {
      this.state = 'running';
      await this.cluster.connect();
      await this.cluster.refreshMetadata({ topics: this.topics }).catch(() => {});
      this.warnMissingTopics();
      this.member.start();
      this.fetcher.start();
    })();
    return this.startPromise;
  }

  private warnMissingTopics(): void {
    for (const t of this.topics) {
      const info = this.cluster.metadata.topics.get(t);
      if (!info || info.errorCode)
        this.logger.warn('Subscribed topic does not exist (yet); the share group assigns it once it does', {
          group: this.o.groupId,
          topic: t,
        });
    }
  }

  /** Stops the consumer with `err` (run() rejects with it once closed). */
  fail(err: Error): void {
    if (this.failure || this.state === 'closed') return;
    this.failure = err;
    this.fetcher.halt();
    this.logger.error('Share consumer stopping', { group: this.o.groupId, error: err });
    this.notify();
  }

  private notify(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next chunk to deliver, or undefined once the consumer stops. */
  private async nextChunk(): Promise<AcquiredChunk | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const chunk = this.ready.shift();
      if (chunk) {
        if (chunk.abandoned) continue;
        return chunk;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private ensureOpen(): void {
    if (this.state === 'closing' || this.state === 'closed')
      throw new IllegalStateError('the share consumer is closed');
  }
}

function checkRunOptions(opts: unknown): asserts opts is ShareRunOptions {
  if (typeof opts !== 'object' || opts === null)
    throw new ConfigError('run', `expected { eachMessage } or { eachBatch }, got ${describe(opts)}`);
  const o = opts as Record<string, unknown>;
  const m = o.eachMessage !== undefined;
  const b = o.eachBatch !== undefined;
  if (m === b) throw new ConfigError('run', 'pass exactly one of eachMessage and eachBatch');
  if (m && typeof o.eachMessage !== 'function')
    throw new ConfigError('eachMessage', `expected a function, got ${describe(o.eachMessage)}`);
  if (b && typeof o.eachBatch !== 'function')
    throw new ConfigError('eachBatch', `expected a function, got ${describe(o.eachBatch)}`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new ConfigError('signal', `expected an AbortSignal, got ${describe(o.signal)}`);
}

async function waitUntil(cond: () => boolean, deadline: number): Promise<void> {
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
