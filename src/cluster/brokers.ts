import { Connection } from '../network/connection.js';
import {
  AbortedError,
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  invalidAddress,
} from '../network/errors.js';
import { backoffDelay, sleep } from './backoff.js';
import type { BrokerAddress, ResolvedClientOptions } from './options.js';
import { SharedTask } from './shared.js';

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
 *
 * Callers asking for a connection being opened share the attempt, each waiting with its own signal
 * (see {@link SharedTask}): one caller's deadline or abort never ends another's wait, and the attempt
 * is abandoned only when every caller has gone.
 */
export class BrokerPool {
  private readonly conns = new Map<string, Connection>();
  private readonly opening = new Map<string, SharedTask<Connection>>();
  private readonly failures = new Map<string, Failure>();
  private closed = false;

  constructor(private readonly o: ResolvedClientOptions) {}

  /** A ready (connected, negotiated, authenticated) connection to `addr` for `purpose`. */
  get(addr: BrokerAddress, purpose: ConnectionPurpose, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const key = `${addr.host}:${addr.port}|${purpose}`;
    const existing = this.conns.get(key);
    if (existing?.ready) return Promise.resolve(existing);
    let task = this.opening.get(key);
    if (!task || task.cancelled) {
      const t = new SharedTask((s) => this.open(key, addr, s));
      this.opening.set(key, t);
      t.finished.then(() => {
        if (this.opening.get(key) === t) this.opening.delete(key);
      });
      task = t;
    }
    return task.join(signal, `Connecting to ${addr.host}:${addr.port}`);
  }

  /** Connections currently open, for diagnostics and tests. */
  get size(): number {
    return this.conns.size;
  }

  private async open(key: string, addr: BrokerAddress, signal: AbortSignal): Promise<Connection> {
    const address = `${addr.host}:${addr.port}`;
    const bad = invalidAddress(addr.host, addr.port);
    if (bad) throw new ConnectionError('INVALID_BROKER_ADDRESS', `Cannot connect: ${bad}`, { broker: address });
    const failure = this.failures.get(address);
    if (failure && failure.until > Date.now()) await sleep(failure.until - Date.now(), signal);
    if (this.closed) throw new ClientClosedError();
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
      // An abandoned attempt says nothing about the broker; a failed one delays the next (backoff).
      if (!(err instanceof AuthenticationError) && !(err instanceof AbortedError)) {
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
    if (this.closed) {
      conn.destroy(new ClientClosedError());
      throw new ClientClosedError();
    }
    this.conns.get(key)?.close();
    this.conns.set(key, conn);
    conn.once('close', () => {
      if (this.conns.get(key) === conn) this.conns.delete(key);
    });
    return conn;
  }

  /** Closes every connection to `addr` (e.g. after the broker left the cluster). */
  closeBroker(addr: BrokerAddress): void {
    const prefix = `${addr.host}:${addr.port}|`;
    for (const [key, conn] of this.conns) if (key.startsWith(prefix)) conn.close();
  }

  /**
   * Closes everything: connections being opened and open ones. Whatever waits on them (a connect, a
   * request in flight) fails at once with {@link ClientClosedError}, which is not retriable.
   */
  close(): void {
    this.closed = true;
    const err = new ClientClosedError();
    for (const task of this.opening.values()) task.cancel(err);
    this.opening.clear();
    for (const conn of this.conns.values()) conn.destroy(err);
    this.conns.clear();
  }
}
