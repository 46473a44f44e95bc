import { backoffDelay, sleep } from '../cluster/backoff.js';
import { Cluster } from '../cluster/cluster.js';
import { TimeoutError } from '../cluster/deadline.js';
import type { TopicInfo } from '../cluster/metadata.js';
import { ConfigError, isRetriable } from '../errors.js';
import { checkTimeout, timerDelay } from '../network/timeouts.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import { InitProducerId } from '../protocol/generated/init-producer-id.js';
import { Accumulator } from './accumulator.js';
import { SendHandle } from './batch.js';
import {
  NotDeliveredError,
  ProducerClosedError,
  ProducerFencedError,
  ProducerStateError,
  RecordTooLargeError,
} from './errors.js';
import { type ProducerOptions, type ResolvedProducerOptions, resolveProducerOptions } from './options.js';
import type { PartitionQueue } from './partition-queue.js';
import { type ProducerRecord, toProducerRecord } from './record.js';
import { Sender, type SenderHost } from './sender.js';
import { ProducerIdentity } from './sequences.js';
import { type TransactionHost, Transactions } from './transactions.js';
import type { ConsumerGroupMetadata, OffsetToSend, RecordMetadata, SendInput } from './types.js';

export interface ProducerCloseOptions {
  /**
   * Longest to wait for buffered records to be delivered (and an open transaction to be aborted). What
   * is still undelivered then is failed with NotDeliveredError. Default: no limit beyond each record's
   * `deliveryTimeoutMs`.
   */
  timeoutMs?: number;
}

export interface SendOffsetsInput {
  offsets: readonly OffsetToSend[];
  /** The consumer group (classic groups: prefer `consumerGroupMetadata`, which fences zombie members, KIP-447). */
  groupId?: string;
  consumerGroupMetadata?: ConsumerGroupMetadata;
}

/** A send call waiting for its topic's metadata or for room in the buffer. */
interface WaitingSend {
  topic: string;
  records: ProducerRecord[];
  handle: SendHandle;
  /** Records [0, next) are appended. */
  next: number;
  partitioned: boolean;
  deadline: number;
  signal: AbortSignal | undefined;
}

/**
 * A Kafka producer: batches records per partition, sends them to the partition leaders, and retries
 * without duplicating or reordering (idempotence, on by default). With a `transactionalId`, records
 * and consumer offsets commit or abort together. See docs/producer.md.
 */
export class Producer {
  readonly options: ResolvedProducerOptions;
  private readonly cluster: Cluster;
  private readonly accumulator: Accumulator;
  private readonly identity = new ProducerIdentity();
  private readonly sender: Sender;
  private readonly txn: Transactions | undefined;
  private readonly openSends = new Set<SendHandle>();
  private readonly waiting = new Map<string, WaitingSend[]>();
  private flushing = 0;
  private closing = false;
  private fatal: Error | undefined;
  private closePromise: Promise<void> | undefined;

  constructor(options: ProducerOptions) {
    const o = resolveProducerOptions(options);
    this.options = o;
    this.cluster = new Cluster(o);
    this.cluster.allowAutoTopicCreation = o.allowAutoCreateTopics;
    this.accumulator = new Accumulator(o);
    const self = this;
    const host: SenderHost = {
      cluster: this.cluster,
      options: o,
      accumulator: this.accumulator,
      identity: this.identity,
      get urgent() {
        return self.flushing > 0 || self.closing;
      },
      partitionReady: (q: PartitionQueue) => (this.txn ? this.txn.partitionReady(q) : true),
      ensureProducerId: () => this.ensureProducerId(),
      onBatchFailed: (err, sequenced) => this.txn?.batchFailed(err, sequenced),
      onFatal: (err) => this.onFatal(err),
    };
    this.sender = new Sender(host);
    if (o.transactionalId !== null) {
      const txnHost: TransactionHost = {
        cluster: this.cluster,
        options: o,
        identity: this.identity,
        flush: () => this.flush(),
        failUnsent: (reason) => this.failUnsent(reason),
        wakeup: () => this.sender.wakeup(),
        onFatal: (err) => this.onFatal(err),
      };
      this.txn = new Transactions(txnHost, o.transactionalId);
    }
  }

