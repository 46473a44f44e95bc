import { setMaxListeners } from 'node:events';
import { SluiceError } from '../errors.js';
import { AbortedError, ClientClosedError } from '../network/errors.js';
import { timerDelay } from '../network/timeouts.js';
import { raceSignal } from './shared.js';

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

/**
 * An absolute point in time by which an operation must finish, and a signal that aborts when it
 * passes or when any of `parents` aborts (the caller's signal, the client closing). Work given
 * {@link Deadline.signal} stops at the deadline wherever it is: connecting, waiting for a response,
 * sleeping between attempts, waiting for work shared with other callers.
 *
 * The signal's reason is the error the operation ends with: a {@link TimeoutError} carrying
 * {@link Deadline.lastError}, a {@link ClientClosedError}, or an {@link AbortedError} for the caller's
 * own signal. Call {@link Deadline.dispose} when the operation ends (it holds a timer).
 */
export class Deadline {
  readonly at: number;
  readonly signal: AbortSignal;
  /** The last error of an attempt, reported in the TimeoutError. */
  lastError: unknown;
  private readonly controller = new AbortController();
  private readonly cleanups: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    readonly what: string,
    parents: ReadonlyArray<AbortSignal | undefined> = [],
    startedAt = Date.now(),
  ) {
    this.at = startedAt + timeoutMs;
    this.signal = this.controller.signal;
    // Every step of the call listens to it (connects, requests, lookups, sleeps), many at once.
    setMaxListeners(0, this.signal);
    for (const parent of parents) {
      if (!parent) continue;
      if (parent.aborted) {
        this.abortFrom(parent);
        return;
      }
      const onAbort = () => this.abortFrom(parent);
      parent.addEventListener('abort', onAbort, { once: true });
      this.cleanups.push(() => parent.removeEventListener('abort', onAbort));
    }
    const remaining = this.at - Date.now();
    if (remaining <= 0) this.expire();
    // Not unref'd: a caller awaiting this operation must see it end even when nothing else (a
    // black-holed socket is no handle) keeps the event loop alive.
    else this.timer = setTimeout(() => this.expire(), timerDelay(remaining));
  }

  get remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  get expired(): boolean {
    return this.signal.aborted || Date.now() >= this.at;
  }

  /** Throws the reason the operation must end (aborted, closed, out of time), if there is one. */
  check(lastError: unknown = this.lastError): void {
    if (!this.signal.aborted && Date.now() >= this.at) {
      this.lastError = lastError;
      this.expire();
    }
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** `promise`, or this deadline's error as soon as it passes (the promise is left to finish alone). */
  race<T>(promise: Promise<T>): Promise<T> {
    return raceSignal(promise, this.signal);
  }

  /** Releases the timer and the listeners on the parent signals. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.cleanups.splice(0)) c();
  }

  private expire(): void {
    this.finish(new TimeoutError(this.what, this.timeoutMs, this.lastError));
  }

  private abortFrom(parent: AbortSignal): void {
    const r: unknown = parent.reason;
    // A closing client is reported as such; anything else is the caller aborting (an enclosing
    // deadline included: the enclosing operation reports its own TimeoutError).
    const err = r instanceof ClientClosedError ? r : new AbortedError(`${this.what} aborted`, r);
    this.finish(err);
  }

  private finish(err: Error): void {
    if (this.signal.aborted) return;
    this.controller.abort(err);
    this.dispose();
  }
}
