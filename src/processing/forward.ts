// Hands a failed record on to a retry or dead-letter topic: its copy with Spring-compatible headers
// (headers.ts), sent with acks=all — or, with a transactional producer, sent in a transaction that
// also commits the source offset (exactly-once hand-off).
import type { Admin } from '../admin/admin.js';
import type { HandlerContext } from '../consumer/delivery.js';
import type { ConsumerRecord, RecordHeader } from '../consumer/record.js';
import { ProducerFencedError } from '../producer/errors.js';
import type { Producer } from '../producer/producer.js';
import type { Message } from '../producer/types.js';
import { errorMessage, errorName, rootCause } from './classify.js';
import { HandOffError } from './errors.js';
import {
  encodeBigInteger,
  encodeInt32,
  encodeInt64,
  FORWARDING_HEADERS,
  HeaderNames as H,
  type RecordOrigin,
  readOrigin,
} from './headers.js';
import type { NewTopicDefaults } from './options.js';
import { TopicProvisioner } from './topics.js';

/**
 * Where a record first came from: the `kafka_original-*` headers of a record forwarded from another
 * topic, else the record itself. (A record whose headers name its own topic was replayed back there
 * with stale headers: it counts as a new record.)
 */
export function originOf(record: ConsumerRecord): RecordOrigin {
  const o = readOrigin(record.headers);
  if (o && o.topic !== record.topic) return o;
  return { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
}

/** Where a failed record goes and what its headers say. */
export interface HandOff {
  target: string;
  /** A dead-letter topic (adds the `kafka_dlt-*` headers). */
  dlq: boolean;
  origin: RecordOrigin;
  /** The handler's error. */
  error: unknown;
  /** `retry_topic-attempts`: the attempt the copy is on when delivered (Spring's meaning: runs so far + 1). */
  attempts: number;
  /** `retry_topic-backoff-timestamp`: when the copy is due (ms since the epoch). */
  dueAt: number;
}

type OutHeader = { key: string; value: Buffer | null };

/** The copy's headers: the record's own (minus earlier forwarding headers) plus fresh ones. */
export function forwardingHeaders(record: ConsumerRecord, groupId: string, h: HandOff): OutHeader[] {
  const out: OutHeader[] = [];
  for (const header of record.headers as readonly RecordHeader[]) {
    if (!FORWARDING_HEADERS.has(header.key)) out.push({ key: header.key, value: header.value });
  }
  const { origin, error } = h;
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const root = rootCause(error);
  // Spring's DeadLetterRecordManager.buildMessage: the error's message, then its root cause's.
  const message = root === error ? errorMessage(error) : `${errorMessage(error)}; ${errorMessage(root)}`;
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  const exception = (fqcn: string, cause: string, msg: string, trace: string) => {
    out.push({ key: fqcn, value: utf8(errorName(error)) });
    out.push({ key: cause, value: utf8(errorName(root)) });
    out.push({ key: msg, value: utf8(message) });
    if (stack !== undefined) out.push({ key: trace, value: utf8(stack) });
  };
  const originHeaders = (topic: string, partition: string, offset: string, timestamp: string) => {
    out.push({ key: topic, value: utf8(origin.topic) });
    out.push({ key: partition, value: encodeInt32(origin.partition) });
    out.push({ key: offset, value: encodeInt64(origin.offset) });
    out.push({ key: timestamp, value: encodeInt64(origin.timestamp) });
  };
  // What Spring's retry topics write on every hop (to their DLT too).
  originHeaders(H.ORIGINAL_TOPIC, H.ORIGINAL_PARTITION, H.ORIGINAL_OFFSET, H.ORIGINAL_TIMESTAMP);
  if (groupId !== '') out.push({ key: H.DLT_ORIGINAL_CONSUMER_GROUP, value: utf8(groupId) });
  exception(H.EXCEPTION_FQCN, H.EXCEPTION_CAUSE_FQCN, H.EXCEPTION_MESSAGE, H.EXCEPTION_STACKTRACE);
  out.push({ key: H.RETRY_ORIGINAL_TIMESTAMP, value: encodeBigInteger(origin.timestamp) });
  out.push({ key: H.RETRY_ATTEMPTS, value: encodeInt32(h.attempts) });
  out.push({ key: H.RETRY_BACKOFF_TIMESTAMP, value: encodeBigInteger(h.dueAt) });
  if (h.dlq) {
    // What Spring's DeadLetterPublishingRecoverer writes.
    originHeaders(H.DLT_ORIGINAL_TOPIC, H.DLT_ORIGINAL_PARTITION, H.DLT_ORIGINAL_OFFSET, H.DLT_ORIGINAL_TIMESTAMP);
    exception(H.DLT_EXCEPTION_FQCN, H.DLT_EXCEPTION_CAUSE_FQCN, H.DLT_EXCEPTION_MESSAGE, H.DLT_EXCEPTION_STACKTRACE);
  }
  return out;
}

/**
 * Sends `message` to `topic` as the hand-off of `record`: acknowledged by every in-sync replica before
 * it resolves (the caller then lets the source record count as processed). With a transactional
 * producer the send and, where delivery is sequential, the source offset (`record.offset + 1`, for the
 * group the record was delivered in, KIP-447) commit together, so the hand-off happens exactly once.
 * With parallel delivery earlier records of the partition may still be in flight, so committing past
 * them could lose them: there the copy alone is transactional and the consumer commits the source
 * (at-least-once). Transactions on one producer run one at a time (`lock`).
 */
export async function sendHandOff(
  producer: Producer,
  topic: string,
  message: Message,
  record: ConsumerRecord,
  ctx: HandlerContext,
): Promise<void> {
  if (producer.options.transactionalId === null) {
    await producer.send({ topic, messages: [message], signal: ctx.signal });
    return;
  }
  await lockOf(producer).run(async () => {
    // A transaction the handler opened and left behind when it threw: its output goes with the failure.
    const state = producer.transactionState;
    if (state === 'IN_TRANSACTION' || state === 'ABORTABLE_ERROR') await producer.abortTransaction();
    await producer.beginTransaction();
    try {
      await producer.send({ topic, messages: [message], signal: ctx.signal });
      if (ctx.sequential) {
        await producer.sendOffsetsToTransaction({
          consumerGroupMetadata: ctx.groupMetadata,
          offsets: [{ topic: record.topic, partition: record.partition, offset: record.offset + 1 }],
        });
      }
      await producer.commitTransaction();
    } catch (err) {
      if (!(err instanceof ProducerFencedError)) await producer.abortTransaction().catch(() => {});
      throw err;
    }
  });
}

/** Runs transactions of one producer one after another (handlers of several partitions share it). */
export class TransactionLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => {});
    return result;
  }
}

