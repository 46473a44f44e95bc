import { SluiceError } from '../errors.js';
import type { KafkaError } from '../protocol/errors.js';

/**
 * Another producer with the same `transactionalId` has started (it bumped the epoch), or the broker says
 * this producer's epoch is stale. The producer is unusable afterwards: every later call rejects with this
 * error; create a new Producer. `code` is Kafka's name (`PRODUCER_FENCED` or `INVALID_PRODUCER_EPOCH`).
 */
export class ProducerFencedError extends SluiceError {
  readonly transactionalId: string | null;

  constructor(cause: KafkaError, transactionalId: string | null) {
    super(
      `Producer fenced${transactionalId === null ? '' : ` (transactional id "${transactionalId}")`}: ${cause.code}. ` +
        'A newer producer with the same transactional id has taken over; this producer can no longer be used',
      { code: cause.code, retriable: false, cause },
    );
    this.transactionalId = transactionalId;
  }
}

/**
 * A record or a batch is larger than a limit: `maxRequestSize` (max.request.size) or `bufferMemory`
 * (buffer.memory) before sending, or the broker's `message.max.bytes` / topic `max.message.bytes` (the
 * broker answered MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE, whose name is then the `code`).
 */
export class RecordTooLargeError extends SluiceError {
  readonly size: number;
  /** The limit in bytes; -1 when the broker rejected it (the limit is its own config). */
  readonly limit: number;
  /** Which limit: the option name, or `broker`. */
  readonly limitName: string;
  readonly topic: string;
  readonly partition: number | undefined;

  constructor(
    o: { size: number; limit: number; limitName: string; topic: string; partition?: number; what?: string },
    cause?: KafkaError,
  ) {
    const what = o.what ?? 'A record';
    const where = `topic ${o.topic}${o.partition === undefined ? '' : ` partition ${o.partition}`}`;
    const message =
      o.limitName === 'broker'
        ? `${what} of ${o.size} bytes for ${where} was rejected by the broker (${cause?.code ?? 'too large'}): it exceeds the broker's message.max.bytes or the topic's max.message.bytes`
        : `${what} of ${o.size} bytes for ${where} is larger than ${o.limitName} (${o.limit} bytes)`;
    super(message, { code: cause?.code ?? 'RECORD_TOO_LARGE', retriable: false, cause });
    this.size = o.size;
    this.limit = o.limit;
    this.limitName = o.limitName;
    this.topic = o.topic;
    this.partition = o.partition;
  }
}

/**
 * A record was not delivered: the producer closed (or the transaction was aborted) before the broker
 * acknowledged it. `maybeWritten` is true when a request carrying it was in flight, so the broker may
 * have written it anyway.
 */
export class NotDeliveredError extends SluiceError {
  readonly maybeWritten: boolean;

  constructor(reason: string, maybeWritten: boolean, cause?: unknown) {
    super(
      `Not delivered: ${reason}${maybeWritten ? ' (a request carrying it was in flight: the broker may have written it)' : ''}`,
      { code: 'NOT_DELIVERED', retriable: false, cause },
    );
    this.maybeWritten = maybeWritten;
  }
}

/** The records waited longer than `deliveryTimeoutMs` (delivery.timeout.ms) for a successful acknowledgement. */
export class DeliveryTimeoutError extends SluiceError {
  constructor(topic: string, partition: number, count: number, timeoutMs: number, lastError?: unknown) {
    const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(
      `Expiring ${count} record(s) for topic ${topic} partition ${partition}: ${timeoutMs} ms (deliveryTimeoutMs) have passed since they were sent${why}`,
      { code: 'DELIVERY_TIMEOUT', retriable: true, cause: lastError },
    );
  }
}

/** A call that the producer's state does not allow (e.g. `send` outside a transaction on a transactional producer). */
export class ProducerStateError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ILLEGAL_STATE', retriable: false, cause });
  }
}

/**
 * The current transaction cannot commit (a send failed, or the coordinator said so): call
 * `abortTransaction()`, then start again. `cause` is the first error.
 */
export class TransactionAbortRequiredError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'TRANSACTION_ABORT_REQUIRED', retriable: false, cause });
  }
}

/** The producer was closed: no more sends or transactional calls. */
export class ProducerClosedError extends SluiceError {
  constructor() {
    super('The producer is closed', { code: 'PRODUCER_CLOSED', retriable: false });
  }
}
