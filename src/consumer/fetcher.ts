import { backoffDelay, sleep } from '../cluster/backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { type ConsumerFetchEvent, consumerFetchChannel, publishConsumerError } from '../observability/channels.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import { Fetch, type FetchResponse, type FetchResponsePartitionData } from '../protocol/generated/fetch.js';
import { ZERO_UUID } from '../protocol/reader.js';
import {
  PAST_HIGH_WATERMARK_REFETCHES,
  PastHighWatermarkError,
  partitionBackoff,
  RETRY_PARTITION,
  scanFetched,
} from './fetch-errors.js';
import { FetchSession, type SessionPartition, toForgotten, toTopics } from './fetch-session.js';
import type { FetchedChunk, FetchedFrame, PartitionState } from './partition-state.js';

/** How long a fetch may park while partitions wait only for their buffered chunks to be consumed. */
const BUSY_WAIT_MS = 20;

export interface FetcherOptions {
  /** `fetch.min.bytes` */
  minBytes: number;
  /** `fetch.max.bytes` */
  maxBytes: number;
  /** `fetch.max.wait.ms` */
  maxWaitMs: number;
  /** `max.partition.fetch.bytes` */
  maxPartitionBytes: number;
  /** 0 read_uncommitted, 1 read_committed (`isolation.level`). */
  isolationLevel: 0 | 1;
  /** Upper bound of fetched-but-undelivered bytes across all partitions. */
  maxBufferedBytes: number;
  /** `check.crcs` */
  checkCrcs: boolean;
  /** `client.rack` (KIP-392), '' for none. */
  rackId: string;
}

/** What the fetcher tells the consumer. */
export interface FetcherEvents {
  /** New records were queued on `state`. */
  onData(state: PartitionState): void;
  /** The position is out of range: resolve it with the reset policy. */
  onOutOfRange(state: PartitionState): void;
  /** An error the consumer must surface (corrupt batch, authorization failure). */
  onError(err: Error, state: PartitionState): void;
}

/**
 * One fetch loop per leader broker, each with its own incremental fetch session (KIP-227) on the
 * broker's `fetch` connection. A loop sends the next request as soon as the previous response is
 * decoded, so the next batch is in flight while the application works (prefetch), but only while
 * the bytes buffered and reserved across all loops are below `maxBufferedBytes` (DESIGN invariant 4).
 */
