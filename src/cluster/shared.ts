import { setMaxListeners } from 'node:events';
import { AbortedError } from '../network/errors.js';

/** The error a caller sees when its own signal ends its wait. */
export function abortedBy(signal: AbortSignal, what = 'The operation'): AbortedError {
  return new AbortedError(`${what} was aborted`, signal.reason);
}

/**
 * Work several callers wait for (opening a connection, a Metadata or FindCoordinator request), each
 * with its own signal: a deadline, a user's abort. A caller whose signal aborts stops waiting at once
 * and the work goes on for the others; it is aborted only when no one waits any more, or by
 * {@link SharedTask.cancel}.
 *
 * Why not start it with the first caller's signal: then a later caller with a longer deadline fails
 * when the first one gives up, and a later caller with a shorter one waits for the first one's.
 */
export class SharedTask<T> {
  /** Settles (never rejects) when the work is over, however it ended. */
  readonly finished: Promise<void>;
  private readonly controller = new AbortController();
  private readonly done: Promise<T>;
  private rejectDone!: (err: unknown) => void;
  private waiters = 0;
  private over = false;

  constructor(run: (signal: AbortSignal) => Promise<T>) {
    setMaxListeners(0, this.controller.signal);
    this.done = new Promise<T>((resolve, reject) => {
      this.rejectDone = reject;
      run(this.controller.signal).then(resolve, reject);
    });
    this.finished = this.done.then(
      () => {
        this.over = true;
      },
      () => {
        this.over = true;
      },
    );
  }

  /** True once cancelled (or abandoned by every waiter): new callers must start new work. */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** True once the work has ended. */
  get settled(): boolean {
    return this.over;
  }

  /** Waits for the result, or until `signal` aborts (then rejects with AbortedError). */
  join(signal?: AbortSignal, what?: string): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortedBy(signal, what));
    this.waiters++;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = () => {
        if (left) return false;
        left = true;
        this.waiters--;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        reject(abortedBy(signal!, what));
        if (this.waiters === 0 && !this.over) this.cancel(new AbortedError('Abandoned: every caller gave up'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.done.then(
        (value) => {
          if (leave()) resolve(value);
        },
        (err) => {
          if (leave()) reject(err);
        },
      );
    });
  }

  /** Fails every waiter with `err` now and aborts the work (whose own outcome is then ignored). */
  cancel(err: unknown): void {
    if (this.over || this.cancelled) return;
    this.rejectDone(err);
    this.controller.abort(err);
  }
}

/**
 * Resolves or rejects as `promise` does, unless `signal` aborts first: then it rejects at once with
 * the signal's reason (which the caller chose, e.g. a TimeoutError). `promise` is left to finish
 * alone; its outcome is ignored.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A request (Metadata) that concurrent callers share, where each caller needs an answer sent after it
 * asked: a caller arriving while one is in flight waits for it and then for the next one, which
 * every caller arriving meanwhile shares. So at most one request is in flight and one is queued,
 * however many callers there are, and each waits with its own signal.
 */
export class FreshRequests {
  private current: SharedTask<void> | undefined;
  private queued: SharedTask<void> | undefined;

  constructor(private readonly send: (signal: AbortSignal) => Promise<void>) {}

  join(signal?: AbortSignal, what?: string): Promise<void> {
    if (this.current === undefined || this.current.cancelled || this.current.settled) {
      this.current = this.start(undefined);
      this.queued = undefined;
      return this.current.join(signal, what);
    }
    if (this.queued === undefined || this.queued.cancelled) this.queued = this.start(this.current);
    return this.queued.join(signal, what);
  }

  private start(after: SharedTask<void> | undefined): SharedTask<void> {
    const task = new SharedTask<void>(async (signal) => {
      if (after) await after.finished;
      if (signal.aborted) throw signal.reason;
      await this.send(signal);
    });
    task.finished.then(() => {
      if (this.current !== task) return;
      // The queued request (already waiting on this one) becomes the one in flight.
      this.current = this.queued?.cancelled ? undefined : this.queued;
      this.queued = undefined;
    });
    return task;
  }
}
