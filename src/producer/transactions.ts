/**
 * Transactions (KIP-98) with the classic protocol (the "v1" of KIP-890): partitions join a transaction
 * with AddPartitionsToTxn before their first batch, offsets with AddOffsetsToTxn + TxnOffsetCommit,
 * and EndTxn commits or aborts.
 *
 * Why v1 on a 4.x broker: brokers keep serving it (every client before Kafka 4.0 uses it), and it only
 * needs APIs every broker since 2.8 has. Transaction protocol v2 (Produce v12+, TxnOffsetCommit v5+,
 * EndTxn v5+) adds partitions implicitly and bumps the epoch per transaction; using it is a negotiated
 * choice (the `transaction.version` feature), which is left for later. So Produce is capped at v11,
 * TxnOffsetCommit at v4 and EndTxn at v4 here: a v2 request would switch the broker to v2 semantics.
 *
 * States (Java's TransactionManager): UNINITIALIZED → READY ⇄ IN_TRANSACTION → COMMITTING/ABORTING →
 * READY; a failed send makes the transaction ABORTABLE (only abort works); fencing is FATAL.
 */
import { backoffDelay, sleep } from '../cluster/backoff.js';
import { TimeoutError } from '../cluster/deadline.js';
import type { Connection } from '../network/connection.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import { AddOffsetsToTxn } from '../protocol/generated/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../protocol/generated/add-partitions-to-txn.js';
import { EndTxn } from '../protocol/generated/end-txn.js';
import { InitProducerId } from '../protocol/generated/init-producer-id.js';
import { TxnOffsetCommit } from '../protocol/generated/txn-offset-commit.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { ProducerFencedError, ProducerStateError, TransactionAbortRequiredError } from './errors.js';
import type { PartitionQueue } from './partition-queue.js';
import type { SenderHost } from './sender.js';
import type { ConsumerGroupMetadata, OffsetToSend } from './types.js';

export type TransactionState =
  | 'UNINITIALIZED'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING'
  | 'ABORTING'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

/** What the transaction manager needs from the producer. */
export interface TransactionHost extends Pick<SenderHost, 'cluster' | 'options' | 'identity'> {
  /** Sends everything buffered and waits for the outcome of every send call made so far. */
  flush(): Promise<void>;
  /** Fails every batch not yet sent (abort). */
  failUnsent(reason: string): void;
  /** Wakes the sender (partitions were added). */
  wakeup(): void;
  /** Turns the producer unusable (fenced). */
  onFatal(err: unknown): void;
}

const CONCURRENT_TRANSACTIONS = 51;
/** Java retries CONCURRENT_TRANSACTIONS quickly: the previous transaction's markers are being written. */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;

export class Transactions {
  state: TransactionState = 'UNINITIALIZED';
  private error: unknown;
  private fatal: unknown;
  private readonly pending = new Set<PartitionQueue>();
  private readonly added: PartitionQueue[] = [];
  private adding = false;
  /** Something (a partition or a group's offsets) joined the transaction: EndTxn is needed. */
  private started = false;
  private epochBumpRequired = false;
  private initializing: Promise<void> | undefined;

  constructor(
    private readonly h: TransactionHost,
    readonly transactionalId: string,
  ) {}

  /** Gets the producer id and epoch from the transaction coordinator, fencing older producers (once). */
  init(): Promise<void> {
    this.throwIfFatal();
    if (this.state !== 'UNINITIALIZED') return Promise.resolve();
    this.initializing ??= this.initProducerId(false).then(
      () => {
        this.state = 'READY';
      },
      (err) => {
        this.initializing = undefined;
        throw err;
      },
    );
    return this.initializing;
  }

  async begin(): Promise<void> {
    await this.init();
    this.throwIfFatal();
    if (this.state !== 'READY') {
      throw new ProducerStateError(
        `Cannot begin a transaction in state ${this.state} (commit or abort the current one first)`,
      );
    }
    this.state = 'IN_TRANSACTION';
  }