export class Fetcher {
  /** Bytes fetched and not yet released by the application. */
  buffered = 0;
  /** Bytes requested by fetches in flight (their responses may need this much room). */
  private reserved = 0;
  private readonly loops = new Map<number, Promise<void>>();
  private waiters: Array<() => void> = [];
  private running = false;
  private abort = new AbortController();
  /** Retries the metadata of partitions without a leader until one appears (Java's metadata backoff). */
  private leaderTimer: NodeJS.Timeout | undefined;
  private leaderAttempts = 0;
  /** Wakes the loops when the earliest per-partition backoff ends. */
  private backoffTimer: NodeJS.Timeout | undefined;
  private backoffAt = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly o: FetcherOptions,
    private readonly partitions: () => Iterable<PartitionState>,
    private readonly events: FetcherEvents,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.wake();
  }

  /** Re-evaluates what to fetch: call after assignment, seek, resume, or when the buffer drains. */
  wake(): void {
    if (!this.running) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    let leaderless = false;
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const s of this.partitions()) {
      if (!s.fetchable) {
        if (s.retryAt > Date.now() && s.retryAt < nextRetry) nextRetry = s.retryAt;
        continue;
      }
      const leader = this.cluster.metadata.partition(s.topic, s.partition)?.leader ?? -1;
      if (leader < 0 || !this.cluster.metadata.brokers.has(leader)) {
        leaderless = true;
        continue;
      }
      if (!this.loops.has(leader)) {
        const loop = this.runLoop(leader).finally(() => {
          this.loops.delete(leader);
          // Partitions may have moved to this broker while the loop was exiting.
          if (this.running) queueMicrotask(() => this.wake());
        });
        this.loops.set(leader, loop);
      }
    }
    if (nextRetry !== Number.POSITIVE_INFINITY) this.wakeAt(nextRetry);
    if (leaderless) this.awaitLeaders();
    else this.leaderAttempts = 0;
  }

  /** Wakes the loops at `at` (ms since the epoch), when a partition's backoff ends. */
  private wakeAt(at: number): void {
    if (this.backoffTimer && this.backoffAt <= at) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffAt = at;
    this.backoffTimer = setTimeout(
      () => {
        this.backoffTimer = undefined;
        this.wake();
      },
      Math.max(1, at - Date.now()),
    );
  }

  /**
   * Some assigned partition has no leader (an election in progress, a broker not yet in our
   * metadata): refresh the metadata on a timer, with backoff, until every partition has one.
   */
  private awaitLeaders(): void {
    if (this.leaderTimer) return;
    const delay = backoffDelay(this.leaderAttempts++, {
      initialMs: this.cluster.options.retryBackoffMs,
      maxMs: this.cluster.options.retryBackoffMaxMs,
    });
    this.leaderTimer = setTimeout(() => {
      this.cluster
        .refreshMetadata({ signal: this.abort.signal })
        .catch((err) =>
          this.cluster.options.logger.debug('Metadata refresh for leaderless partitions failed', { error: err }),
        )
        .finally(() => {
          this.leaderTimer = undefined;
          this.wake();
        });
    }, delay);
  }

  /** Sets what a chunk's decoded slice (and inflated batch) weighs in the buffer (released with the chunk). */
  setDecoded(chunk: FetchedChunk, bytes: number): void {
    if (chunk.released) return;
    const before = chunk.decodedBytes;
    this.buffered += bytes - before;
    chunk.decodedBytes = bytes;
    if (bytes < before) this.wake();
  }

  /** True when the buffer holds at least `maxBufferedBytes`: fetching waits. */
  get full(): boolean {
    return this.buffered >= this.o.maxBufferedBytes;
  }

  /**
   * The application is done with these chunks (delivered, or dropped by a seek or revocation). A
   * fetch response leaves the buffer when its last chunk is done.
   */
  releaseChunks(chunks: Iterable<FetchedChunk>): void {
    let freed = false;
    for (const c of chunks) {
      if (c.released) continue;
      c.released = true;
      c.data = null;
      c.decoder = null;
      c.records = null;
      if (c.decodedBytes) {
        this.buffered -= c.decodedBytes;
        freed = true;
      }
      if (--c.frame.pending === 0) {
        this.buffered -= c.frame.bytes;
        freed = true;
      }
    }
    if (freed) this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.leaderTimer) clearTimeout(this.leaderTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.leaderTimer = undefined;
    this.backoffTimer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    await Promise.allSettled([...this.loops.values()]);
  }

  private wakeLoops(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private waitForWake(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private targetsFor(nodeId: number): PartitionState[] {
    const out: PartitionState[] = [];
    for (const s of this.partitions()) {
      if (s.fetchable && this.cluster.metadata.partition(s.topic, s.partition)?.leader === nodeId) out.push(s);
    }
    return out;
  }

  /** Whether any assigned partition is led by `nodeId` (fetchable now or not). */
  private leads(nodeId: number): boolean {
    for (const s of this.partitions()) {
      if (!s.revoking && this.cluster.metadata.partition(s.topic, s.partition)?.leader === nodeId) return true;
    }
    return false;
  }

  private async runLoop(nodeId: number): Promise<void> {
    const session = new FetchSession();
    // Started by the first wake(): let the code that woke us finish first (seeking every assigned
    // partition in a loop, say), or the first fetch would ask for that one partition alone and, were
    // it caught up, park for fetch.max.wait.ms while the others wait.
    await undefined;
    for (let failures = 0; this.running; ) {
      const targets = this.targetsFor(nodeId);
      if (targets.length === 0) {
        if (!this.leads(nodeId)) return;
        await this.waitForWake();
        continue;
      }
      // The buffer is shared fairly: a loop reserves at most its share of it, so a broker whose fetch
      // is parked waiting for data (fetch.max.wait.ms) does not keep the others from fetching. No
      // more than the partitions asked for can return (max.partition.fetch.bytes each), either.
      const room = this.o.maxBufferedBytes - this.buffered - this.reserved;
      const share = Math.floor(this.o.maxBufferedBytes / Math.max(1, this.loops.size));
      const maxBytes = Math.min(this.o.maxBytes, room, share, targets.length * this.o.maxPartitionBytes);
      if (maxBytes <= 0) {
        await this.waitForWake();
        continue;
      }
      this.reserved += maxBytes;
      try {
        const t0 = Date.now();
        // Partitions of this broker left out only because their prefetched chunks are still being
        // consumed will want data again soon: a fetch parked for fetch.max.wait.ms (all it asks for is
        // caught up) would make them wait for it. Park briefly instead and ask again.
        const waitMs = this.waitingOnBuffer(nodeId) ? Math.min(this.o.maxWaitMs, BUSY_WAIT_MS) : this.o.maxWaitMs;
        const got = await this.fetchOnce(nodeId, session, targets, maxBytes, waitMs);
        failures = 0;
        // A broker parks an empty fetch for fetch.max.wait.ms; one that answers empty at once (or
        // with data we cannot use) must not have us asking again in a tight loop.
        if (!got && this.o.maxWaitMs > 0 && Date.now() - t0 < Math.min(10, this.o.maxWaitMs)) {
          await sleep(this.cluster.options.retryBackoffMs, this.abort.signal).catch(() => {});
        }
      } catch (err) {
        if (!this.running) return;
        session.reset();
        this.cluster.options.logger.debug('Fetch failed', { broker: nodeId, error: err });
        publishConsumerError(this.cluster.options.clientId, 'fetch', err);
        if (err instanceof KafkaError && !err.retriable) {
          for (const s of targets) this.events.onError(err, s);
          return;
        }
        await this.cluster.refreshMetadata({ signal: this.abort.signal }).catch(() => {});
        const delay = backoffDelay(failures++, {
          initialMs: this.cluster.options.retryBackoffMs,
          maxMs: this.cluster.options.retryBackoffMaxMs,
        });
        await sleep(delay, this.abort.signal).catch(() => {});
      } finally {
        this.reserved -= maxBytes;
        // Room another loop may be waiting for.
        if (this.waiters.length) this.wakeLoops();
      }
    }
  }

  /** Whether a deliverable partition of `nodeId` is not fetched only because its prefetch queue is full. */
  private waitingOnBuffer(nodeId: number): boolean {
    for (const s of this.partitions()) {
      if (s.prefetchFull && s.deliverable && this.cluster.metadata.partition(s.topic, s.partition)?.leader === nodeId) {
        return true;
      }
    }
    return false;
  }

  private async fetchOnce(
    nodeId: number,
    session: FetchSession,
    targets: PartitionState[],
    maxBytes: number,
    maxWaitMs: number,
  ) {
    const byKey = new Map<string, PartitionState>();
    const wanted: SessionPartition[] = [];
    for (const s of targets) {
      const meta = this.cluster.metadata.partition(s.topic, s.partition);
      const topicId = this.cluster.metadata.topics.get(s.topic)?.topicId ?? ZERO_UUID;
      byKey.set(`${topicId}\u0000${s.partition}`, s);
      byKey.set(`${s.topic}\u0000${s.partition}`, s);
      wanted.push({
        topic: s.topic,
        topicId,
        partition: s.partition,
        fetchOffset: s.position,
        maxBytes: this.o.maxPartitionBytes,
        currentLeaderEpoch: meta?.leaderEpoch ?? -1,
        lastFetchedEpoch: s.lastFetchedEpoch,
        version: s.version,
      });
    }
    const conn = await this.cluster.connectionTo(nodeId, 'fetch', this.abort.signal);
    const version = conn.apiVersions.pick(Fetch);
    // Fetch v13+ names topics by id only; fall back to v12 if an id is missing (as Java does).
    const useIds = version >= 13 && wanted.every((p) => p.topicId !== ZERO_UUID);
    const req = session.build(wanted);
    const started = performance.now();
    const res = await conn.request(
      Fetch,
      {
        replicaId: -1,
        maxWaitMs,
        minBytes: this.o.minBytes,
        maxBytes,
        isolationLevel: this.o.isolationLevel,
        sessionId: req.sessionId,
        sessionEpoch: req.sessionEpoch,
        topics: toTopics(req, useIds),
        forgottenTopicsData: toForgotten(req, useIds),
        rackId: this.o.rackId,
      },
      {
        maxVersion: useIds ? undefined : 12,
        timeoutMs: this.cluster.options.requestTimeoutMs + maxWaitMs,
        signal: this.abort.signal,
      },
    );
    const fetchMs = performance.now() - started;
    if (res.errorCode) {
      // FETCH_SESSION_ID_NOT_FOUND (70), INVALID_FETCH_SESSION_EPOCH (71), FETCH_SESSION_TOPIC_ID_ERROR (106):
      // start over with a full request.
      throw kafkaError(res.errorCode, { api: 'Fetch', broker: conn.broker });
    }
    session.onResponse(res.sessionId);
    let refresh = false;
    const frame: FetchedFrame = { bytes: 0, pending: 0 };
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const id = useIds ? t.topicId : t.topic;
        const asked = session.lookup(id, p.partitionIndex);
        const state = byKey.get(`${id}\u0000${p.partitionIndex}`);
        if (!asked || !state) continue;
        if (this.handlePartition(state, asked, p, frame)) refresh = true;
      }
    }
    this.buffered += frame.bytes;
    if (consumerFetchChannel.hasSubscribers) this.publishFetch(nodeId, fetchMs, res.responses, byKey, useIds);
    if (refresh) await this.cluster.refreshMetadata({ signal: this.abort.signal }).catch(() => {});
    return frame.pending > 0;
  }

  /** Each answered partition's high watermark and, after applying the answer, its fetch position. */
  private publishFetch(
    broker: number,
    durationMs: number,
    responses: FetchResponse['responses'],
    byKey: Map<string, PartitionState>,
    useIds: boolean,
  ): void {
    const partitions: ConsumerFetchEvent['partitions'] = [];
    for (const t of responses) {
      const id = useIds ? t.topicId : t.topic;
      for (const p of t.partitions) {
        const state = byKey.get(`${id}\u0000${p.partitionIndex}`);
        if (!state || p.highWatermark < 0n) continue;
        partitions.push({
          topic: state.topic,
          partition: state.partition,
          highWatermark: Number(p.highWatermark),
          position: state.position,
        });
      }
    }
    consumerFetchChannel.publish({
      clientId: this.cluster.options.clientId,
      broker,
      durationMs,
      partitions,
    } satisfies ConsumerFetchEvent);
  }

  /** A retriable partition error: the partition is not fetched again until its backoff ends. */
  private backOff(state: PartitionState, errorCode: number): void {
    const delay = partitionBackoff(state.fetchFailures++, this.cluster.options);
    state.retryAt = Date.now() + delay;
    this.wakeAt(state.retryAt);
    const log = errorCode === -1 || state.fetchFailures > 5 ? 'warn' : 'debug';
    const error = kafkaError(errorCode, { api: 'Fetch', topic: state.topic, partition: state.partition });
    this.cluster.options.logger[log]('Fetch of a partition failed; retrying', {
      partition: `${state.topic}-${state.partition}`,
      error,
      retryInMs: delay,
    });
    publishConsumerError(this.cluster.options.clientId, 'fetch-partition', error);
  }

  /** Applies one partition's answer. Returns true when metadata must be refreshed. */
  private handlePartition(
    state: PartitionState,
    asked: SessionPartition,
    p: FetchResponsePartitionData,
    frame: FetchedFrame,
  ): boolean {
    // A seek, reset or revocation since the request makes this data stale: drop it.
    if (state.version !== asked.version || state.position !== asked.fetchOffset || state.revoking) return false;
    state.highWatermark = Number(p.highWatermark);
    if (p.lastStableOffset >= 0n) state.lastStableOffset = Number(p.lastStableOffset);
    if (p.logStartOffset >= 0n) state.logStartOffset = Number(p.logStartOffset);
    if (p.errorCode === 1) {
      this.events.onOutOfRange(state);
      return false;
    }
    if (p.errorCode) {
      const retry = RETRY_PARTITION.get(p.errorCode);
      if (retry) {
        const leader = p.currentLeader;
        if (leader && leader.leaderId >= 0) {
          // KIP-951: the response names the new leader; move there without waiting for metadata.
          this.cluster.metadata.updateLeader(state.topic, state.partition, leader.leaderId, leader.leaderEpoch);
        }
        this.backOff(state, p.errorCode);
        return retry.refresh;
      }
      this.events.onError(
        kafkaError(p.errorCode, { api: 'Fetch', topic: state.topic, partition: state.partition }),
        state,
      );
      return false;
    }
    state.fetchFailures = 0;
    state.retryAt = 0;
    if (p.divergingEpoch && p.divergingEpoch.epoch >= 0) {
      // KIP-320: the log was truncated below our position (unclean leader election): go back to
      // where the new leader's log agrees with what we fetched.
      const end = Number(p.divergingEpoch.endOffset);
      this.releaseChunks(state.seek(Math.min(end, state.position), p.divergingEpoch.epoch));
      return false;
    }
    const records = p.records;
    if (!records || records.length === 0) return false;
    // Only the batch headers are read here; records are decoded when delivered.
    const scan = scanFetched(state, records, asked.fetchOffset, Number(p.highWatermark));
    if (scan instanceof Error) {
      // A stale high watermark (see PastHighWatermarkError): drop this answer and fetch again from
      // the same position; the next response reports a newer watermark.
      if (scan instanceof PastHighWatermarkError && state.pastHighWatermark++ < PAST_HIGH_WATERMARK_REFETCHES) {
        return false;
      }
      this.events.onError(scan, state);
      return false;
    }
    state.pastHighWatermark = 0;
    state.position = scan.nextOffset;
    state.lastFetchedEpoch = scan.lastEpoch;
    frame.bytes += records.length;
    frame.pending++;
    state.queue.push({
      data: records.subarray(0, scan.completeBytes),
      decoder: null,
      aborted: p.abortedTransactions,
      fetchOffset: asked.fetchOffset,
      nextOffset: scan.nextOffset,
      lastEpoch: scan.lastEpoch,
      records: null,
      error: undefined,
      next: 0,
      frame,
      decodedBytes: 0,
      released: false,
    });
    this.events.onData(state);
    return false;
  }
}
