import type { ConsumerRecord } from '../consumer/record.js';

/**
 * How a share consumer settles a record it holds (KIP-932):
 *  - `accept`: processed; the broker never delivers it again;
 *  - `release`: give it back; the broker delivers it again (to any member) with deliveryCount + 1,
 *    unless the delivery count limit is reached, then it is archived;
 *  - `reject`: unprocessable; archived, never delivered again;
 *  - `renew`: keep holding it; restarts the acquisition lock (KIP-1222, Kafka 4.2+). Not final: the
 *    record must still be accepted, released or rejected.
 */
export type AcknowledgeType = 'accept' | 'release' | 'reject' | 'renew';

/** A record delivered by a share group, with how many times the broker has delivered it (1 the first time). */
export interface ShareRecord extends ConsumerRecord {
  readonly deliveryCount: number;
}

/** What eachMessage receives beside the record. */
export interface ShareHandlerContext {
  /** The share group the record was delivered in. */
  readonly groupId: string;
  /** Aborted when the consumer closes or the member loses its records (fenced): stop, the record will be redelivered. */
  signal: AbortSignal;
  /** Acknowledges the record in hand (default 'accept'). */
  acknowledge(type?: AcknowledgeType): void;
}

/** The records of one partition from one ShareFetch response. */
export interface ShareBatch {
  topic: string;
  partition: number;
  records: ShareRecord[];
}

/** What eachBatch receives beside the batch. */
export interface ShareBatchContext {
  /** The share group the records were delivered in. */
  readonly groupId: string;
  signal: AbortSignal;
  acknowledge(record: ShareRecord, type?: AcknowledgeType): void;
}

export interface ShareRunOptions {
  /** Called for each record, one at a time. */
  eachMessage?: (record: ShareRecord, ctx: ShareHandlerContext) => unknown;
  /** Called for each batch (one partition's records from one fetch), one at a time. */
  eachBatch?: (batch: ShareBatch, ctx: ShareBatchContext) => unknown;
  /** Aborting it closes the consumer; run() then resolves. */
  signal?: AbortSignal;
}

/**
 * The outcome of acknowledgements sent for one partition in one request. `error` is null when the
 * broker applied them; otherwise e.g. a KafkaError `INVALID_RECORD_STATE` (a record's acquisition lock
 * had expired, so it was already released to the group), or a ShareAcknowledgeError when the member
 * lost its records before they could be sent.
 */
export interface ShareCommitResult {
  topic: string;
  partition: number;
  /** Offsets acknowledged by this request (accept, release or reject; gaps are not listed). */
  offsets: number[];
  error: Error | null;
}

/** Wire values of the acknowledge types (ShareFetch/ShareAcknowledge AcknowledgeTypes). */
export const ACK_CODES = { gap: 0, accept: 1, release: 2, reject: 3, renew: 4 } as const;
export type AckCode = (typeof ACK_CODES)[keyof typeof ACK_CODES];
