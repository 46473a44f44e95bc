import type { AckCode, ShareBatch, ShareRecord } from './types.js';

/**
 * The records of one partition acquired by one ShareFetch response, from delivery until each is
 * settled (accepted, released or rejected). The broker holds them for this member until then, or
 * until their acquisition lock expires.
 */
export class AcquiredChunk implements ShareBatch {
  /** Aborted when the member loses these records (fenced) or the consumer closes. */
  readonly controller = new AbortController();
  /** Final acknowledgements given so far, by offset. */
  readonly settled = new Map<number, AckCode>();
  /** The member lost them (fenced, share session lost): acknowledgements are pointless, they are redelivered. */
  abandoned = false;

  constructor(
    readonly nodeId: number,
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    readonly records: ShareRecord[],
    /** The broker's acquisition lock duration as of the response (ms). */
    readonly lockTimeoutMs: number,
  ) {}

  get unsettled(): number {
    return this.records.length - this.settled.size;
  }

  isSettled(record: ShareRecord): boolean {
    return this.settled.has(record.offset);
  }
}
