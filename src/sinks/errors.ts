import { SluiceError } from '../errors.js';

/**
 * A store operation failed: the database or file system said no. `retriable` tells whether trying
 * again may succeed (connection refused or lost, database locked or busy) or not (bad URL, read-only
 * file, disk full, permission denied, a table of the wrong shape). Nothing of a failed write is stored.
 */
export class SinkError extends SluiceError {
  /** The store, as in `SinkStore.description`. */
  readonly store: string;

  constructor(store: string, message: string, options: { code: string; retriable?: boolean; cause?: unknown }) {
    super(`${store}: ${message}`, options);
    this.store = store;
  }
}

/**
 * A write found a partition's stored position other than the writer expected: another member wrote
 * it since (a rebalance moved the partition, or this member is a zombie). Nothing was written; the
 * writer must re-read the stored position before writing that partition again.
 */
export class SinkFencedError extends SluiceError {
  constructor(
    readonly store: string,
    readonly topic: string,
    readonly partition: number,
    readonly expected: number | undefined,
    readonly found: number | undefined,
  ) {
    super(
      `${store}: ${topic}-${partition} is stored at ${found ?? 'no position'}, not ${expected ?? 'no position'}: ` +
        'another consumer wrote it since',
      { code: 'SINK_FENCED', retriable: true },
    );
  }
}

/** A record's value could not be decoded, or `map` threw for it (with `onError: 'fail'`). */
export class SinkDecodeError extends SluiceError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot store ${topic}-${partition} offset ${offset}: ${why}`, { code: 'SINK_DECODE', cause });
  }
}
