import type { Cluster } from '../cluster/cluster.js';
import type { Connection } from '../network/connection.js';
import { type KafkaError, kafkaError } from '../protocol/errors.js';
import { ShareAcknowledge, type ShareAcknowledgeResponse } from '../protocol/generated/share-acknowledge.js';
import {
  ShareFetch,
  type ShareFetchResponse,
  type ShareFetchResponsePartitionData,
} from '../protocol/generated/share-fetch.js';
import {
  type AckBatch,
  failedResults,
  type PartitionAcks,
  PendingAcks,
  reportedOffsets,
  toAckBatches,
} from './acks.js';
import { AcquiredChunk } from './chunk.js';
import { decodeAcquired } from './decode.js';
import { ShareAcknowledgeError, ShareGroupFatalError, ShareGroupUnsupportedError } from './errors.js';
import type { ResolvedShareConsumerOptions } from './options.js';
import { CLOSE_EPOCH, type SessionPartition, ShareSession } from './session.js';
import { ACK_CODES, type ShareCommitResult } from './types.js';

const SESSION_ERRORS = new Set([122, 123, 133]); // SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH, SHARE_SESSION_LIMIT_REACHED

/** What a link needs from the fetcher that owns it. */
export interface LinkOwner {
  readonly cluster: Cluster;
  readonly o: ResolvedShareConsumerOptions;
  readonly memberId: () => string;
  /** Outcome of acknowledgements sent in the background. */
  ackResults(results: ShareCommitResult[]): void;
  /** A partition-level fetch error: retriable ones back off, others stop the consumer. */
  partitionError(err: KafkaError, retriable: boolean): void;
  /** A batch that could not be decoded (its records were released). */
  decodeError(err: Error): void;
}

/** What one ShareFetch returned. */
export interface FetchOutcome {
  chunks: AcquiredChunk[];
  /** Some partition asked for a metadata refresh (moved leader, unknown topic id). */
  refresh: boolean;
}

/**
 * Everything this member does with one broker: its share session, the acknowledgements waiting to be
 * sent there, and the chunks it still holds from there. Requests to one broker are strictly one at a
 * time ({@link BrokerLink.exclusive}): each carries the session's next epoch, so a commit's
 * ShareAcknowledge must not overtake the fetch loop's ShareFetch, or the other way round.
 */
export class BrokerLink {
  readonly session = new ShareSession();
  readonly pending = new PendingAcks();
  /** Renew acknowledgements waiting to be sent (they go at once, in their own request). */
  readonly renews = new PendingAcks();
  /** Chunks from this broker with records not yet settled (queued or in the application's hands). */
  readonly held = new Set<AcquiredChunk>();
  /** ShareAcknowledge version this broker speaks (0 until the first connection). */
  ackVersion = 0;
  /** Bumped by {@link drop}: an answer to a request sent before it is stale. */
  private generation = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private renewQueued = false;

  constructor(
    readonly nodeId: number,
    private readonly f: LinkOwner,
  ) {}

  /** Runs `fn` after every request queued before it on this broker. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async connection(signal?: AbortSignal): Promise<Connection> {
    const conn = await this.f.cluster.connectionTo(this.nodeId, 'fetch', signal);
    if ((conn.apiVersions.highest(ShareFetch) ?? -1) < 1) {
      throw new ShareGroupFatalError(
        this.f.o.groupId,
        new ShareGroupUnsupportedError(this.f.o.groupId, conn.broker, 'it does not offer ShareFetch v1'),
      );
    }
    this.ackVersion = conn.apiVersions.highest(ShareAcknowledge) ?? 0;
    return conn;
  }

  /** The member lost what it holds here: abandon the chunks, fail the pending acks, start a new session. */
  drop(reason: string): void {
    this.generation++;
    for (const c of this.held) {
      c.abandoned = true;
      c.controller.abort(new ShareAcknowledgeError(c.topic, c.partition, reason));
    }
    this.held.clear();
    this.failPending(this.pending.take(), reason);
    this.failPending(this.renews.take(), reason);
    this.session.reset();
  }

