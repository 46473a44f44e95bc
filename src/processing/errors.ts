import { SluiceError } from '../errors.js';

/** Where a failed record is. */
interface At {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * `withRetry` gave up on a record: its retries are used up (`RETRIES_EXHAUSTED`), or its error is not
 * worth retrying (`NOT_RETRIABLE`, by classification or by `retryIf`). Thrown to the next stage (a
 * dead-letter or retry-topic wrapper, or the consumer, which stops with a HandlerError); `cause` is
 * the handler's last error and `attempts` how many times the handler ran.
 */
export class ProcessingFailedError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly attempts: number;

  constructor(at: At, attempts: number, exhausted: boolean, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const what = exhausted
      ? `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`
      : `not retried (${attempts === 1 ? 'the error is not retriable' : `not retriable after ${attempts} attempts`})`;
    super(`${at.topic}-${at.partition} offset ${at.offset}: ${what}: ${why}`, {
      code: exhausted ? 'RETRIES_EXHAUSTED' : 'NOT_RETRIABLE',
      retriable: false,
      cause,
    });
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.attempts = attempts;
  }
}

/**
 * A failed record could not be handed to its retry or dead-letter topic (the send, the topic
 * creation or the transaction failed). The record is then not processed: the consumer stops at it
 * with a HandlerError, and a restart tries again. `cause` is the hand-off's error, `handlerError`
 * the error that made the record go there.
 */
export class HandOffError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Where the record was to go. */
  readonly target: string;
  readonly handlerError: unknown;

  constructor(at: At, target: string, cause: unknown, handlerError: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Could not hand ${at.topic}-${at.partition} offset ${at.offset} to ${target}: ${why}`, {
      code: 'HAND_OFF_FAILED',
      retriable: cause instanceof SluiceError && cause.retriable,
      cause,
    });
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.target = target;
    this.handlerError = handlerError;
  }
}

/**
 * `replayDeadLetters` met a record it cannot send back: it names no original topic
 * (`kafka_dlt-original-topic` / `kafka_original-topic`) and no `to` function chose one.
 */
export class ReplayError extends SluiceError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    why: string,
  ) {
    super(`Cannot replay ${topic}-${partition} offset ${offset}: ${why}`, { code: 'NO_ORIGINAL_TOPIC' });
  }
}
