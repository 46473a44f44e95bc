// What a failure of node-postgres means for the sink: a SinkError with a stable code, and whether the
// runner should try again (the server restarting, a connection lost, a transaction that lost a race)
// or stop with a message the user can act on (a wrong password, a missing database, no permission, a
// full disk, a table of the wrong shape).
//
// Three kinds of failure reach us: the server's errors (DatabaseError, with a SQLSTATE in `code`),
// socket errors (Node's `ECONNREFUSED`, …) and the driver's own, which carry only a message
// ("Connection terminated unexpectedly").
import { SinkError } from './errors.js';

interface Kind {
  code: string;
  retriable: boolean;
}

const CONNECTION: Kind = { code: 'PG_CONNECTION', retriable: true };

/** SQLSTATEs by exact code, then by class (the first two characters). */
const BY_STATE: Record<string, Kind> = {
  '57P01': { code: 'PG_UNAVAILABLE', retriable: true }, // admin_shutdown: the server is stopping
  '57P02': { code: 'PG_UNAVAILABLE', retriable: true }, // crash_shutdown: another backend crashed
  '57P03': { code: 'PG_UNAVAILABLE', retriable: true }, // cannot_connect_now: starting up, recovering
  '57P05': { code: 'PG_UNAVAILABLE', retriable: true }, // idle_session_timeout
  '57014': { code: 'PG_UNAVAILABLE', retriable: true }, // query_canceled (by an admin or a timeout)
  '53300': { code: 'PG_UNAVAILABLE', retriable: true }, // too_many_connections
  '53200': { code: 'PG_UNAVAILABLE', retriable: true }, // out_of_memory
  '53000': { code: 'PG_UNAVAILABLE', retriable: true }, // insufficient_resources
  '53100': { code: 'PG_DISK_FULL', retriable: false },
  '40001': { code: 'PG_CONFLICT', retriable: true }, // serialization_failure
  '40P01': { code: 'PG_CONFLICT', retriable: true }, // deadlock_detected
  '55P03': { code: 'PG_CONFLICT', retriable: true }, // lock_not_available
  // A standby: during a failover the name may point at the new primary on the next connection.
  '25006': { code: 'PG_READ_ONLY', retriable: true },
  '3D000': { code: 'PG_NO_DATABASE', retriable: false },
  '42501': { code: 'PG_PERMISSION', retriable: false },
};

const BY_CLASS: Record<string, Kind> = {
  '08': CONNECTION, // connection_exception
  '28': { code: 'PG_AUTH', retriable: false }, // invalid_authorization_specification (28P01: password)
  '42': { code: 'PG_SCHEMA', retriable: false }, // undefined table or column, wrong type, syntax
  '22': { code: 'PG_DATA', retriable: false }, // data_exception: a value the column cannot hold
  '23': { code: 'PG_DATA', retriable: false }, // integrity_constraint_violation
};

/** Socket errors. A host name that does not resolve is a typo until shown otherwise; EAI_AGAIN is DNS down. */
const BY_ERRNO: Record<string, Kind> = {
  ECONNREFUSED: CONNECTION,
  ECONNRESET: CONNECTION,
  ECONNABORTED: CONNECTION,
  EPIPE: CONNECTION,
  ETIMEDOUT: CONNECTION,
  EHOSTUNREACH: CONNECTION,
  ENETUNREACH: CONNECTION,
  ENETDOWN: CONNECTION,
  EAI_AGAIN: CONNECTION,
  ENOENT: CONNECTION, // a unix socket that is not there (yet): the server is down
  ENOTFOUND: { code: 'PG_HOST_NOT_FOUND', retriable: false },
  EACCES: { code: 'PG_PERMISSION', retriable: false },
};

/** The driver's own messages for a connection that broke or could not be made in time. */
const DRIVER_CONNECTION =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended|connection error|Client was closed/i;
const DRIVER_AUTH = /^SASL: |password must be a string|server does not support SSL|self[- ]signed certificate/i;

/** The server's SQLSTATE, if the server sent this error (socket errors' codes, such as EPIPE, look alike). */
function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown; syscall?: unknown };
  if (typeof e?.code !== 'string' || typeof e.syscall === 'string' || e.code in BY_ERRNO) return undefined;
  return /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string' ? e.code : undefined;
}

function classify(err: unknown): Kind {
  if (err instanceof AggregateError && err.errors.length > 0) return classify(err.errors[0]); // dual-stack connect
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown };
  const state = sqlState(err);
  if (state) return BY_STATE[state] ?? BY_CLASS[state.slice(0, 2)] ?? { code: 'PG_ERROR', retriable: false };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && BY_ERRNO[code]) return BY_ERRNO[code];
  if (typeof e?.syscall === 'string') return CONNECTION; // another socket failure
  const message = typeof e?.message === 'string' ? e.message : '';
  if (DRIVER_CONNECTION.test(message)) return CONNECTION;
  if (DRIVER_AUTH.test(message)) return { code: 'PG_AUTH', retriable: false };
  return { code: 'PG_ERROR', retriable: false };
}

/** Readable for a person: the server's message, its detail and hint, and the SQLSTATE to look up. */
function describe(err: unknown): string {
  const e = err as { message?: unknown; detail?: unknown; hint?: unknown };
  let text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  if (err instanceof AggregateError && err.errors.length > 0) text = describe(err.errors[0]);
  if (typeof e?.detail === 'string') text += ` (${e.detail})`;
  if (typeof e?.hint === 'string') text += `; hint: ${e.hint}`;
  const state = sqlState(err);
  if (state) text += ` [SQLSTATE ${state}]`;
  return text;
}

/** A SinkError for `err`, which happened while the store was doing `what` ("write", "open", …). */
export function pgSinkError(store: string, what: string, err: unknown, advice?: string): SinkError {
  if (err instanceof SinkError) return err;
  const kind = classify(err);
  return new SinkError(store, `${what} failed: ${describe(err)}${advice ? `; ${advice}` : ''}`, {
    code: kind.code,
    retriable: kind.retriable,
    cause: err,
  });
}
