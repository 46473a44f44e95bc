import { AbortedError } from '../network/errors.js';
import { timerDelay } from '../network/timeouts.js';

export interface BackoffOptions {
  /** First delay (`retry.backoff.ms` / `reconnect.backoff.ms`). */
  initialMs: number;
  /** Ceiling (`retry.backoff.max.ms` / `reconnect.backoff.max.ms`). */
  maxMs: number;
  /** Relative jitter; KIP-580 uses ±20%. */
  jitter?: number;
}

/**
 * Exponential backoff with jitter (KIP-580): `initial * 2^attempt`, capped at `max`, then spread
 * by ±jitter so that many clients failing together do not retry in lock-step.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const jitter = o.jitter ?? 0.2;
  const exp = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 31));
  const spread = exp * (1 - jitter + 2 * jitter * random());
  return Math.max(0, Math.min(o.maxMs, Math.round(spread)));
}

/**
 * Resolves after `ms` (clamped to what Node's timers accept, so a huge delay never becomes 1 ms), or
 * rejects with {@link AbortedError} when `signal` aborts first.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError('Aborted', signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError('Aborted', signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