  private failPending(list: PartitionAcks[], reason: string, cause?: unknown): void {
    const results = failedResults(list, (p) => new ShareAcknowledgeError(p.topic, p.partition, reason, cause));
    if (results.length) this.f.ackResults(results);
  }

  /** One ShareFetch for `targets`, carrying the pending acknowledgements of partitions in the session. */
  async fetch(targets: SessionPartition[], signal: AbortSignal): Promise<FetchOutcome> {
    const o = this.f.o;
    const conn = await this.connection(signal);
    const generation = this.generation;
    const { added, forgotten } = this.session.build(targets);
    // An opening request may not carry acknowledgements (the broker answers INVALID_REQUEST): they
    // wait for the next one, or go with a commit.
    const acks = this.session.epoch === 0 ? [] : this.pending.take((p) => this.session.has(p.topic, p.partition));
    const byTopic = new Map<string, Map<number, AckBatch[]>>();
    const put = (topicId: string, partition: number, batches: AckBatch[]) => {
      let t = byTopic.get(topicId);
      if (!t) byTopic.set(topicId, (t = new Map()));
      t.set(partition, batches);
    };
    for (const p of added) put(p.topicId, p.partition, []);
    for (const a of acks) put(a.topicId, a.partition, toAckBatches(a.acks));
    const forgottenByTopic = new Map<string, number[]>();
    for (const p of forgotten) {
      const list = forgottenByTopic.get(p.topicId) ?? [];
      list.push(p.partition);
      forgottenByTopic.set(p.topicId, list);
    }
    let res: ShareFetchResponse;
    try {
      res = await conn.request(
        ShareFetch,
        {
          groupId: o.groupId,
          memberId: this.f.memberId(),
          shareSessionEpoch: this.session.epoch,
          maxWaitMs: o.fetchMaxWaitMs,
          minBytes: o.fetchMinBytes,
          maxBytes: o.fetchMaxBytes,
          maxRecords: o.maxPollRecords,
          batchSize: o.maxPollRecords,
          shareAcquireMode: o.shareAcquireMode === 'record_limit' ? 1 : 0,
          isRenewAck: false,
          topics: [...byTopic].map(([topicId, parts]) => ({
            topicId,
            partitions: [...parts].map(([partitionIndex, acknowledgementBatches]) => ({
              partitionIndex,
              acknowledgementBatches,
            })),
          })),
          forgottenTopicsData: [...forgottenByTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
        },
        { timeoutMs: this.f.cluster.options.requestTimeoutMs + o.fetchMaxWaitMs, signal },
      );
    } catch (err) {
      // Whether the broker saw it is unknown: start a new session; the acks may or may not have applied.
      this.session.reset();
      this.failPending(acks, 'the ShareFetch carrying them failed', err);
      throw err;
    }
    if (generation !== this.generation) {
      // Dropped (fenced) meanwhile: what this acquired is not delivered; hand it back with the next request.
      if (!res.errorCode) {
        this.f.ackResults(this.ackOutcome(acks, res.responses, (p) => p.acknowledgeErrorCode, 'ShareFetch'));
        for (const c of this.acquired(res.responses, res.acquisitionLockTimeoutMs).chunks) {
          this.held.delete(c);
          c.abandoned = true;
          for (const r of c.records) this.pending.add(c.topic, c.partition, c.topicId, r.offset, ACK_CODES.release);
        }
      }
      return { chunks: [], refresh: false };
    }
    if (res.errorCode) {
      const err = kafkaError(res.errorCode, {
        api: 'ShareFetch',
        broker: conn.broker,
        serverMessage: res.errorMessage ?? undefined,
      });
      this.session.reset();
      this.failPending(acks, `ShareFetch failed with ${err.code}`, err);
      if (SESSION_ERRORS.has(res.errorCode)) return { chunks: [], refresh: false };
      throw err;
    }
    this.session.advance();
    this.f.ackResults(this.ackOutcome(acks, res.responses, (p) => p.acknowledgeErrorCode, 'ShareFetch'));
    return this.acquired(res.responses, res.acquisitionLockTimeoutMs);
  }

  /** Turns each partition's records and acquired ranges into chunks (gaps and undecodable records are acknowledged). */
  private acquired(
    responses: { topicId: string; partitions: ShareFetchResponsePartitionData[] }[],
    lockTimeoutMs: number,
  ): FetchOutcome {
    const cluster = this.f.cluster;
    const out: FetchOutcome = { chunks: [], refresh: false };
    for (const t of responses) {
      const topic = cluster.metadata.topicNamesById.get(t.topicId);
      for (const p of t.partitions) {
        if (topic === undefined) {
          out.refresh = true;
          continue;
        }
        if (p.currentLeader && p.currentLeader.leaderId >= 0 && p.currentLeader.leaderId !== this.nodeId) {
          cluster.metadata.updateLeader(topic, p.partitionIndex, p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
        }
        if (p.errorCode) {
          const err = kafkaError(p.errorCode, {
            api: 'ShareFetch',
            topic,
            partition: p.partitionIndex,
            serverMessage: p.errorMessage ?? undefined,
          });
          if (err.refreshMetadata) out.refresh = true;
          this.f.partitionError(err, err.retriable);
          continue;
        }
        if (p.acquiredRecords.length === 0) continue;
        let decoded: ReturnType<typeof decodeAcquired>;
        try {
          decoded = decodeAcquired(topic, p.partitionIndex, p.records, p.acquiredRecords, {
            checkCrcs: this.f.o.checkCrcs,
            maxBatchBytes: this.f.o.maxBufferedBytes,
          });
        } catch (err) {
          // Acquired ranges that make no sense: nothing can be delivered or acknowledged; the locks expire.
          this.f.decodeError(err as Error);
          continue;
        }
        for (const g of decoded.gaps) this.pending.add(topic, p.partitionIndex, t.topicId, g, ACK_CODES.gap);
        for (const u of decoded.undecodable) this.pending.add(topic, p.partitionIndex, t.topicId, u, ACK_CODES.release);
        if (decoded.error) this.f.decodeError(decoded.error);
        if (decoded.records.length === 0) continue;
        const chunk = new AcquiredChunk(
          this.nodeId,
          topic,
          p.partitionIndex,
          t.topicId,
          decoded.records,
          lockTimeoutMs,
        );
        this.held.add(chunk);
        out.chunks.push(chunk);
      }
    }
    return out;
  }

  /** Results for acknowledgements sent in one request, from the response's per-partition error codes. */
  private ackOutcome<P extends { partitionIndex: number }>(
    sent: PartitionAcks[],
    responses: { topicId: string; partitions: P[] }[],
    code: (p: P) => number,
    api: string,
  ): ShareCommitResult[] {
    if (sent.length === 0) return [];
    const errors = new Map<string, number>();
    for (const t of responses) for (const p of t.partitions) errors.set(`${t.topicId}:${p.partitionIndex}`, code(p));
    return sent
      .map((a) => {
        const c = errors.get(`${a.topicId}:${a.partition}`) ?? 0;
        return {
          topic: a.topic,
          partition: a.partition,
          offsets: reportedOffsets(a.acks),
          error: c ? kafkaError(c, { api, topic: a.topic, partition: a.partition }) : null,
        };
      })
      .filter((r) => r.offsets.length > 0 || r.error !== null);
  }

  /**
   * Sends the pending acknowledgements in a ShareAcknowledge (call inside {@link exclusive}); with
   * `close`, with epoch -1, which also closes the session and makes the broker release whatever the
   * member still holds here.
   */
  async acknowledge(
    opts: { close?: boolean; signal?: AbortSignal; renew?: boolean } = {},
  ): Promise<ShareCommitResult[]> {
    const source = opts.renew ? this.renews : this.pending;
    if (!this.session.isOpen) {
      if (opts.close) this.session.reset();
      if (source.size === 0) return [];
      if (!opts.close) await this.openEmpty(opts.signal);
      if (!this.session.isOpen) {
        const list = source.take();
        const results = failedResults(
          list,
          (p) => new ShareAcknowledgeError(p.topic, p.partition, 'no share session is open with the broker'),
        );
        return results;
      }
    }
    if (source.size === 0 && !opts.close) return [];
    // Connect before taking the acknowledgements: a failure here leaves them pending, not lost.
    const conn = await this.connection(opts.signal);
    const acks = source.take();
    const generation = this.generation;
    const byTopic = new Map<string, { partitionIndex: number; acknowledgementBatches: AckBatch[] }[]>();
    for (const a of acks) {
      const list = byTopic.get(a.topicId) ?? [];
      list.push({ partitionIndex: a.partition, acknowledgementBatches: toAckBatches(a.acks) });
      byTopic.set(a.topicId, list);
    }
    const epoch = opts.close ? CLOSE_EPOCH : this.session.epoch;
    let res: ShareAcknowledgeResponse;
    try {
      res = await conn.request(
        ShareAcknowledge,
        {
          groupId: this.f.o.groupId,
          memberId: this.f.memberId(),
          shareSessionEpoch: epoch,
          isRenewAck: opts.renew === true,
          topics: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
        },
        { timeoutMs: this.f.cluster.options.requestTimeoutMs, signal: opts.signal },
      );
    } catch (err) {
      this.session.reset();
      return failedResults(
        acks,
        (p) => new ShareAcknowledgeError(p.topic, p.partition, 'ShareAcknowledge failed', err),
      );
    }
    if (opts.close || res.errorCode) this.session.reset();
    else if (generation === this.generation) this.session.advance();
    if (res.errorCode) {
      const err = kafkaError(res.errorCode, {
        api: 'ShareAcknowledge',
        broker: conn.broker,
        serverMessage: res.errorMessage ?? undefined,
      });
      return failedResults(acks, () => err);
    }
    return this.ackOutcome(acks, res.responses, (p) => p.errorCode, 'ShareAcknowledge');
  }

  /**
   * Opens a session without fetching anything (epoch 0, no partitions, no wait), so acknowledgements
   * can be sent after a session was lost: records acquired by this member stay its own across
   * sessions until their locks expire.
   */
  private async openEmpty(signal?: AbortSignal): Promise<void> {
    try {
      const conn = await this.connection(signal);
      this.session.build([]);
      const res = await conn.request(
        ShareFetch,
        {
          groupId: this.f.o.groupId,
          memberId: this.f.memberId(),
          shareSessionEpoch: 0,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: this.f.o.fetchMaxBytes,
          maxRecords: this.f.o.maxPollRecords,
          batchSize: this.f.o.maxPollRecords,
          topics: [],
          forgottenTopicsData: [],
        },
        { timeoutMs: this.f.cluster.options.requestTimeoutMs, signal },
      );
      if (res.errorCode === 0) this.session.advance();
    } catch (err) {
      this.f.cluster.options.logger.debug('Could not open a share session to acknowledge', {
        broker: this.nodeId,
        error: err,
      });
    }
  }

  /** Queues a renew of `offset`; renews queued in the same tick go in one ShareAcknowledge (v2, isRenewAck). */
  renew(chunk: AcquiredChunk, offset: number): void {
    this.renews.add(chunk.topic, chunk.partition, chunk.topicId, offset, ACK_CODES.renew);
    if (this.renewQueued) return;
    this.renewQueued = true;
    this.exclusive(async () => {
      this.renewQueued = false;
      const results = await this.acknowledge({ renew: true });
      if (results.length) this.f.ackResults(results);
    }).catch((err) => this.f.cluster.options.logger.warn('Renewing acquisition locks failed', { error: err }));
  }
}
