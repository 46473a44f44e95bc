import { setMaxListeners } from 'node:events';
import type { Connection } from '../network/connection.js';
import { ClientClosedError, ConnectionError, RequestTimeoutError } from '../network/errors.js';
import { checkTimeout } from '../network/timeouts.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import { Metadata } from '../protocol/generated/metadata.js';
import { backoffDelay, sleep } from './backoff.js';
import { BrokerPool, type ConnectionPurpose } from './brokers.js';
import { Coordinators, type CoordinatorType } from './coordinators.js';
import { Deadline } from './deadline.js';
import { MetadataCache } from './metadata.js';
import type { BrokerAddress, ResolvedClientOptions } from './options.js';
import { FreshRequests } from './shared.js';

export interface RetryOptions {
  signal?: AbortSignal | undefined;
  /** Overall deadline; default `default.api.timeout.ms`. At most 2^31-1 ms. */
  timeoutMs?: number | undefined;
  /**
   * When the call this step belongs to started (Date.now()); default now. A call made of several steps
   * (connect, refresh metadata, then its own requests) passes the same value to each, so `timeoutMs`
   * bounds the whole call rather than each step.
   */
  startedAt?: number | undefined;
}

/**
 * The cluster as a client sees it: bootstrap, the metadata cache (refreshed on demand and every
 * `metadata.max.age.ms`), connections per broker and purpose, coordinators, and a retry loop with
 * backoff and an overall deadline that every operation goes through.
 */
export class Cluster {
  readonly pool: BrokerPool;
  readonly metadata = new MetadataCache();
  readonly coordinators: Coordinators;
  /** Metadata requests may create missing topics where the broker allows it (the producer's default, as in Java). */
  allowAutoTopicCreation = false;
  private readonly interest = new Set<string>();
  private interestAll = false;
  private readonly metadataRequests = new FreshRequests((signal) => this.fetchMetadata(signal));
  /** Aborted by close(), with a ClientClosedError: every operation in flight ends with it. */
  private readonly closing = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What the last metadata said about brokers with unusable addresses, to warn once per change. */
  private invalidBrokersSeen = '';

