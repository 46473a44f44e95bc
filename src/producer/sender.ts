/**
 * The sender (Java's Sender): takes ready batches from the accumulator, groups them by leader into
 * Produce requests (one batch per partition per request, at most `max.request.size`, at most
 * `max.in.flight.requests.per.connection` outstanding per broker), and settles or retries each batch
 * from the response.
 *
 * It runs as a coalesced tick (`wakeup()` → one `setImmediate`), plus one timer for the earliest batch
 * that becomes ready by lingering, backoff or expiry. Nothing here allocates per record.
 */
import { backoffDelay } from '../cluster/backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Connection } from '../network/connection.js';
import { kafkaError } from '../protocol/errors.js';
import {
  Produce,
  type ProduceRequest,
  type ProduceRequestTopicProduceData,
  type ProduceResponse,
} from '../protocol/generated/produce.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { Accumulator } from './accumulator.js';
import type { ProducerBatch } from './batch.js';
import { DeliveryTimeoutError, NotDeliveredError, RecordTooLargeError } from './errors.js';
import type { ResolvedProducerOptions } from './options.js';
import type { PartitionQueue } from './partition-queue.js';
import { batchAcked, batchFailed, type ProducerIdentity, prepareBatch, sequenceVerdict } from './sequences.js';

/** What the sender needs from the producer around it. */
export interface SenderHost {
  readonly cluster: Cluster;
  readonly options: ResolvedProducerOptions;
  readonly accumulator: Accumulator;
  readonly identity: ProducerIdentity;
  /** True while someone waits for everything to be sent (flush, commit, close): no lingering. */
  readonly urgent: boolean;
  /** Transactions: whether the partition may be written now; asks the coordinator to add it when not. */
  partitionReady(q: PartitionQueue): boolean;
  /** Idempotent producers: get a producer id (resolves when there is one or the attempt failed). */
  ensureProducerId(): Promise<void>;
  /** A batch failed for good (transactions must abort); `sequenced`: it had a sequence number. */
  onBatchFailed(err: unknown, sequenced: boolean): void;
  /** A fatal error (fenced): the producer stops. Returns the error to report (e.g. ProducerFencedError). */
  onFatal(err: unknown): unknown;
}

const SEQUENCE_ERRORS = new Set([45, 47, 59, 90]);

