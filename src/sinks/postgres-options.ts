// PostgresStore's options: checked once, at construction, each problem a ConfigError naming the option.
// Table names follow the same rule as the SQLite store's (letters, digits, `_`, `$`; at most 63, which
// is also PostgreSQL's own limit before it silently truncates a name), so a sink moves between stores
// unchanged.
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors.js';
import { checkIdentifier, checkStoreOptions } from './store-options.js';
import type { SinkMode } from './types.js';

export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:port/database?sslmode=…` (or `postgresql://`). Default: none, and
   * the standard PG* environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, …) and
   * libpq's defaults apply, as for psql.
   */
  url?: string;
  /** Default 'append'. */
  mode?: SinkMode;
  /** The records table: default `sluice_records` (append) or `sluice_latest` (upsert); unused in map mode. */
  table?: string;
  /** Where positions are kept. Default `sluice_offsets`. */
  offsetsTable?: string;
  /**
   * The schema of Sluice's tables and of `map` mode's tables, created if missing. Default: none, i.e.
   * the first schema of the connection's search_path (usually `public`).
   */
  schema?: string;
  /**
   * How `append` rows are sent. 'copy': COPY FROM STDIN (text format), fastest for large writes —
   * ~2.6× an INSERT of 100 000 rows. 'insert': INSERT … SELECT FROM unnest(<one array per column>), up
   * to 5000 rows a statement; fewer messages, so ~15–25% faster for writes of 100 rows or fewer (and
   * for a proxy that does not pass COPY through). 'auto' (default): COPY from 256 rows a write, INSERT
   * below. Measured with PostgreSQL 15 on loopback.
   */
  appendMethod?: 'auto' | 'copy' | 'insert';
  /** Connections kept open at most (writes of different partitions may run at once). Default 4. */
  maxConnections?: number;
  /** How long connecting may take before it fails (retriably). Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** TLS, as node:tls takes it, overriding the URL's sslmode. Default: as the URL says (none). */
  ssl?: boolean | ConnectionOptions;
  /** `application_name` the server shows in pg_stat_activity. Default `sluice-sink`. */
  applicationName?: string;
}

export interface ResolvedPostgresOptions {
  url: string | undefined;
  mode: SinkMode;
  table: string;
  offsetsTable: string;
  schema: string | undefined;
  appendMethod: 'auto' | 'copy' | 'insert';
  maxConnections: number;
  connectTimeoutMs: number;
  ssl: boolean | ConnectionOptions | undefined;
  applicationName: string;
}

const KNOWN = new Set([
  'url',
  'mode',
  'table',
  'offsetsTable',
  'schema',
  'appendMethod',
  'maxConnections',
  'connectTimeoutMs',
  'ssl',
  'applicationName',
]);

export { checkIdentifier, quote } from './store-options.js';

export function checkPostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const { mode, table, offsetsTable } = checkStoreOptions('PostgresStore', options, [...KNOWN]);
  const o = options ?? {};
  const schema = o.schema === undefined ? undefined : checkIdentifier('schema', o.schema);
  const appendMethod = o.appendMethod ?? 'auto';
  if (appendMethod !== 'auto' && appendMethod !== 'copy' && appendMethod !== 'insert') {
    throw new ConfigError('appendMethod', `expected 'auto', 'copy' or 'insert', got ${String(appendMethod)}`);
  }
  const maxConnections = o.maxConnections ?? 4;
  if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100) {
    throw new ConfigError('maxConnections', `expected an integer from 1 to 100, got ${String(maxConnections)}`);
  }
  const connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new ConfigError('connectTimeoutMs', `expected a positive integer, got ${String(connectTimeoutMs)}`);
  }
  if (o.ssl !== undefined && typeof o.ssl !== 'boolean' && (typeof o.ssl !== 'object' || o.ssl === null)) {
    throw new ConfigError('ssl', 'expected true, false or node:tls connection options');
  }
  const applicationName = o.applicationName ?? 'sluice-sink';
  if (typeof applicationName !== 'string' || applicationName.length > 63) {
    throw new ConfigError('applicationName', 'expected a string of at most 63 characters');
  }
  return {
    url: o.url === undefined ? undefined : checkUrl(o.url),
    mode,
    table,
    offsetsTable,
    schema,
    appendMethod,
    maxConnections,
    connectTimeoutMs,
    ssl: o.ssl,
    applicationName,
  };
}

/** Never echoes the URL: it may hold a password. */
function checkUrl(url: unknown): string {
  const expected = 'expected postgres://user:password@host:port/database';
  if (typeof url !== 'string' || url === '') throw new ConfigError('url', `${expected}, got ${typeof url}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      'url',
      `not a URL; ${expected} (percent-encode characters such as @ : / # ? in the user name and password)`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('url', `the scheme is ${parsed.protocol.slice(0, 20)}//, ${expected}`);
  }
  return url;
}

/**
 * How the store names itself in logs and errors: `postgres://user@host:port/database`, never the
 * password. Without a URL, from the PG* variables and libpq's defaults, as the driver resolves them.
 */
export function describeConnection(url: string | undefined): string {
  const env = process.env;
  let user = env.PGUSER;
  let host = env.PGHOST;
  let port = env.PGPORT;
  let database = env.PGDATABASE;
  if (url !== undefined) {
    const u = new URL(url);
    user = decodeURIComponent(u.username) || user;
    host = u.hostname || u.searchParams.get('host') || host;
    port = u.port || port;
    database = decodeURIComponent(u.pathname.slice(1)) || database;
  }
  host ??= 'localhost';
  const at = user ? `${user}@` : '';
  const where = host.startsWith('/') ? encodeURIComponent(host) : `${host}:${port ?? 5432}`;
  return `postgres://${at}${where}/${database ?? user ?? ''}`;
}
