import { AbortedError } from '../network/errors.js';

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  cleanup: (() => void) | undefined;
}

/**
 * The bound on bytes held by the producer (`buffer.memory`): records count from `send` until their
 * batch is acknowledged or failed. Reservations are granted in arrival order, so a large waiting
 * `send` is not starved by small ones, and calls keep their order.
 */
export class BufferMemory {
  used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly limit: number) {}

  /** True while someone waits for room: the sender then sends batches without lingering (as Java does). */
  get exhausted(): boolean {
    return this.waiters.length > 0;
  }

  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Waits for room; rejects with `onTimeout()` after `timeoutMs`, or when `signal` aborts. */
  reserve(bytes: number, timeoutMs: number, onTimeout: () => Error, signal?: AbortSignal): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new AbortedError('send aborted', signal.reason));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { bytes, resolve, reject, timer: undefined, cleanup: undefined };
      const drop = (err: unknown) => {
        const i = this.waiters.indexOf(w);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        w.cleanup?.();
        if (w.timer) clearTimeout(w.timer);
        reject(err);
        this.grant();
      };
      w.timer = setTimeout(() => drop(onTimeout()), timeoutMs);
      if (signal) {
        const onAbort = () => drop(new AbortedError('send aborted', signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        w.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.waiters.push(w);
    });
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.waiters.length > 0) this.grant();
  }

  /** Fails every waiter (the producer is closing). */
  failAll(err: unknown): void {
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.cleanup?.();
      w.reject(err);
    }
  }

  private grant(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.used + w.bytes > this.limit) return;
      this.waiters.shift();
      this.used += w.bytes;
      if (w.timer) clearTimeout(w.timer);
      w.cleanup?.();
      w.resolve();
    }
  }
}
