import type { Connection } from '../network/connection.js';
import { ConnectionError, invalidAddress } from '../network/errors.js';
import { kafkaError } from '../protocol/errors.js';
import { FindCoordinator } from '../protocol/generated/find-coordinator.js';
import type { ConnectionPurpose } from './brokers.js';
import type { Cluster } from './cluster.js';
import type { BrokerAddress } from './options.js';
import { SharedTask } from './shared.js';

/** FindCoordinator key types. */
export const CoordinatorTypes = { group: 0, transaction: 1, share: 2 } as const;
export type CoordinatorType = keyof typeof CoordinatorTypes;

type CoordinatorAddress = BrokerAddress & { nodeId: number };

/** One key's answer: its coordinator, or the error to reject its callers with. */
type Answer = CoordinatorAddress | Error;

interface Batch {
  keys: Set<string>;
  task: SharedTask<Map<string, Answer>>;
}

/**
 * Finds and caches coordinators (group, transaction, share). Lookups for the same type that arrive
 * in the same tick share one FindCoordinator request (v4+ batches keys, KIP-699); each caller waits
 * for it with its own signal. A cached entry is dropped with {@link Coordinators.invalidate} when a
 * request says NOT_COORDINATOR.
 */
export class Coordinators {
  private readonly cache = new Map<string, CoordinatorAddress>();
  private readonly queued = new Map<CoordinatorType, Batch>();

  constructor(private readonly cluster: Cluster) {}

  /**
   * A connection to the coordinator (default purpose `group`), found with retries and backoff until
   * `default.api.timeout.ms`, or until `signal` aborts.
   */
  connection(
    type: CoordinatorType,
    key: string,
    signal?: AbortSignal,
    purpose: ConnectionPurpose = 'group',
  ): Promise<Connection> {
    return this.cluster.retry(
      `Finding the ${type} coordinator for "${key}"`,
      async (_attempt, s) => {
        const addr = await this.find(type, key, s);
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
  find(type: CoordinatorType, key: string, signal?: AbortSignal): Promise<CoordinatorAddress> {
    const cached = this.cache.get(`${type}|${key}`);
    if (cached) return Promise.resolve(cached);
    let batch = this.queued.get(type);
    if (!batch || batch.task.cancelled) {
      const keys = new Set<string>();
      const task = new SharedTask(async (s) => {
        // Let the lookups made in this tick join the batch before it is sent.
        await Promise.resolve();
        if (this.queued.get(type)?.task === task) this.queued.delete(type);
        return this.lookup(type, [...keys], s);
      });
      batch = { keys, task };
      this.queued.set(type, batch);
    }
    batch.keys.add(key);
    return batch.task.join(signal, `Finding the ${type} coordinator for "${key}"`).then((answers) => {
      const a = answers.get(key);
      if (a === undefined) throw kafkaError(15, { api: 'FindCoordinator', groupId: key });
      if (a instanceof Error) throw a;
      return a;
    });
  }

  invalidate(type: CoordinatorType, key: string): void {
    this.cache.delete(`${type}|${key}`);
  }

  private async lookup(type: CoordinatorType, keys: string[], signal: AbortSignal): Promise<Map<string, Answer>> {
    const conn = await this.cluster.anyConnection('general', signal);
    const keyType = CoordinatorTypes[type];
    const version = conn.apiVersions.pick(FindCoordinator);
    const results = new Map<
      string,
      { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null }
    >();
    if (version >= 4) {
      const res = await conn.request(FindCoordinator, { keyType, coordinatorKeys: keys }, { signal });
      for (const c of res.coordinators) results.set(c.key, c);
    } else {
      for (const key of keys) {
        const res = await conn.request(FindCoordinator, { key, keyType }, { signal });
        results.set(key, res);
      }
    }
    const answers = new Map<string, Answer>();
    for (const key of keys) {
      const r = results.get(key);
      if (!r) {
        answers.set(key, kafkaError(15, { api: 'FindCoordinator', broker: conn.broker }));
      } else if (r.errorCode) {
        answers.set(
          key,
          kafkaError(r.errorCode, {
            api: 'FindCoordinator',
            broker: conn.broker,
            groupId: key,
            serverMessage: r.errorMessage,
          }),
        );
      } else {
        const bad = invalidAddress(r.host, r.port);
        if (bad) {
          // Retriable: the coordinator may move, or its broker be reconfigured, before the deadline.
          answers.set(
            key,
            new ConnectionError(
              'INVALID_BROKER_ADDRESS',
              `The ${type} coordinator for "${key}" is broker ${r.nodeId} at "${r.host}:${r.port}", which cannot be connected to: ${bad}`,
            ),
          );
          continue;
        }
        const addr = { nodeId: r.nodeId, host: r.host, port: r.port };
        this.cache.set(`${type}|${key}`, addr);
        answers.set(key, addr);
      }
    }
    return answers;
  }
}
