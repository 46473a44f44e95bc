import { SluiceError } from '../errors.js';

/** Where a network error happened: which broker, and which request if any. */
export interface NetworkErrorContext {
  broker?: string;
  api?: string;
}

function where(ctx: NetworkErrorContext): string {
  const parts: string[] = [];
  if (ctx.api) parts.push(ctx.api);
  if (ctx.broker) parts.push(`broker ${ctx.broker}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * The connection could not be made, or it broke while requests were in flight. Retriable: a new
 * connection (after backoff) may succeed. `code` is `CONNECTION_REFUSED`, `CONNECTION_CLOSED`,
 * `CONNECTION_TIMEOUT`, `TLS_FAILED` or `PROTOCOL_VIOLATION`.
 */
export class ConnectionError extends SluiceError {
  readonly broker: string | undefined;

  constructor(code: string, message: string, ctx: NetworkErrorContext = {}, cause?: unknown) {
    super(message + where(ctx), { code, retriable: code !== 'TLS_FAILED', cause });
    this.broker = ctx.broker;
  }
}

/** A request got no response within `request.timeout.ms`; the connection is closed (its state is unknown). */
export class RequestTimeoutError extends SluiceError {
  constructor(timeoutMs: number, ctx: NetworkErrorContext = {}) {
    super(`Request timed out after ${timeoutMs} ms${where(ctx)}`, { code: 'REQUEST_TIMEOUT', retriable: true });
  }
}

/** SASL or TLS authentication was rejected. Never retried: the same credentials will fail again. */
export class AuthenticationError extends SluiceError {
  constructor(message: string, ctx: NetworkErrorContext = {}, cause?: unknown) {
    super(message + where(ctx), { code: 'AUTHENTICATION_FAILED', retriable: false, cause });
  }
}

/** The broker supports no version of an API (or none that we implement). */
export class UnsupportedVersionError extends SluiceError {
  constructor(message: string, ctx: NetworkErrorContext = {}) {
    super(message + where(ctx), { code: 'UNSUPPORTED_VERSION', retriable: false });
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class AbortedError extends SluiceError {
  constructor(message = 'The operation was aborted', cause?: unknown) {
    super(message, { code: 'ABORTED', retriable: false, cause });
  }
}
