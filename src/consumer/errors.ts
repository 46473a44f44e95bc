import { SluiceError } from '../errors.js';

/** The application's handler threw; the consumer stopped at that record without committing it. */
export class HandlerError extends SluiceError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Handler failed on ${topic}-${partition} at offset ${offset}: ${why}`, { code: 'HANDLER_FAILED', cause });
  }
}

/** No committed offset and `autoOffsetReset: 'none'`, or the position fell out of the log with 'none'. */
export class NoOffsetError extends SluiceError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    why: string,
  ) {
    super(`No position for ${topic}-${partition}: ${why}, and autoOffsetReset is "none"`, { code: 'NO_OFFSET' });
  }
}

/**
 * A commit was not accepted because this member's generation (or epoch) is gone: the partitions
 * may belong to another member now. Not retriable: the records will be redelivered to the new owner.
 */
export class CommitFailedError extends SluiceError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'COMMIT_FAILED', cause });
  }
}

/** A method was called in a state where it cannot work (e.g. seek on a partition not assigned). */
export class IllegalStateError extends SluiceError {
  constructor(message: string) {
    super(message, { code: 'ILLEGAL_STATE' });
  }
}
