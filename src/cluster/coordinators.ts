import type { Connection } from '../network/connection.js';
import { kafkaError } from '../protocol/errors.js';
import { FindCoordinator } from '../protocol/generated/index.js';
import type { ConnectionPurpose } from './brokers.js';
import type { Cluster } from './cluster.js';
import type { BrokerAddress } from './options.js';

/** FindCoordinator key types. */
export const CoordinatorTypes = { group: 0, transaction: 1, share: 2 } as const;
export type CoordinatorType = keyof typeof CoordinatorTypes;

interface Lookup {
  key: string;
  resolve: (addr: BrokerAddress & { nodeId: number }) => void;
  reject: (err: unknown) => void;
}

/**
 * Finds and caches coordinators (group, transaction, share). Lookups for the same type that arrive
 * in the same tick share one FindCoordinator request (v4+ batches keys, KIP-699). A cached entry
 * is dropped with {@link Coordinators.invalidate} when a request says NOT_COORDINATOR.
 */
export class Coordinators {
  private readonly cache = new Map<string, BrokerAddress & { nodeId: number }>();
  private readonly queued = new Map<CoordinatorType, Lookup[]>();

  constructor(private readonly cluster: Cluster) {}

  /** A connection to the coordinator (default purpose `group`), found with retries and backoff. */
  connection(
    type: CoordinatorType,
    key: string,
    signal?: AbortSignal,
    purpose: ConnectionPurpose = 'group',
  ): Promise<Connection> {
    return this.cluster.retry(
      `Finding the ${type} coordinator for "${key}"`,
      async (_attempt, s) => {
        const addr = await this.find(type, key);
        try {
          return await this.cluster.pool.get(addr, purpose, s);
        } catch (err) {
          this.invalidate(type, key);
          throw err;
        }
      },
      { signal },
    );
  }

  /** The cached coordinator, or one FindCoordinator round trip (not retried here). */
  find(type: CoordinatorType, key: string): Promise<BrokerAddress & { nodeId: number }> {
    const cached = this.cache.get(`${type}|${key}`);
    if (cached) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      let list = this.queued.get(type);
      if (!list) {
        list = [];
        this.queued.set(type, list);
        queueMicrotask(() => {
          this.queued.delete(type);
          this.lookup(type, list!).catch((err) => {
            for (const l of list!) l.reject(err);
          });
        });
      }
      list.push({ key, resolve, reject });
    });
  }

  invalidate(type: CoordinatorType, key: string): void {
    this.cache.delete(`${type}|${key}`);
  }

  private async lookup(type: CoordinatorType, lookups: Lookup[]): Promise<void> {
    const conn = await this.cluster.anyConnection('general');
    const keyType = CoordinatorTypes[type];
    const version = conn.apiVersions.pick(FindCoordinator);
    const keys = [...new Set(lookups.map((l) => l.key))];
    const results = new Map<
      string,
      { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }
    >();
    if (version >= 4) {
      const res = await conn.request(FindCoordinator, { keyType, coordinatorKeys: keys });
      for (const c of res.coordinators) results.set(c.key, c);
    } else {
      for (const key of keys) {
        const res = await conn.request(FindCoordinator, { key, keyType });
        results.set(key, res);
      }
    }
    for (const l of lookups) {
      const r = results.get(l.key);
      if (!r) {
        l.reject(kafkaError(15, { api: 'FindCoordinator', broker: conn.broker }));
      } else if (r.errorCode) {
        l.reject(
          kafkaError(r.errorCode, {
            api: 'FindCoordinator',
            broker: conn.broker,
            groupId: l.key,
            serverMessage: r.errorMessage,
          }),
        );
      } else {
        const addr = { nodeId: r.nodeId, host: r.host, port: r.port };
        this.cache.set(`${type}|${l.key}`, addr);
        l.resolve(addr);
      }
    }
  }
}