const locks = new WeakMap<Producer, TransactionLock>();

/** The lock of a producer, shared by every wrapper that hands records on with it. */
export function lockOf(producer: Producer): TransactionLock {
  let lock = locks.get(producer);
  if (!lock) locks.set(producer, (lock = new TransactionLock()));
  return lock;
}

/** Forwards failed records: topic creation, headers, partition choice, and the send. */
export class Forwarder {
  private readonly topics: TopicProvisioner;

  constructor(
    private readonly producer: Producer,
    admin: Admin | undefined,
    newTopic: NewTopicDefaults,
  ) {
    this.topics = new TopicProvisioner(admin, newTopic);
  }

  /** Creates `target` (like `source`) if missing; no-op without an Admin. */
  async ensureTopic(target: string, source: string): Promise<void> {
    await this.topics.partitions(target, source);
  }

  /** Hands `record` on; resolves once the copy is acknowledged. Throws a HandOffError if it could not be. */
  async forward(record: ConsumerRecord, ctx: HandlerContext, h: HandOff): Promise<void> {
    try {
      const count = await this.topics.partitions(h.target, h.origin.topic);
      // Same partition number as the source where the target has it (it does when created here), so
      // one partition's records stay together and in order; else the key decides.
      const partition = count !== undefined && h.origin.partition < count ? h.origin.partition : undefined;
      const message: Message = {
        key: record.key,
        value: record.value,
        headers: forwardingHeaders(record, ctx.groupMetadata.groupId, h),
        ...(partition === undefined ? {} : { partition }),
      };
      await sendHandOff(this.producer, h.target, message, record, ctx);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      throw new HandOffError(record, h.target, err, h.error);
    }
  }
}
