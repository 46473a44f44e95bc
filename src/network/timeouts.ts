import { ConfigError } from '../errors.js';

/**
 * The longest delay Node's timers accept: 2^31-1 ms (about 24.8 days). A longer one is not an
 * error to Node: it prints a warning and fires after 1 ms, which turns "wait a long time" into
 * "time out at once" (every request failing, a consumer reconnecting in a loop).
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The message of every "too long a timeout" ConfigError, so they read the same everywhere. */
export const MAX_TIMEOUT_TEXT = `must be <= ${MAX_TIMEOUT_MS} (about 24.8 days, the longest timer Node.js supports)`;

/**
 * A caller-given timeout (an option or a per-call `timeoutMs`): a number from 0 to
 * {@link MAX_TIMEOUT_MS}, else a {@link ConfigError} naming `name`.
 */
export function checkTimeout(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ConfigError(name, `expected a number of milliseconds, got ${describe(value)}`);
  }
  if (value < 0) throw new ConfigError(name, `must be >= 0, got ${value}`);
  if (value > MAX_TIMEOUT_MS) throw new ConfigError(name, `${MAX_TIMEOUT_TEXT}, got ${value}`);
  return value;
}

/**
 * A delay computed inside the client (a remaining time, a backoff, a timeout plus a wait) made safe
 * for setTimeout: above the maximum it is clamped (it means "practically never"), below 0 or NaN it
 * is 0. Never lets Node cut a long delay to 1 ms.
 */
export function timerDelay(ms: number): number {
  return ms > 0 ? Math.min(ms, MAX_TIMEOUT_MS) : 0;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? typeof value;
}
