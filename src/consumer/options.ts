import {
  type ClientOptions,
  type OptionSpecs,
  type ResolvedClientOptions,
  resolveClientOptions,
} from '../cluster/options.js';
import { ConfigError } from '../errors.js';
import { builtInAssignors } from './assignors/index.js';
import type { Assignor } from './assignors/types.js';

/**
 * Consumer options. Each mirrors a Java consumer config (named in brackets) and documents its
 * default. Shared connection options (brokers, TLS, SASL, timeouts, backoff) are in ClientOptions.
 */
export interface ConsumerOptions extends ClientOptions {
  /** Consumer group (`group.id`). Required for `subscribe()` and for committing. */
  groupId?: string;
  /** Static membership id (`group.instance.id`, KIP-345): a restart within the session timeout causes no rebalance. */
  groupInstanceId?: string;
  /**
   * Group protocol (`group.protocol`). `classic` (default) or `consumer` (KIP-848, Kafka 4.0+: the
   * broker assigns partitions and rebalances incrementally). With `consumer`, the classic-only options
   * `assignors`, `sessionTimeoutMs` and `heartbeatIntervalMs` are rejected (as Java does): the broker's
   * `group.consumer.*` settings govern them.
   */
  groupProtocol?: 'classic' | 'consumer';
  /** Server-side assignor for `groupProtocol: 'consumer'` (`group.remote.assignor`): `uniform` or `range`. Default: the broker's (`uniform`). */
  groupRemoteAssignor?: string;
  /** Member is dropped if no heartbeat arrives within this time (`session.timeout.ms`). Default 45000. Classic protocol only. */
  sessionTimeoutMs?: number;
  /** Heartbeat period (`heartbeat.interval.ms`). Default 3000. Classic protocol only. */
  heartbeatIntervalMs?: number;
  /** Time a rebalance waits for members, and the longest a handler may hold a partition being revoked (`max.poll.interval.ms`). Default 300000. */
  rebalanceTimeoutMs?: number;
  /** Assignors in preference order, by name or as objects (`partition.assignment.strategy`). Default `['range', 'cooperative-sticky']`, as in Java: groups can mix with other clients' defaults and upgrade online to cooperative. */
  assignors?: Array<'range' | 'roundrobin' | 'cooperative-sticky' | Assignor>;
  /** Where to start without a committed offset (`auto.offset.reset`): `earliest`, `latest` (default) or `none` (error). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Commit processed offsets periodically and on revoke/close (`enable.auto.commit`). Default true. */
  autoCommit?: boolean;
  /** Auto-commit period (`auto.commit.interval.ms`). Default 5000. */
  autoCommitIntervalMs?: number;
  /** `read_uncommitted` (default) or `read_committed`: hide aborted transactions (`isolation.level`). */
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** Broker waits for this many bytes before answering a fetch (`fetch.min.bytes`). Default 1. */
  fetchMinBytes?: number;
  /** Most bytes per fetch response (`fetch.max.bytes`). Default 52428800 (50 MiB). */
  fetchMaxBytes?: number;
  /** Longest the broker parks a fetch waiting for `fetchMinBytes` (`fetch.max.wait.ms`). Default 500. */
  fetchMaxWaitMs?: number;
  /** Most bytes per partition per fetch (`max.partition.fetch.bytes`). Default 1048576 (1 MiB). */
  maxPartitionFetchBytes?: number;
  /** Upper bound of fetched-but-unprocessed record bytes held in memory (no Java equivalent). Default 67108864 (64 MiB). */
  maxBufferedBytes?: number;
  /** Verify each batch's CRC32C (`check.crcs`). Default true. */
  checkCrcs?: boolean;
  /** Rack of this consumer, sent with fetches (`client.rack`, KIP-392). Default none. */
  clientRack?: string;
  /** Let Metadata requests create subscribed topics that do not exist (`allow.auto.create.topics`). Default false. */
  allowAutoCreateTopics?: boolean;
}

export type ResolvedConsumerOptions = ResolvedClientOptions &
  Required<
    Omit<
      ConsumerOptions,
      keyof ClientOptions | 'groupId' | 'groupInstanceId' | 'assignors' | 'clientRack' | 'groupRemoteAssignor'
    >
  > & {
    groupId: string | undefined;
    groupRemoteAssignor: string | undefined;
    groupInstanceId: string | undefined;
    assignors: Assignor[];
    clientRack: string;
  };

const int = (def: number, java: string, min = 0) => ({
  kind: 'number' as const,
  default: def,
  java,
  min,
  integer: true,
});