  /**
   * Connects (bootstrap metadata) and, for an idempotent producer, gets its producer id. Optional:
   * the first `send` does the same.
   */
  async connect(): Promise<void> {
    this.checkUsable();
    await this.cluster.connect({ timeoutMs: this.options.maxBlockMs });
    if (this.options.idempotent && !this.txn && !this.identity.valid) await this.ensureProducerId();
  }

  /**
   * Sends records to one topic. Resolves with each record's partition and offset, in the order given,
   * once all are acknowledged (per `acks`); rejects at the first record that fails. One call, one
   * promise: batching across calls is the producer's job (`lingerMs`, `batchSize`).
   */
  send(input: SendInput): Promise<RecordMetadata[]> {
    try {
      this.checkUsable();
      this.txn?.checkSend();
      if (typeof input !== 'object' || input === null) throw new ConfigError('send', 'expected { topic, messages }');
      const { topic, messages } = input;
      if (typeof topic !== 'string' || topic === '') throw new ConfigError('topic', 'expected a non-empty topic name');
      if (!Array.isArray(messages)) throw new ConfigError('messages', 'expected an array of messages');
      const n = messages.length;
      if (n === 0) return Promise.resolve([]);
      const now = Date.now();
      const records: ProducerRecord[] = new Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const r = toProducerRecord(messages[i]!, i, now);
        const size = Accumulator.recordBound(r);
        if (size > this.options.maxRequestSize || size > this.options.bufferMemory) {
          const byRequest = size > this.options.maxRequestSize;
          throw new RecordTooLargeError({
            size,
            limit: byRequest ? this.options.maxRequestSize : this.options.bufferMemory,
            limitName: byRequest ? 'maxRequestSize (max.request.size)' : 'bufferMemory (buffer.memory)',
            topic,
            what: `messages[${i}]`,
          });
        }
        total += Accumulator.reservation(r);
        records[i] = r;
      }
      let partitioned = false;
      if (!this.waiting.has(topic)) {
        const info = this.cluster.metadata.topics.get(topic);
        if (info !== undefined && info.errorCode === 0 && info.partitions.length > 0) {
          this.accumulator.assignPartitions(info, records, 0, n);
          partitioned = true;
          if (this.accumulator.memory.tryReserve(total)) {
            const handle = new SendHandle(topic, n, this.openSends);
            this.accumulator.append(info, records, 0, n, handle);
            return handle.promise;
          }
        }
      }
      return this.wait(topic, records, new SendHandle(topic, n, this.openSends), partitioned, input.signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends everything buffered now (ignoring `lingerMs`) and waits until every earlier send call has settled. */
  async flush(): Promise<void> {
    this.flushing++;
    this.sender.wakeup();
    try {
      // Calls made while we wait are not ours to wait for: the ones open now are everything before flush().
      if (this.openSends.size > 0) await Promise.allSettled([...this.openSends].map((h) => h.promise));
    } finally {
      this.flushing--;
    }
  }

  /**
   * Delivers what is buffered (aborting an open transaction, as Java does), then closes the
   * connections. Records still undelivered when `timeoutMs` passes are failed with NotDeliveredError;
   * nothing is dropped silently. Later calls reject with ProducerClosedError.
   */
  close(opts: ProducerCloseOptions = {}): Promise<void> {
    if (opts?.timeoutMs !== undefined) {
      try {
        checkTimeout('timeoutMs', opts.timeoutMs);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    this.closePromise ??= this.doClose(opts?.timeoutMs);
    return this.closePromise;
  }

  /** Fences older producers with the same transactionalId and gets the producer id (implicit in beginTransaction). */
  async initTransactions(): Promise<void> {
    await this.requireTxn().init();
  }

  async beginTransaction(): Promise<void> {
    this.checkUsable();
    await this.requireTxn().begin();
  }

  /**
   * Adds consumed offsets to the transaction: they are committed for the group if and only if the
   * transaction commits (consume-transform-produce exactly once).
   */
  async sendOffsetsToTransaction(input: SendOffsetsInput): Promise<void> {
    this.checkUsable();
    const txn = this.requireTxn();
    const group = input.consumerGroupMetadata ?? (input.groupId === undefined ? undefined : { groupId: input.groupId });
    if (!group || typeof group.groupId !== 'string' || group.groupId === '') {
      throw new ConfigError('groupId', 'sendOffsetsToTransaction needs a groupId or consumerGroupMetadata');
    }
    if (!Array.isArray(input.offsets))
      throw new ConfigError('offsets', 'expected an array of { topic, partition, offset }');
    if (input.offsets.length === 0) return;
    await txn.sendOffsets(input.offsets, group);
  }

  /** Waits for every record of the transaction, then commits it; throws TransactionAbortRequiredError if a send failed. */
  async commitTransaction(): Promise<void> {
    this.checkUsable();
    await this.requireTxn().commit();
  }

  /** Drops records not yet sent, waits for those in flight, and aborts the transaction. */
  async abortTransaction(): Promise<void> {
    this.checkUsable();
    await this.requireTxn().abort();
  }

  /** The transaction state (transactional producers), e.g. for diagnostics. */
  get transactionState(): string | undefined {
    return this.txn?.state;
  }

  private requireTxn(): Transactions {
    if (!this.txn) throw new ConfigError('transactionalId', 'transactions need a transactionalId');
    return this.txn;
  }

  private checkUsable(): void {
    if (this.fatal) throw this.fatal;
    if (this.closing) throw new ProducerClosedError();
  }

  private wait(
    topic: string,
    records: ProducerRecord[],
    handle: SendHandle,
    partitioned: boolean,
    signal: AbortSignal | undefined,
  ): Promise<RecordMetadata[]> {
    const w: WaitingSend = {
      topic,
      records,
      handle,
      next: 0,
      partitioned,
      deadline: Date.now() + this.options.maxBlockMs,
      signal,
    };
    let list = this.waiting.get(topic);
    if (list) {
      list.push(w);
      return handle.promise;
    }
    this.waiting.set(topic, (list = [w]));
    void this.pump(topic, list);
    return handle.promise;
  }

  /** Appends the waiting calls of one topic in order (a later call never overtakes an earlier one). */
  private async pump(topic: string, list: WaitingSend[]): Promise<void> {
    while (list.length > 0) {
      const w = list[0]!;
      try {
        await this.appendWaiting(w);
      } catch (err) {
        const left = w.records.length - w.next;
        w.handle.fail(
          w.next === 0 || !(err instanceof Error)
            ? err
            : Object.assign(err, { message: `${err.message} (${left} of ${w.records.length} records were not sent)` }),
        );
      }
      list.shift();
    }
    this.waiting.delete(topic);
  }

  private async appendWaiting(w: WaitingSend): Promise<void> {
    const acc = this.accumulator;
    const n = w.records.length;
    let info = await this.topicInfo(w.topic, w.deadline, w.signal, () => w.handle.settled);
    if (!w.partitioned) {
      acc.assignPartitions(info, w.records, 0, n);
      w.partitioned = true;
    }
    while (w.next < n) {
      if (w.handle.settled) return;
      if (this.fatal) throw this.fatal;
      const first = w.records[w.next]!;
      await acc.memory.reserve(
        Accumulator.reservation(first),
        Math.max(0, w.deadline - Date.now()),
        () =>
          new TimeoutError(
            `Waiting for room in the buffer (bufferMemory ${this.options.bufferMemory})`,
            this.options.maxBlockMs,
          ),
        w.signal,
      );
      let end = w.next + 1;
      while (end < n && acc.memory.tryReserve(Accumulator.reservation(w.records[end]!))) end++;
      if (w.handle.settled) {
        // Failed meanwhile (close/abort): give the memory back.
        for (let i = w.next; i < end; i++) acc.memory.release(Accumulator.reservation(w.records[i]!));
        return;
      }
      info = this.cluster.metadata.topics.get(w.topic) ?? info;
      acc.append(info, w.records, w.next, end, w.handle);
      w.next = end;
    }
  }

  /** The topic's metadata, refreshing until it has partitions or `max.block.ms` passes. */
  private async topicInfo(
    topic: string,
    deadline: number,
    signal: AbortSignal | undefined,
    abandoned: () => boolean,
  ): Promise<TopicInfo> {
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      // The call was failed meanwhile (close, abort): stop asking.
      if (abandoned()) throw new ProducerClosedError();
      const t = this.cluster.metadata.topics.get(topic);
      if (t !== undefined && t.errorCode === 0 && t.partitions.length > 0) return t;
      if (t !== undefined && t.errorCode !== 0) {
        last = kafkaError(t.errorCode, { api: 'Metadata', topic });
        if (!(last as KafkaError).retriable) throw last;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new TimeoutError(`Waiting for topic "${topic}" in the metadata`, this.options.maxBlockMs, last);
      }
      if (attempt > 0) {
        const backoff = backoffDelay(attempt - 1, {
          initialMs: this.options.retryBackoffMs,
          maxMs: this.options.retryBackoffMaxMs,
        });
        await sleep(Math.min(backoff, remaining), signal);
      }
      try {
        const timeoutMs = Math.max(1, deadline - Date.now());
        // The first time: bootstrap, and start the periodic refresh (metadata.max.age.ms).
        await this.cluster.connect({ signal, timeoutMs });
        await this.cluster.refreshMetadata({ topics: [topic], signal, timeoutMs });
      } catch (err) {
        if (!isRetriable(err)) throw err;
        last = err;
      }
      if (this.fatal) throw this.fatal;
    }
  }

  /** InitProducerId for an idempotent (not transactional) producer, from any broker. */
  private async ensureProducerId(): Promise<void> {
    if (this.txn || this.identity.valid || this.fatal) return;
    try {
      await this.cluster.retry(
        'Getting a producer id',
        async (_attempt, signal) => {
          const conn = await this.cluster.anyConnection('general', signal);
          const res = await conn.request(
            InitProducerId,
            { transactionalId: null, transactionTimeoutMs: 2147483647, producerId: -1n, producerEpoch: -1 },
            { signal },
          );
          if (res.errorCode) throw kafkaError(res.errorCode, { api: 'InitProducerId', broker: conn.broker });
          this.identity.set(Number(res.producerId), res.producerEpoch);
        },
        { timeoutMs: this.options.maxBlockMs },
      );
    } catch (err) {
      // Retriable failures (broker down) are tried again by the sender; others (authorization) are fatal.
      if (!isRetriable(err) && !this.closing) this.onFatal(err);
    }
  }

  /** Turns the producer unusable (fenced, or an error no retry can fix); returns the error every call now gets. */
  private onFatal(err: unknown): Error {
    if (this.fatal) return this.fatal;
    const fatal =
      err instanceof KafkaError && (err.fenced || err.code === 'INVALID_PRODUCER_EPOCH')
        ? new ProducerFencedError(err, this.options.transactionalId)
        : err instanceof Error
          ? err
          : new ProducerStateError(String(err));
    this.fatal = fatal;
    this.txn?.setFatal(fatal);
    this.failUnsent('the producer hit a fatal error', fatal);
    return fatal;
  }

  /** Fails every record not yet in a request: waiting calls and queued batches. */
  private failUnsent(reason: string, cause?: unknown): void {
    const err = cause instanceof Error && cause === this.fatal ? cause : new NotDeliveredError(reason, false, cause);
    for (const list of this.waiting.values()) for (const w of list) w.handle.fail(err);
    this.accumulator.memory.failAll(err);
    this.sender.failQueued(reason, cause);
  }

  private async doClose(timeoutMs: number | undefined): Promise<void> {
    this.closing = true;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    const within = <T>(p: Promise<T>): Promise<T | undefined> => {
      if (deadline === Number.POSITIVE_INFINITY) return p;
      let timer: NodeJS.Timeout | undefined;
      const t = new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), timerDelay(deadline - Date.now()));
      });
      return Promise.race([p, t]).finally(() => clearTimeout(timer));
    };
    try {
      const state = this.txn?.state;
      if (state === 'IN_TRANSACTION' || state === 'ABORTABLE_ERROR') await within(this.txn!.abort());
    } catch {
      // Fenced or timed out: the coordinator aborts the transaction after transaction.timeout.ms.
    }
    this.sender.wakeup();
    await within(this.flush());
    const reason = 'the producer was closed before it was delivered';
    for (const list of this.waiting.values()) for (const w of list) w.handle.fail(new NotDeliveredError(reason, false));
    this.accumulator.memory.failAll(new NotDeliveredError(reason, false));
    this.sender.failQueued(reason);
    this.sender.failOnWire(reason);
    this.sender.stop();
    this.cluster.close();
  }
}
