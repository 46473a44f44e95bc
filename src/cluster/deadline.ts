import { SluiceError } from '../errors.js';
import { AbortedError } from '../network/errors.js';

/**
 * The operation as a whole ran out of time (`default.api.timeout.ms` or the caller's timeout).
 * Carries the last error seen while retrying, so the user sees *why* it kept failing.
 */
export class TimeoutError extends SluiceError {
  constructor(what: string, timeoutMs: number, lastError?: unknown) {
    const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
    super(`${what} did not complete within ${timeoutMs} ms${why}`, {
      code: 'TIMEOUT',
      retriable: true,
      cause: lastError,
    });
  }
}

/** An absolute point in time by which an operation must finish. */
export class Deadline {
  readonly at: number;

  constructor(
    readonly timeoutMs: number,
    readonly what: string,
    readonly signal?: AbortSignal,
  ) {
    this.at = Date.now() + timeoutMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  get expired(): boolean {
    return Date.now() >= this.at;
  }

  /** Throws when aborted or past the deadline (with the last error as the cause). */
  check(lastError?: unknown): void {
    if (this.signal?.aborted) throw new AbortedError(`${this.what} aborted`, this.signal.reason);
    if (this.expired) throw new TimeoutError(this.what, this.timeoutMs, lastError);
  }
}
