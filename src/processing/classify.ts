import { ProcessingFailedError } from './errors.js';

/**
 * The default answer to "is this handler error worth retrying?":
 *  - an error that says so itself — any error with a boolean `retriable` property, as every
 *    SluiceError has (a KafkaError follows Kafka's own classification, a ConfigError never is);
 *  - a `SyntaxError` never is: a payload that `JSON.parse` rejected is rejected again (Spring's
 *    defaults likewise send deserialization errors straight to the dead-letter topic);
 *  - a ProcessingFailedError (`withRetry` already gave up) is not retried again in-process;
 *  - anything else is: most handler failures are a database, service or network that is briefly
 *    unavailable, and the wrappers exist for those.
 */
export function shouldRetry(err: unknown): boolean {
  if (err instanceof ProcessingFailedError) return false;
  if (err instanceof SyntaxError) return false;
  if (typeof err === 'object' && err !== null) {
    const retriable = (err as { retriable?: unknown }).retriable;
    if (typeof retriable === 'boolean') return retriable;
  }
  return true;
}

/** An error's class name, as the dead-letter headers report it (Java writes the class's FQCN). */
export function errorName(err: unknown): string {
  if (err instanceof Error) {
    // `class PaymentError extends Error {}` keeps name 'Error': its constructor says more.
    if (err.name && err.name !== 'Error') return err.name;
    const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === 'string' && ctor !== '' ? ctor : 'Error';
  }
  return err === null ? 'null' : typeof err;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The innermost `cause` that is an Error (the error itself when it has none). */
export function rootCause(err: unknown): unknown {
  let e = err;
  // Bounded: a cause chain may be a cycle.
  for (let i = 0; i < 32 && e instanceof Error && e.cause instanceof Error; i++) e = e.cause;
  return e;
}

/**
 * The error a wrapper reports for a record: the handler's own error, unwrapped from withRetry's
 * ProcessingFailedError, with how many times the handler ran and whether retrying is worth it.
 */
export interface Failure {
  error: unknown;
  /** Handler runs this stage (withRetry's attempts, else 1). */
  runs: number;
  retriable: boolean;
}

export function failureOf(err: unknown, retryIf: (err: unknown) => boolean): Failure {
  if (err instanceof ProcessingFailedError) {
    // withRetry decided: a record it gave up on as not retriable skips the retry topics.
    const retriable = err.code === 'RETRIES_EXHAUSTED' && retryIf(err.cause);
    return { error: err.cause, runs: err.attempts, retriable };
  }
  return { error: err, runs: 1, retriable: retryIf(err) };
}