  /** Checked by `send`: records of a transactional producer belong to a transaction. */
  checkSend(): void {
    this.throwIfFatal();
    if (this.state === 'IN_TRANSACTION') return;
    if (this.state === 'ABORTABLE_ERROR') {
      throw new TransactionAbortRequiredError('The transaction failed; abort it before sending more', this.error);
    }
    throw new ProducerStateError(`Cannot send in state ${this.state}: call beginTransaction() first`);
  }

  /** Sender hook: may this partition's batches be sent? Queues it for AddPartitionsToTxn if not. */
  partitionReady(q: PartitionQueue): boolean {
    if (q.inTransaction) return true;
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING') {
      this.pending.add(q);
      if (!this.adding) void this.addPartitions();
    }
    return false;
  }

  /**
   * A batch failed: the transaction can no longer commit. If it had a sequence number, the partition's
   * sequence has a gap the broker will not accept, so the abort also bumps the epoch (KIP-360).
   */
  batchFailed(err: unknown, sequenced = false): void {
    if (sequenced) this.epochBumpRequired = true;
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING') {
      this.state = 'ABORTABLE_ERROR';
      this.error = err;
    }
  }

  setFatal(err: unknown): void {
    this.state = 'FATAL_ERROR';
    this.fatal ??= err;
  }

  async sendOffsets(offsets: readonly OffsetToSend[], group: ConsumerGroupMetadata): Promise<void> {
    this.throwIfFatal();
    if (this.state !== 'IN_TRANSACTION') {
      throw new ProducerStateError(`Cannot send offsets to a transaction in state ${this.state}`);
    }
    const id = this.h.identity;
    await this.call(
      `Adding the offsets of group "${group.groupId}" to the transaction`,
      'transaction',
      async (conn) => {
        const res = await conn.request(AddOffsetsToTxn, {
          transactionalId: this.transactionalId,
          producerId: BigInt(id.producerId),
          producerEpoch: id.producerEpoch,
          groupId: group.groupId,
        });
        if (res.errorCode) throw this.error$(res.errorCode, 'AddOffsetsToTxn', conn);
      },
    );
    this.started = true;
    const byTopic = new Map<string, OffsetToSend[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, (list = []));
      list.push(o);
    }
    try {
      await this.call(
        `Committing offsets of group "${group.groupId}" in the transaction`,
        'group',
        async (conn) => {
          const res = await conn.request(
            TxnOffsetCommit,
            {
              transactionalId: this.transactionalId,
              groupId: group.groupId,
              producerId: BigInt(id.producerId),
              producerEpoch: id.producerEpoch,
              generationIdOrMemberEpoch: group.generationId ?? -1,
              memberId: group.memberId ?? '',
              groupInstanceId: group.groupInstanceId ?? null,
              topics: [...byTopic].map(([name, list]) => ({
                name,
                topicId: this.h.cluster.metadata.topics.get(name)?.topicId ?? ZERO_UUID,
                partitions: list.map((o) => ({
                  partitionIndex: o.partition,
                  committedOffset: BigInt(o.offset),
                  committedLeaderEpoch: o.leaderEpoch ?? -1,
                  committedMetadata: o.metadata ?? null,
                })),
              })),
            },
            { maxVersion: 4 },
          );
          for (const t of res.topics) {
            for (const p of t.partitions) {
              if (p.errorCode) {
                throw kafkaError(p.errorCode, {
                  api: 'TxnOffsetCommit',
                  groupId: group.groupId,
                  topic: t.name,
                  partition: p.partitionIndex,
                  broker: conn.broker,
                });
              }
            }
          }
        },
        group.groupId,
      );
    } catch (err) {
      // Group errors (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, …): this transaction cannot commit.
      if (this.current() !== 'FATAL_ERROR') this.batchFailed(err);
      throw err;
    }
  }

  async commit(): Promise<void> {
    this.throwIfFatal();
    if (this.state === 'ABORTABLE_ERROR') {
      throw new TransactionAbortRequiredError('Cannot commit: the transaction failed; abort it', this.error);
    }
    // COMMITTING again: an earlier commit timed out, and committing may be retried (as in Java).
    if (this.state !== 'IN_TRANSACTION' && this.state !== 'COMMITTING') {
      throw new ProducerStateError(`Cannot commit a transaction in state ${this.state}`);
    }
    this.state = 'COMMITTING';
    await this.h.flush();
    this.throwIfFatal();
    // A batch may have failed while we waited (batchFailed changes the state).
    if (this.current() === 'ABORTABLE_ERROR') {
      throw new TransactionAbortRequiredError('Cannot commit: a send in the transaction failed; abort it', this.error);
    }
    if (this.started) await this.endTxn(true);
    this.finish();
  }

  async abort(): Promise<void> {
    this.throwIfFatal();
    if (this.state === 'READY') return;
    if (this.state !== 'IN_TRANSACTION' && this.state !== 'ABORTABLE_ERROR' && this.state !== 'ABORTING') {
      throw new ProducerStateError(`Cannot abort a transaction in state ${this.state}`);
    }
    this.state = 'ABORTING';
    this.h.failUnsent('the transaction was aborted');
    this.pending.clear();
    await this.h.flush();
    this.throwIfFatal();
    if (this.started) await this.endTxn(false);
    if (this.epochBumpRequired) await this.initProducerId(true);
    this.finish();
  }

  private finish(): void {
    for (const q of this.added) q.inTransaction = false;
    this.added.length = 0;
    this.pending.clear();
    this.started = false;
    this.error = undefined;
    this.state = 'READY';
  }

  private async endTxn(committed: boolean): Promise<void> {
    const id = this.h.identity;
    await this.call(`${committed ? 'Committing' : 'Aborting'} the transaction`, 'transaction', async (conn) => {
      const res = await conn.request(
        EndTxn,
        {
          transactionalId: this.transactionalId,
          producerId: BigInt(id.producerId),
          producerEpoch: id.producerEpoch,
          committed,
        },
        { maxVersion: 4 },
      );
      if (res.errorCode) throw this.error$(res.errorCode, 'EndTxn', conn);
    });
  }

  /** InitProducerId on the coordinator; with `bump`, KIP-360's epoch bump of the current id (v3+). */
  private async initProducerId(bump: boolean): Promise<void> {
    const id = this.h.identity;
    await this.call('Initializing the transactional producer', 'transaction', async (conn) => {
      const canBump = bump && conn.apiVersions.pick(InitProducerId) >= 3;
      const res = await conn.request(InitProducerId, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: this.h.options.transactionTimeoutMs,
        producerId: canBump ? BigInt(id.producerId) : -1n,
        producerEpoch: canBump ? id.producerEpoch : -1,
      });
      if (res.errorCode) throw this.error$(res.errorCode, 'InitProducerId', conn);
      id.set(Number(res.producerId), res.producerEpoch);
    });
    this.epochBumpRequired = false;
  }

  /** AddPartitionsToTxn for every partition waiting, then lets the sender send their batches. */
  private async addPartitions(): Promise<void> {
    this.adding = true;
    try {
      while (this.pending.size > 0 && (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING')) {
        const list = [...this.pending];
        const topics = new Map<string, number[]>();
        for (const q of list) {
          let ps = topics.get(q.topic);
          if (!ps) topics.set(q.topic, (ps = []));
          ps.push(q.partition);
        }
        const id = this.h.identity;
        try {
          await this.call('Adding partitions to the transaction', 'transaction', async (conn) => {
            const res = await conn.request(
              AddPartitionsToTxn,
              {
                v3AndBelowTransactionalId: this.transactionalId,
                v3AndBelowProducerId: BigInt(id.producerId),
                v3AndBelowProducerEpoch: id.producerEpoch,
                v3AndBelowTopics: [...topics].map(([name, partitions]) => ({ name, partitions })),
              },
              { maxVersion: 3 },
            );
            // OPERATION_NOT_ATTEMPTED (55) marks the partitions skipped because another one failed.
            let first: KafkaError | undefined;
            for (const t of res.resultsByTopicV3AndBelow) {
              for (const p of t.resultsByPartition) {
                if (p.partitionErrorCode === 0 || p.partitionErrorCode === 55) continue;
                const err = this.error$(p.partitionErrorCode, 'AddPartitionsToTxn', conn, t.name, p.partitionIndex);
                if (!first || (first.retriable && !err.retriable)) first = err;
              }
            }
            if (first) throw first;
          });
        } catch (err) {
          if (this.current() !== 'FATAL_ERROR') this.batchFailed(err);
          this.h.failUnsent('its partition could not be added to the transaction');
          this.pending.clear();
          return;
        }
        for (const q of list) {
          this.pending.delete(q);
          q.inTransaction = true;
          this.added.push(q);
        }
        this.started = true;
        this.h.wakeup();
      }
    } finally {
      this.adding = false;
    }
  }

  /**
   * Runs a coordinator request until it succeeds or `max.block.ms` passes: coordinator moves are
   * followed, CONCURRENT_TRANSACTIONS is retried quickly, fencing is fatal.
   */
  private async call(
    what: string,
    type: 'transaction' | 'group',
    fn: (conn: Connection) => Promise<void>,
    key: string = this.transactionalId,
  ): Promise<void> {
    const cluster = this.h.cluster;
    const timeoutMs = this.h.options.maxBlockMs;
    const deadline = Date.now() + timeoutMs;
    // Bounds the coordinator lookup too (it retries on its own, up to default.api.timeout.ms), so the
    // call ends by max.block.ms. The request itself is not cut short: its answer changes the
    // transaction's state, so it is awaited (request.timeout.ms bounds it).
    const bound = cluster.deadline(what, { timeoutMs });
    try {
      for (let attempt = 0; ; attempt++) {
        let delay: number;
        try {
          const conn = await bound.race(cluster.coordinatorConnection(type, key, bound.signal));
          await fn(conn);
          return;
        } catch (err) {
          if (err instanceof ProducerFencedError) {
            this.h.onFatal(err);
            throw err;
          }
          bound.check();
          if (err instanceof KafkaError && err.coordinatorChanged) cluster.coordinators.invalidate(type, key);
          if ((err as { retriable?: unknown })?.retriable !== true) throw err;
          bound.lastError = err;
          if (Date.now() >= deadline) throw new TimeoutError(what, timeoutMs, err);
          delay =
            err instanceof KafkaError && err.errorCode === CONCURRENT_TRANSACTIONS
              ? CONCURRENT_TRANSACTIONS_BACKOFF_MS
              : backoffDelay(attempt, {
                  initialMs: cluster.options.retryBackoffMs,
                  maxMs: cluster.options.retryBackoffMaxMs,
                });
        }
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), bound.signal).catch(() => {});
      }
    } finally {
      bound.dispose();
    }
  }

  /** A KafkaError for a coordinator error code; PRODUCER_FENCED and INVALID_PRODUCER_EPOCH become fatal. */
  private error$(code: number, api: string, conn: Connection, topic?: string, partition?: number): KafkaError {
    const err = kafkaError(code, {
      api,
      transactionalId: this.transactionalId,
      broker: conn.broker,
      ...(topic === undefined ? {} : { topic, partition }),
    });
    if (code === 90 || code === 47 || code === 52) throw new ProducerFencedError(err, this.transactionalId);
    // UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_ID_MAPPING: abort, then get a new epoch (KIP-360).
    if (code === 59 || code === 49) this.epochBumpRequired = true;
    return err;
  }

  /** The state as of now (a method, so TypeScript does not keep a narrowing across awaits). */
  private current(): TransactionState {
    return this.state;
  }

  private throwIfFatal(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }
}
