import { Connection } from '../network/connection.js';
import { AuthenticationError } from '../network/errors.js';
import { backoffDelay, sleep } from './backoff.js';
import type { BrokerAddress, ResolvedClientOptions } from './options.js';

/**
 * Why a connection is used. Each purpose gets its own socket per broker, because a broker handles
 * one request at a time per connection: a fetch parked for `fetch.max.wait.ms` must not delay a
 * heartbeat (DESIGN invariant 6), and a JoinGroup parked for the whole rebalance (`rebalance`) must
 * not delay the commits and heartbeats on `group`.
 */
export type ConnectionPurpose = 'fetch' | 'group' | 'rebalance' | 'produce' | 'general';

interface Failure {
  count: number;
  /** Earliest time a new attempt may start. */
  until: number;
}

/**
 * Connections to brokers, one per (address, purpose), opened lazily and reopened after failures
 * with exponential backoff (`reconnect.backoff.ms` .. `reconnect.backoff.max.ms`).
 */
export class BrokerPool {
  private readonly conns = new Map<string, Connection>();
  private readonly opening = new Map<string, Promise<Connection>>();
  private readonly failures = new Map<string, Failure>();
  private closed = false;

  constructor(private readonly o: ResolvedClientOptions) {}

  /** A ready (connected, negotiated, authenticated) connection to `addr` for `purpose`. */
  get(addr: BrokerAddress, purpose: ConnectionPurpose, signal?: AbortSignal): Promise<Connection> {
    const key = `${addr.host}:${addr.port}|${purpose}`;
    const existing = this.conns.get(key);
    if (existing?.ready) return Promise.resolve(existing);
    let p = this.opening.get(key);
    if (!p) {
      p = this.open(key, addr, signal).finally(() => this.opening.delete(key));
      this.opening.set(key, p);
    }
    return p;
  }

  /** Connections currently open, for diagnostics and tests. */
  get size(): number {
    return this.conns.size;
  }

  private async open(key: string, addr: BrokerAddress, signal?: AbortSignal): Promise<Connection> {
    const address = `${addr.host}:${addr.port}`;
    const failure = this.failures.get(address);
    if (failure && failure.until > Date.now()) await sleep(failure.until - Date.now(), signal);
    if (this.closed) throw new Error('BrokerPool is closed');
    const conn = new Connection({
      host: addr.host,
      port: addr.port,
      tls: this.o.tls,
      sasl: this.o.sasl,
      clientId: this.o.clientId,
      requestTimeoutMs: this.o.requestTimeoutMs,
      connectionTimeoutMs: this.o.connectionTimeoutMs,
      socketFactory: this.o.socketFactory,
    });
    try {
      await conn.connect(signal);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) {
        const count = (failure?.count ?? 0) + 1;
        const delay = backoffDelay(count - 1, {
          initialMs: this.o.reconnectBackoffMs,
          maxMs: this.o.reconnectBackoffMaxMs,
        });
        this.failures.set(address, { count, until: Date.now() + delay });
      }
      throw err;
    }
    this.failures.delete(address);
    this.conns.get(key)?.close();
    this.conns.set(key, conn);
    conn.once('close', () => {
      if (this.conns.get(key) === conn) this.conns.delete(key);
    });
    if (this.closed) conn.close();
    return conn;
  }

  /** Closes every connection to `addr` (e.g. after the broker left the cluster). */
  closeBroker(addr: BrokerAddress): void {
    const prefix = `${addr.host}:${addr.port}|`;
    for (const [key, conn] of this.conns) if (key.startsWith(prefix)) conn.close();
  }

  close(): void {
    this.closed = true;
    for (const conn of this.conns.values()) conn.close();
    this.conns.clear();
  }
}
