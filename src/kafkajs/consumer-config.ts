// KafkaJS's consumer and run configs, their defaults, and how they map onto Sluice's ConsumerOptions.
import type { ClientOptions } from '../cluster/options.js';
import type { ConsumerOptions } from '../consumer/options.js';
import { adaptAssigner, type PartitionAssigner, PartitionAssigners } from './assigners.js';
import type { RetryOptions } from './config.js';
import type { EachBatchHandler, EachMessageHandler } from './consumer-payloads.js';
import { KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';

export interface ConsumerConfig {
  groupId: string;
  /** Default `[PartitionAssigners.roundRobin]`, as KafkaJS. */
  partitionAssigners?: PartitionAssigner[];
  metadataMaxAge?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  retry?: RetryOptions & { restartOnFailure?: (err: Error) => Promise<boolean> };
  allowAutoTopicCreation?: boolean;
  /** Accepted; Sluice pipelines its own requests. */
  maxInFlightRequests?: number;
  readUncommitted?: boolean;
  rackId?: string;
}

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: EachBatchHandler;
  eachMessage?: EachMessageHandler;
}

export type ConsumerSubscribeTopic = { topic: string | RegExp; fromBeginning?: boolean };
export type ConsumerSubscribeTopics = { topics: (string | RegExp)[]; fromBeginning?: boolean };
export type TopicPartitions = { topic: string; partitions: number[] };
export type TopicPartitionOffsetAndMetadata = {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string | null;
};
export type { GroupDescription, MemberDescription } from './admin-types.js';

/** KafkaJS's defaults (consumer/index.js), where they differ from Sluice's. */
export const DEFAULTS = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxBytesPerPartition: 1_048_576,
  minBytes: 1,
  maxBytes: 10_485_760,
  maxWaitTimeInMs: 5_000,
  metadataMaxAge: 300_000,
  /** KafkaJS commits after every batch when no interval is set; Sluice commits periodically. */
  autoCommitInterval: 5_000,
};

/** Matches subscribed names and patterns; Sluice's subscription takes one RegExp and calls `test`. */
export class TopicMatcher extends RegExp {
  constructor(
    private readonly names: ReadonlySet<string>,
    private readonly patterns: readonly RegExp[],
  ) {
    super('(?:)');
  }
  override test(topic: string): boolean {
    if (this.names.has(topic)) return true;
    for (const p of this.patterns) {
      p.lastIndex = 0;
      if (p.test(topic)) return true;
    }
    return false;
  }
}

export const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
export const noHeartbeat = () => Promise.resolve();

/** The cause at the bottom of a chain, as KafkaJS's crash handler looks for it. */
export function originalCause(e: unknown): unknown {
  let cur = e;
  for (let i = 0; i < 16 && cur instanceof Error && cur.cause !== undefined; i++) cur = cur.cause;
  return cur;
}

export function offsetOf(value: unknown, what: string): number {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^-?\d+$/.test(s))
    throw new KafkaJSNonRetriableError(`Invalid offset for ${what}: ${String(value)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new KafkaJSNonRetriableError(`Invalid offset for ${what}: ${s}`);
  return n;
}

/** Sluice's consumer options for a KafkaJS consumer config and run config (KafkaJS's defaults). */
export function sluiceConsumerOptions(
  c: ConsumerConfig,
  options: ClientOptions,
  run: ConsumerRunConfig,
  fromBeginning: boolean,
  logger: KafkaJSLogger,
): ConsumerOptions {
  const assigners = c.partitionAssigners ?? [PartitionAssigners.roundRobin];
  if (!Array.isArray(assigners) || assigners.length === 0)
    throw new KafkaJSNonRetriableError('partitionAssigners must be a non-empty array');
  const out: ConsumerOptions = {
    ...options,
    groupId: c.groupId,
    sessionTimeoutMs: c.sessionTimeout ?? DEFAULTS.sessionTimeout,
    rebalanceTimeoutMs: c.rebalanceTimeout ?? DEFAULTS.rebalanceTimeout,
    heartbeatIntervalMs: c.heartbeatInterval ?? DEFAULTS.heartbeatInterval,
    metadataMaxAgeMs: c.metadataMaxAge ?? DEFAULTS.metadataMaxAge,
    allowAutoCreateTopics: c.allowAutoTopicCreation ?? true,
    maxPartitionFetchBytes: c.maxBytesPerPartition ?? DEFAULTS.maxBytesPerPartition,
    fetchMinBytes: c.minBytes ?? DEFAULTS.minBytes,
    fetchMaxBytes: c.maxBytes ?? DEFAULTS.maxBytes,
    fetchMaxWaitMs: c.maxWaitTimeInMs ?? DEFAULTS.maxWaitTimeInMs,
    // KafkaJS reads committed data only unless told otherwise.
    isolationLevel: c.readUncommitted ? 'read_uncommitted' : 'read_committed',
    autoOffsetReset: fromBeginning ? 'earliest' : 'latest',
    autoCommit: run.autoCommit ?? true,
    autoCommitIntervalMs: run.autoCommitInterval ?? DEFAULTS.autoCommitInterval,
    assignors: assigners.map((f) => adaptAssigner(f, c.groupId, logger)),
  };
  if (c.rackId !== undefined) out.clientRack = c.rackId;
  return out;
}
