// PostgresStore's connections: the optional drivers, loaded on open, and a pool whose connections are
// thrown away after any failure, so that one broken by a restart of the server, or left inside an
// aborted transaction, is never handed to the next write.
import type { Pool, PoolClient } from 'pg';
import type { CopyStreamQuery } from 'pg-copy-streams';
import { ConfigError } from '../errors.js';
import { SinkError } from './errors.js';
import { pgSinkError } from './postgres-errors.js';
import type { ResolvedPostgresOptions } from './postgres-options.js';

export type CopyFrom = (text: string) => CopyStreamQuery;

export interface Drivers {
  Pool: typeof Pool;
  /** pg-copy-streams' `from`, when COPY may be used. */
  copyFrom: CopyFrom | undefined;
}

/** pg 8 and pg-copy-streams 7 are optional peer dependencies: users of the Kafka client alone never install them. */
export async function loadDrivers(withCopy: boolean): Promise<Drivers> {
  const missing = (err: unknown) =>
    new ConfigError(
      'store',
      'the PostgreSQL sink needs the pg and pg-copy-streams packages (npm install pg pg-copy-streams): ' +
        (err as Error).message,
    );
  let PoolClass: typeof Pool;
  try {
    PoolClass = (await import('pg')).Pool;
  } catch (err) {
    throw missing(err);
  }
  if (!withCopy) return { Pool: PoolClass, copyFrom: undefined };
  try {
    const mod = (await import('pg-copy-streams')) as { from?: CopyFrom; default?: { from: CopyFrom } };
    return { Pool: PoolClass, copyFrom: mod.from ?? mod.default!.from };
  } catch (err) {
    throw missing(err);
  }
}

export function createPool(PoolClass: typeof Pool, o: ResolvedPostgresOptions): Pool {
  const pool = new PoolClass({
    // Without a URL, pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, … as libpq does.
    ...(o.url === undefined ? {} : { connectionString: o.url }),
    ...(o.ssl === undefined ? {} : { ssl: o.ssl }),
    max: o.maxConnections,
    connectionTimeoutMillis: o.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: o.applicationName,
  });
  // An idle connection the server closed (a restart, an idle timeout): the pool drops it and the next
  // checkout connects afresh. Without a listener the 'error' event would crash the process.
  pool.on('error', () => {});
  return pool;
}

/** A pooled connection for one operation. */
export interface Lease {
  client: PoolClient;
  /** The connection reported an error outside a query (the server went away between statements). */
  broken: boolean;
  /** Returns the connection to the pool, or, given the error that ended the operation, closes it. */
  done(failure?: unknown): void;
}

export async function checkout(pool: Pool | undefined, store: string): Promise<Lease> {
  if (!pool) throw new SinkError(store, 'the store is not open (call open() first)', { code: 'SINK_NOT_OPEN' });
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw pgSinkError(store, 'connecting', err);
  }
  // Checked out, a connection has no 'error' listener of the pool's: one that breaks between two
  // statements would crash the process without ours. The next statement fails anyway.
  const onError = () => {
    l.broken = true;
  };
  const l: Lease = {
    client,
    broken: false,
    done: (failure?: unknown) => {
      client.off('error', onError);
      // Closing the connection also ends its transaction, whatever state that is in.
      if (failure === undefined && !l.broken) client.release();
      else client.release(failure instanceof Error ? failure : true);
    },
  };
  client.on('error', onError);
  return l;
}