export const consumerOptionSpecs: OptionSpecs = {
  groupId: { kind: 'string', java: 'group.id', check: (v) => ((v as string).length ? undefined : 'must not be empty') },
  groupInstanceId: {
    kind: 'string',
    java: 'group.instance.id',
    check: (v) => ((v as string).length ? undefined : 'must not be empty'),
  },
  groupProtocol: { kind: 'string', java: 'group.protocol', default: 'classic', oneOf: ['classic', 'consumer'] },
  groupRemoteAssignor: {
    kind: 'string',
    java: 'group.remote.assignor',
    check: (v) => ((v as string).length ? undefined : 'must not be empty'),
  },
  sessionTimeoutMs: int(45000, 'session.timeout.ms', 1),
  heartbeatIntervalMs: int(3000, 'heartbeat.interval.ms', 1),
  rebalanceTimeoutMs: int(300000, 'max.poll.interval.ms', 1),
  assignors: {
    kind: 'object',
    java: 'partition.assignment.strategy',
    check: (v) => (Array.isArray(v) && v.length > 0 ? undefined : 'must be a non-empty array'),
  },
  autoOffsetReset: {
    kind: 'string',
    java: 'auto.offset.reset',
    default: 'latest',
    oneOf: ['earliest', 'latest', 'none'],
  },
  autoCommit: { kind: 'boolean', java: 'enable.auto.commit', default: true },
  autoCommitIntervalMs: int(5000, 'auto.commit.interval.ms', 1),
  isolationLevel: {
    kind: 'string',
    java: 'isolation.level',
    default: 'read_uncommitted',
    oneOf: ['read_uncommitted', 'read_committed'],
  },
  fetchMinBytes: int(1, 'fetch.min.bytes'),
  fetchMaxBytes: int(52428800, 'fetch.max.bytes', 1),
  fetchMaxWaitMs: int(500, 'fetch.max.wait.ms'),
  maxPartitionFetchBytes: int(1048576, 'max.partition.fetch.bytes', 1),
  maxBufferedBytes: int(67108864, 'sluice: buffered bytes', 1024),
  checkCrcs: { kind: 'boolean', java: 'check.crcs', default: true },
  clientRack: { kind: 'string', java: 'client.rack', default: '' },
  allowAutoCreateTopics: { kind: 'boolean', java: 'allow.auto.create.topics', default: false },
};

export function resolveConsumerOptions(input: unknown): ResolvedConsumerOptions {
  // `assignors` mixes names and Assignor objects, which no generic option kind describes (the
  // generic check saw `['range']` as a 'stringArray', not the spec's 'object', and rejected every
  // value): it is taken out here and checked below.
  let given: unknown;
  let rest = input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const { assignors, ...others } = input as Record<string, unknown>;
    given = assignors;
    rest = others;
  }
  const o = resolveClientOptions<Record<string, unknown>>('Consumer', rest, consumerOptionSpecs);
  const check = consumerOptionSpecs.assignors!.check!(given);
  if (given !== undefined && check) throw new ConfigError('assignors', check);
  const raw = (given as Array<string | Assignor> | undefined) ?? ['range', 'cooperative-sticky'];
  const assignors = raw.map((a) => {
    if (typeof a === 'string') {
      const found = builtInAssignors[a];
      if (!found)
        throw new ConfigError(
          'assignors',
          `unknown assignor "${a}" (built in: ${Object.keys(builtInAssignors).join(', ')})`,
        );
      return found;
    }
    if (typeof a !== 'object' || a === null || typeof a.name !== 'string' || typeof a.assign !== 'function') {
      throw new ConfigError('assignors', 'each entry must be a built-in name or an object with name and assign()');
    }
    return a;
  });
  const r = { ...o, assignors } as unknown as ResolvedConsumerOptions;
  if (r.heartbeatIntervalMs >= r.sessionTimeoutMs) {
    throw new ConfigError('heartbeatIntervalMs', `must be lower than sessionTimeoutMs (${r.sessionTimeoutMs})`);
  }
  if (r.groupProtocol === 'consumer') {
    // Java's ConsumerConfig rejects the classic-only settings with group.protocol=consumer.
    const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
    for (const key of ['assignors', 'sessionTimeoutMs', 'heartbeatIntervalMs'] as const) {
      if (given[key] !== undefined)
        throw new ConfigError(
          key,
          `is not supported with groupProtocol: 'consumer' (the broker assigns partitions and sets the session and heartbeat timing; use groupRemoteAssignor to pick its assignor)`,
        );
    }
  } else if (r.groupRemoteAssignor !== undefined) {
    throw new ConfigError('groupRemoteAssignor', "is only supported with groupProtocol: 'consumer'");
  }
  if (r.groupInstanceId !== undefined && r.groupId === undefined) {
    throw new ConfigError('groupInstanceId', 'needs a groupId');
  }
  return r;
}
