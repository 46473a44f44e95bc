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
 * `CONNECTION_TIMEOUT`, `TLS_FAILED`, `PROTOCOL_VIOLATION`, `UNKNOWN_BROKER` or `INVALID_BROKER_ADDRESS`
 * (a broker advertised an address that cannot be connected to: retriable, as the next metadata may
 * carry a good one).
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

/**
 * The client (Admin, Producer, Consumer) was closed while this call was in flight, or the call came
 * after `close()`. Never retriable: the same client will not come back.
 */
export class ClientClosedError extends SluiceError {
  constructor(message = 'The client was closed') {
    super(message, { code: 'CLIENT_CLOSED', retriable: false });
  }
}

/**
 * Why `host:port` cannot be connected to (an empty host, a port outside 1-65535), or undefined when it
 * can. Brokers advertise their addresses in Metadata and FindCoordinator responses, so a broken one
 * arrives off the wire and must become a typed error, not a RangeError from net.connect.
 */
export function invalidAddress(host: unknown, port: unknown): string | undefined {
  if (typeof host !== 'string' || host.trim() === '') return `empty host ${JSON.stringify(host)}`;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `port ${String(port)} is outside 1-65535`;
  }
  return undefined;
}