export class Sender {
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly inflight = new Map<number, number>();
  private drainIndex = 0;
  private bumpRequested = false;
  private gettingId = false;
  private metadataAt = 0;
  private metadataBusy = false;
  private stopped = false;
  private readonly runBound = () => this.run();
  private readonly timerBound = () => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.run();
  };
  /** Batches in outstanding requests (for close). */
  readonly onWire = new Set<ProducerBatch>();

  constructor(private readonly h: SenderHost) {
    const acc = h.accumulator;
    const linger = h.options.lingerMs;
    acc.onBatchFull = () => this.wakeup();
    acc.onNewBatch = linger === 0 ? () => this.wakeup() : (b) => this.armTimer(b.createdAt + linger);
  }

  wakeup(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.runBound);
  }

  /** Requests an epoch bump of an idempotent producer, applied once at the next tick (several partitions may ask). */
  requestEpochBump(q: PartitionQueue): void {
    q.needsRewrite = true;
    this.bumpRequested = true;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Requests outstanding to all brokers. */
  get requestsInFlight(): number {
    let n = 0;
    for (const v of this.inflight.values()) n += v;
    return n;
  }

  private armTimer(at: number): void {
    if (at >= this.timerAt || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.timerBound, Math.max(0, at - Date.now()));
  }

  private run(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const h = this.h;
    const o = h.options;
    const acc = h.accumulator;
    const id = h.identity;
    const now = Date.now();
    if (o.idempotent) {
      if (this.bumpRequested && id.valid) {
        this.bumpRequested = false;
        id.bumpEpoch();
      }
      if (!id.valid) {
        this.expireAll(now);
        if (!this.gettingId) {
          this.gettingId = true;
          h.ensureProducerId().finally(() => {
            this.gettingId = false;
            this.wakeup();
          });
        }
        return;
      }
    }
    const urgent = h.urgent || acc.memory.exhausted;
    const linger = o.lingerMs;
    let next = Number.POSITIVE_INFINITY;
    let byNode: Map<number, PartitionQueue[]> | undefined;
    for (const q of acc.active) {
      let b = q.head;
      while (b !== undefined && now >= b.createdAt + o.deliveryTimeoutMs) {
        q.batches.shift();
        this.fail(b, new DeliveryTimeoutError(q.topic, q.partition, b.count, o.deliveryTimeoutMs, b.lastError));
        b = q.head;
      }
      if (b === undefined) {
        acc.active.delete(q);
        continue;
      }
      if (b.createdAt + o.deliveryTimeoutMs < next) next = b.createdAt + o.deliveryTimeoutMs;
      if (b.retryAt > now) {
        if (b.retryAt < next) next = b.retryAt;
        continue;
      }
      if (!(urgent || b.closed || b.attempts > 0 || now - b.createdAt >= linger || q.batches.length > 1)) {
        if (b.createdAt + linger < next) next = b.createdAt + linger;
        continue;
      }
      if (!h.partitionReady(q)) continue;
      const leader = h.cluster.metadata.partition(q.topic, q.partition)?.leader ?? -1;
      if (leader < 0) {
        next = Math.min(next, this.refreshMetadata(now));
        continue;
      }
      byNode ??= new Map();
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(q);
    }
    if (byNode) for (const [node, queues] of byNode) this.drainTo(node, queues, now, urgent);
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next);
  }

  /** Fails queued batches past their delivery timeout while the producer has no id. */
  private expireAll(now: number): void {
    const o = this.h.options;
    for (const q of this.h.accumulator.active) {
      let b = q.head;
      while (b !== undefined && now >= b.createdAt + o.deliveryTimeoutMs) {
        q.batches.shift();
        this.fail(b, new DeliveryTimeoutError(q.topic, q.partition, b.count, o.deliveryTimeoutMs, b.lastError));
        b = q.head;
      }
      if (b === undefined) this.h.accumulator.active.delete(q);
      else this.armTimer(b.createdAt + o.deliveryTimeoutMs);
    }
  }

  /** Starts a metadata refresh unless one ran within retry.backoff.ms; returns when to look again. */
  private refreshMetadata(now: number): number {
    const backoff = this.h.cluster.options.retryBackoffMs;
    if (this.metadataBusy) return Number.POSITIVE_INFINITY;
    if (now - this.metadataAt < backoff) return this.metadataAt + backoff;
    this.metadataBusy = true;
    this.h.cluster
      .refreshMetadata()
      .catch(() => {})
      .finally(() => {
        this.metadataBusy = false;
        this.metadataAt = Date.now();
        this.wakeup();
      });
    return Number.POSITIVE_INFINITY;
  }

  private isReady(q: PartitionQueue, b: ProducerBatch, now: number, urgent: boolean): boolean {
    if (b.retryAt > now) return false;
    return urgent || b.closed || b.attempts > 0 || now - b.createdAt >= this.h.options.lingerMs || q.batches.length > 1;
  }

  /** Builds and sends requests to one broker while it has in-flight room and batches are ready. */
  private drainTo(node: number, queues: PartitionQueue[], now: number, urgent: boolean): void {
    const o = this.h.options;
    const id = this.h.identity;
    let inflight = this.inflight.get(node) ?? 0;
    const n = queues.length;
    while (inflight < o.maxInFlightRequestsPerConnection) {
      const batches: ProducerBatch[] = [];
      let size = 0;
      const start = this.drainIndex++ % n;
      for (let k = 0; k < n; k++) {
        const q = queues[(start + k) % n]!;
        const b = q.head;
        if (b === undefined || !this.isReady(q, b, now, urgent)) continue;
        const estimate = b.encoded ? b.encoded.length : b.bytes;
        if (batches.length > 0 && size + estimate > o.maxRequestSize) break;
        if (o.idempotent && !prepareBatch(q, b, id)) continue;
        q.batches.shift();
        if (q.batches.length === 0) this.h.accumulator.active.delete(q);
        this.h.accumulator.close(b);
        size += b.encode(o.compression, o.transactionalId !== null).length;
        batches.push(b);
      }
      if (batches.length === 0) break;
      inflight++;
      this.send(node, batches);
    }
    this.inflight.set(node, inflight);
  }

  private send(node: number, batches: ProducerBatch[]): void {
    const o = this.h.options;
    const topics = new Map<string, ProduceRequestTopicProduceData>();
    let allIds = true;
    for (const b of batches) {
      b.onWire = true;
      b.attempts++;
      b.queue.onWire++;
      this.onWire.add(b);
      let t = topics.get(b.queue.topic);
      if (!t) {
        const topicId = this.h.cluster.metadata.topics.get(b.queue.topic)?.topicId ?? ZERO_UUID;
        if (topicId === ZERO_UUID) allIds = false;
        topics.set(b.queue.topic, (t = { name: b.queue.topic, topicId, partitionData: [] }));
      }
      t.partitionData.push({ index: b.queue.partition, records: b.encoded! });
    }
    const req: ProduceRequest = {
      transactionalId: o.transactionalId,
      acks: o.acks,
      timeoutMs: o.requestTimeoutMs,
      topicData: [...topics.values()],
    };
    // v13 names topics by id only. A transaction (KIP-890 v1 protocol: partitions are added with
    // AddPartitionsToTxn) must not use v12+, which would make the broker add them implicitly (v2).
    const maxVersion = o.transactionalId !== null ? 11 : allIds ? undefined : 12;
    let conn: Promise<Connection>;
    try {
      conn = this.h.cluster.connectionTo(node, 'produce');
    } catch (err) {
      queueMicrotask(() => this.onRequestError(node, batches, err));
      return;
    }
    conn.then(
      (c) => {
        const sizeHint = 128 + batches.reduce((s, b) => s + b.encoded!.length + 32, 0);
        if (o.acks === 0) {
          c.request(Produce, req, { maxVersion, expectResponse: false, sizeHint }).then(
            () => this.onAcksZero(node, batches),
            (err) => this.onRequestError(node, batches, err),
          );
        } else {
          c.request(Produce, req, { maxVersion, sizeHint }).then(
            (res) => this.onResponse(node, batches, res),
            (err) => this.onRequestError(node, batches, err),
          );
        }
      },
      (err) => this.onRequestError(node, batches, err),
    );
  }

  private settleRequest(node: number, batches: ProducerBatch[]): void {
    this.inflight.set(node, (this.inflight.get(node) ?? 1) - 1);
    for (const b of batches) {
      b.onWire = false;
      b.answered = false;
      b.queue.onWire--;
      this.onWire.delete(b);
    }
  }

  private onAcksZero(node: number, batches: ProducerBatch[]): void {
    this.settleRequest(node, batches);
    for (const b of batches) if (!b.done) this.complete(b, -1, -1);
    this.wakeup();
  }

  private onRequestError(node: number, batches: ProducerBatch[], err: unknown): void {
    this.settleRequest(node, batches);
    const retriable = (err as { retriable?: unknown })?.retriable === true;
    const now = Date.now();
    for (const b of batches) {
      if (b.done) continue;
      if (retriable) this.retry(b, err, now, false);
      else this.fail(b, err);
    }
    // The broker may be gone: learn where the partitions went.
    if (retriable) this.metadataAt = 0;
    this.wakeup();
  }

  private onResponse(node: number, batches: ProducerBatch[], res: ProduceResponse): void {
    this.settleRequest(node, batches);
    const now = Date.now();
    const md = this.h.cluster.metadata;
    for (const ep of res.nodeEndpoints) {
      if (!md.brokers.has(ep.nodeId)) md.brokers.set(ep.nodeId, { ...ep });
    }
    let answered = 0;
    for (const t of res.responses) {
      const topic = t.name || md.topicNamesById.get(t.topicId) || '';
      for (const p of t.partitionResponses) {
        const i = findBatch(batches, topic, p.index);
        const b = batches[i];
        if (b === undefined || b.done || b.answered) continue;
        b.answered = true;
        answered++;
        if (p.errorCode === 0) {
          this.complete(b, Number(p.baseOffset), Number(p.logAppendTimeMs));
          continue;
        }
        let moved = false;
        if (p.currentLeader.leaderId >= 0) {
          // KIP-951: the new leader comes with the error; retry there without waiting for metadata.
          moved = md.updateLeader(topic, p.index, p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
        }
        this.onPartitionError(b, p.errorCode, Number(p.logStartOffset), p.errorMessage, now, moved);
      }
    }
    if (answered < batches.length) {
      // A partition missing from the response: treat it like a lost response (the outcome is unknown).
      for (const b of batches) {
        if (!b.done && !b.answered) {
          this.retry(
            b,
            kafkaError(13, { api: 'Produce', topic: b.queue.topic, partition: b.queue.partition }),
            now,
            false,
          );
        }
      }
    }
    this.wakeup();
  }

  private onPartitionError(
    b: ProducerBatch,
    code: number,
    logStartOffset: number,
    serverMessage: string | null,
    now: number,
    leaderMoved: boolean,
  ): void {
    const o = this.h.options;
    const q = b.queue;
    const ctx = { api: 'Produce', topic: q.topic, partition: q.partition, serverMessage };
    if (code === 46) {
      // DUPLICATE_SEQUENCE_NUMBER: the broker already has it (and no longer knows its offset).
      this.complete(b, -1, -1);
      return;
    }
    if (code === 10 || code === 18) {
      // MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE: split and resend, so only the record(s) too large
      // fail (Java's splitAndReenqueue); a single record is what the broker refuses.
      const err = kafkaError(code, ctx);
      if (b.count > 1) {
        const parts = b.split(Math.max(1, Math.min(o.batchSize, Math.ceil((b.encoded?.length ?? b.bytes) / 2))));
        if (b.seq >= 0) {
          const at = q.inflight.indexOf(b);
          q.inflight.splice(at < 0 ? q.inflight.length : at, at < 0 ? 0 : 1, ...parts);
        }
        for (const part of parts) q.requeue(part);
        this.h.accumulator.active.add(q);
        return;
      }
      const size = b.encoded?.length ?? b.bytes;
      this.fail(
        b,
        new RecordTooLargeError(
          {
            size,
            limit: -1,
            limitName: 'broker',
            topic: q.topic,
            partition: q.partition,
            what: `A batch of ${b.count} record(s)`,
          },
          err,
        ),
      );
      return;
    }
    const err = kafkaError(code, ctx);
    if (o.idempotent && SEQUENCE_ERRORS.has(code)) {
      const verdict = sequenceVerdict(q, b, code, logStartOffset, o.transactionalId !== null);
      if (verdict === 'fenced') {
        this.fail(b, this.h.onFatal(err));
        return;
      }
      if (verdict === 'abortable') {
        this.fail(b, err);
        return;
      }
      if (verdict === 'retry-new-epoch') this.requestEpochBump(q);
      else if (verdict === 'retry-renumber') q.needsRewrite = true;
      this.retry(b, err, now, verdict !== 'retry');
      return;
    }
    if (!err.retriable) {
      this.fail(b, err);
      return;
    }
    if (err.refreshMetadata && !leaderMoved) this.metadataAt = 0;
    if (err.refreshMetadata && !leaderMoved) this.refreshMetadata(now);
    this.retry(b, err, now, leaderMoved);
  }

  /** Puts the batch back (in creation order) unless it ran out of time or retries. */
  private retry(b: ProducerBatch, err: unknown, now: number, immediately: boolean): void {
    const o = this.h.options;
    const q = b.queue;
    if (now >= b.createdAt + o.deliveryTimeoutMs) {
      this.fail(b, new DeliveryTimeoutError(q.topic, q.partition, b.count, o.deliveryTimeoutMs, err));
      return;
    }
    if (b.attempts > o.retries) {
      this.fail(b, err);
      return;
    }
    b.lastError = err;
    b.retryAt = immediately
      ? 0
      : now +
        backoffDelay(b.attempts - 1, {
          initialMs: this.h.cluster.options.retryBackoffMs,
          maxMs: this.h.cluster.options.retryBackoffMaxMs,
        });
    q.requeue(b);
    this.h.accumulator.active.add(q);
  }

  private complete(b: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const q = b.queue;
    const o = this.h.options;
    if (o.idempotent && b.seq >= 0 && batchAcked(q, b, baseOffset) && o.transactionalId === null) {
      this.requestEpochBump(q);
    }
    this.h.accumulator.memory.release(b.reserved);
    b.complete(baseOffset, logAppendTime);
  }

  /** Fails a batch for good: its send calls reject, its memory is released. */
  fail(b: ProducerBatch, err: unknown): void {
    if (b.done) return;
    const q = b.queue;
    if (this.h.options.idempotent && b.seq >= 0 && batchFailed(q, b) && this.h.options.transactionalId === null) {
      this.requestEpochBump(q);
    }
    this.h.accumulator.memory.release(b.reserved);
    b.fail(err);
    this.h.onBatchFailed(err, b.seq >= 0);
  }

  /** Fails every batch not yet sent (close or abort): they were not delivered. */
  failQueued(reason: string, cause?: unknown, filter?: (q: PartitionQueue) => boolean): void {
    const acc = this.h.accumulator;
    for (const q of acc.active) {
      if (filter && !filter(q)) continue;
      for (const b of q.batches.splice(0)) this.fail(b, new NotDeliveredError(reason, b.attempts > 0, cause));
      acc.active.delete(q);
    }
  }

  /** Fails the batches in outstanding requests (close timed out): their outcome is unknown. */
  failOnWire(reason: string): void {
    for (const b of [...this.onWire]) this.fail(b, new NotDeliveredError(reason, true));
  }
}

/** Index of the batch for a partition in a request (one batch per partition), or -1. */
function findBatch(batches: ProducerBatch[], topic: string, partition: number): number {
  for (let i = 0; i < batches.length; i++) {
    const q = batches[i]!.queue;
    if (q.partition === partition && q.topic === topic) return i;
  }
  return -1;
}