  constructor(readonly options: ResolvedClientOptions) {
    // One listener per call in flight (each call's Deadline): there may be thousands.
    setMaxListeners(0, this.closing.signal);
    this.pool = new BrokerPool(options);
    this.coordinators = new Coordinators(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Fetches metadata once from any reachable bootstrap broker, retrying until the deadline. */
  async connect(opts: RetryOptions = {}): Promise<void> {
    if (this.metadata.updatedAt > 0) return;
    await this.refreshMetadata(opts);
    this.timer ??= setInterval(
      () => {
        if (Date.now() - this.metadata.updatedAt >= this.options.metadataMaxAgeMs)
          this.refreshMetadata().catch(() => {});
      },
      Math.min(this.options.metadataMaxAgeMs, 30_000),
    );
    this.timer.unref();
  }

  /** Adds topics whose metadata every refresh fetches (`null` = all topics, for regex subscriptions). */
  watchTopics(topics: Iterable<string> | null): void {
    if (topics === null) this.interestAll = true;
    else for (const t of topics) this.interest.add(t);
  }

  unwatchTopics(topics: Iterable<string>): void {
    for (const t of topics) this.interest.delete(t);
  }

  /**
   * Refreshes metadata for the watched topics plus `topics`, retrying until the caller's deadline.
   * Concurrent calls share requests: a call arriving while one is in flight waits for it (it may not
   * include our topics) and then shares the next one with every call arriving meanwhile, so new
   * interest is never lost. Each call waits with its own deadline and signal.
   */
  async refreshMetadata(opts: RetryOptions & { topics?: readonly string[] } = {}): Promise<void> {
    if (opts.topics) this.watchTopics(opts.topics);
    await this.retry('Fetching metadata', (_attempt, signal) => this.metadataRequests.join(signal), opts);
  }

  private async fetchMetadata(signal: AbortSignal): Promise<void> {
    const topics = this.interestAll ? null : [...this.interest];
    const conn = await this.anyConnection('general', signal);
    const res = await conn.request(
      Metadata,
      {
        topics: topics === null ? null : topics.map((name) => ({ name })),
        allowAutoTopicCreation: this.allowAutoTopicCreation,
      },
      { signal },
    );
    if (res.errorCode) throw kafkaError(res.errorCode, { api: 'Metadata', broker: conn.broker });
    this.metadata.apply(res, topics);
    this.warnInvalidBrokers();
  }

  private warnInvalidBrokers(): void {
    const invalid = [...this.metadata.invalidBrokers].map(([id, why]) => `broker ${id} at ${why}`).join('; ');
    if (invalid === this.invalidBrokersSeen) return;
    this.invalidBrokersSeen = invalid;
    if (invalid) this.options.logger.warn(`Metadata lists brokers that cannot be connected to: ${invalid}`);
  }

  /** Address of a known broker; a retriable error when the node is not (yet) in the metadata. */
  brokerAddress(nodeId: number): BrokerAddress {
    const b = this.metadata.brokers.get(nodeId);
    if (!b) {
      const invalid = this.metadata.invalidBrokers.get(nodeId);
      if (invalid !== undefined) {
        throw new ConnectionError(
          'INVALID_BROKER_ADDRESS',
          `Broker ${nodeId} is advertised at ${invalid} and cannot be connected to`,
        );
      }
      throw new ConnectionError('UNKNOWN_BROKER', `Broker ${nodeId} is not in the cluster metadata`, {
        broker: String(nodeId),
      });
    }
    return b;
  }

  /** A connection to broker `nodeId`; rejects (never throws) when the node is unknown or unusable. */
  connectionTo(nodeId: number, purpose: ConnectionPurpose, signal?: AbortSignal): Promise<Connection> {
    try {
      return this.pool.get(this.brokerAddress(nodeId), purpose, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * A connection to any broker: known brokers first (random order), then the bootstrap list, so a
   * client whose every known broker moved can still rebootstrap (KIP-1102).
   */
  async anyConnection(purpose: ConnectionPurpose, signal?: AbortSignal): Promise<Connection> {
    const known = shuffle([...this.metadata.brokers.values()]);
    const candidates: BrokerAddress[] = [...known, ...shuffle([...this.options.brokers])];
    let last: unknown;
    for (const addr of candidates) {
      try {
        return await this.pool.get(addr, purpose, signal);
      } catch (err) {
        if (!isRetriableError(err)) throw err;
        last = err;
      }
    }
    throw last ?? new ConnectionError('CONNECTION_REFUSED', 'No broker reachable');
  }

  /** Leader node id of a partition, refreshing metadata once if it is unknown. */
  async leaderFor(topic: string, partition: number, signal?: AbortSignal): Promise<number> {
    let p = this.metadata.partition(topic, partition);
    if (!p || p.leader < 0) {
      await this.refreshMetadata({ topics: [topic], signal });
      p = this.metadata.partition(topic, partition);
    }
    const t = this.metadata.topics.get(topic);
    if (t?.errorCode) throw kafkaError(t.errorCode, { topic });
    if (!p) throw kafkaError(3, { topic, partition });
    if (p.leader < 0) throw kafkaError(5, { topic, partition });
    return p.leader;
  }

  /** Connection to the coordinator of `key` (group, transactional id or share group). */
  coordinatorConnection(
    type: CoordinatorType,
    key: string,
    signal?: AbortSignal,
    purpose: ConnectionPurpose = 'group',
  ): Promise<Connection> {
    return this.coordinators.connection(type, key, signal, purpose);
  }

  /**
   * Runs `fn` until it succeeds, a non-retriable error occurs, or the deadline passes. Between
   * attempts: exponential backoff with jitter, a metadata refresh when the error says leadership
   * moved, and a coordinator lookup when it says the coordinator moved (the callback re-resolves).
   */
  async retry<T>(
    what: string,
    fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
    opts: RetryOptions = {},
  ): Promise<T> {
    const deadline = this.deadline(what, opts);
    try {
      for (let attempt = 0; ; attempt++) {
        deadline.check();
        let last: unknown;
        try {
          // Raced against the deadline as well as given its signal: whatever the attempt waits on,
          // the call ends on time.
          return await deadline.race(fn(attempt, deadline.signal));
        } catch (err) {
          deadline.check();
          if (!isRetriableError(err)) throw err;
          last = err;
          deadline.lastError = err;
        }
        // Leadership moved, or a broker is unreachable (it may be gone): look again before retrying.
        const stale =
          (last instanceof KafkaError && last.refreshMetadata) ||
          last instanceof ConnectionError ||
          last instanceof RequestTimeoutError;
        if (stale && !what.startsWith('Fetching metadata')) {
          await this.refreshMetadata({ signal: deadline.signal }).catch(() => {});
        }
        const delay = backoffDelay(attempt, {
          initialMs: this.options.retryBackoffMs,
          maxMs: this.options.retryBackoffMaxMs,
        });
        const wait = Math.min(delay, deadline.remainingMs);
        if (wait > 0) await sleep(wait, deadline.signal).catch(() => {});
      }
    } finally {
      deadline.dispose();
    }
  }

  /**
   * The deadline of one call: `opts.timeoutMs` (default `default.api.timeout.ms`) from
   * `opts.startedAt`, ending early when `opts.signal` aborts or the client closes. Throws a
   * ConfigError for a timeout Node's timers cannot hold, and ClientClosedError after close().
   */
  deadline(what: string, opts: RetryOptions = {}): Deadline {
    const timeoutMs = checkTimeout('timeoutMs', opts.timeoutMs ?? this.options.defaultApiTimeoutMs);
    if (this.closed) throw new ClientClosedError();
    return new Deadline(timeoutMs, what, [opts.signal, this.closing.signal], opts.startedAt);
  }

  /**
   * Closes every connection. Every call in flight (connecting, waiting for a response, backing off,
   * waiting on a shared metadata or coordinator lookup) rejects at once with ClientClosedError, and so
   * does every later call.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.closing.abort(new ClientClosedError());
    this.pool.close();
  }
}

export function isRetriableError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
