import {
  type ClientOptions,
  type OptionSpecs,
  type ResolvedClientOptions,
  resolveClientOptions,
} from '../cluster/options.js';
import { ConfigError } from '../errors.js';

/**
 * ShareConsumer options. Each mirrors a Java share consumer config (named in brackets) and documents
 * its default. Shared connection options (brokers, TLS, SASL, timeouts, backoff) are in ClientOptions.
 * The group's own behaviour (lock duration, delivery count limit, where a new group starts) is set on
 * the broker per group (`share.record.lock.duration.ms`, `share.delivery.count.limit`,
 * `share.auto.offset.reset`, …): see docs/share-groups.md.
 */
export interface ShareConsumerOptions extends ClientOptions {
  /** The share group (`group.id`). Required. */
  groupId: string;
  /**
   * `implicit` (default): a handler that returns accepts the records it did not acknowledge itself, one
   * that throws releases them. `explicit`: every delivered record must be acknowledged before the
   * handler returns (before the next `next()` with the iterator) — `share.acknowledgement.mode`.
   */
  acknowledgementMode?: 'implicit' | 'explicit';
  /** Longest the broker parks a ShareFetch waiting for `fetchMinBytes` (`fetch.max.wait.ms`). Default 500. */
  fetchMaxWaitMs?: number;
  /** Broker waits for this many bytes before answering a ShareFetch (`fetch.min.bytes`). Default 1. */
  fetchMinBytes?: number;
  /** Most bytes per ShareFetch response (`fetch.max.bytes`). Default 52428800 (50 MiB). */
  fetchMaxBytes?: number;
  /**
   * Records to acquire per ShareFetch (`max.poll.records`; sent as MaxRecords and BatchSize). Default 500.
   * The broker may return more to end on a batch boundary, unless `shareAcquireMode` is `record_limit`.
   */
  maxPollRecords?: number;
  /**
   * `batch_optimized` (default) or `record_limit`: never acquire more than `maxPollRecords` at once
   * (`share.acquire.mode`, KIP-1206, Kafka 4.2+; ignored by 4.1 brokers).
   */
  shareAcquireMode?: 'batch_optimized' | 'record_limit';
  /** Verify each batch's CRC32C (`check.crcs`). Default true. */
  checkCrcs?: boolean;
  /** Rack of this consumer, sent with heartbeats (`client.rack`). Default none. */
  clientRack?: string;
  /** Most bytes one record batch may inflate to when decompressed (no Java equivalent). Default 67108864 (64 MiB). */
  maxBufferedBytes?: number;
  /**
   * Called with the outcome of acknowledgements sent in the background (piggy-backed on ShareFetch,
   * or sent at close) — Java's `AcknowledgementCommitCallback`. commit() returns its own results.
   * Default: failures are logged as warnings.
   */
  onAcknowledgementCommit?: (results: import('./types.js').ShareCommitResult[]) => void;
}

export type ResolvedShareConsumerOptions = ResolvedClientOptions & {
  groupId: string;
  acknowledgementMode: 'implicit' | 'explicit';
  fetchMaxWaitMs: number;
  fetchMinBytes: number;
  fetchMaxBytes: number;
  maxPollRecords: number;
  shareAcquireMode: 'batch_optimized' | 'record_limit';
  checkCrcs: boolean;
  clientRack: string;
  maxBufferedBytes: number;
  onAcknowledgementCommit: ShareConsumerOptions['onAcknowledgementCommit'];
};

const int = (def: number, java: string, min = 0) => ({
  kind: 'number' as const,
  default: def,
  java,
  min,
  integer: true,
});

export const shareConsumerOptionSpecs: OptionSpecs = {
  groupId: { kind: 'string', java: 'group.id', check: (v) => ((v as string).length ? undefined : 'must not be empty') },
  acknowledgementMode: {
    kind: 'string',
    java: 'share.acknowledgement.mode',
    default: 'implicit',
    oneOf: ['implicit', 'explicit'],
  },
  fetchMaxWaitMs: int(500, 'fetch.max.wait.ms'),
  fetchMinBytes: int(1, 'fetch.min.bytes'),
  fetchMaxBytes: int(52428800, 'fetch.max.bytes', 1),
  maxPollRecords: int(500, 'max.poll.records', 1),
  shareAcquireMode: {
    kind: 'string',
    java: 'share.acquire.mode',
    default: 'batch_optimized',
    oneOf: ['batch_optimized', 'record_limit'],
  },
  checkCrcs: { kind: 'boolean', java: 'check.crcs', default: true },
  clientRack: { kind: 'string', java: 'client.rack', default: '' },
  maxBufferedBytes: int(67108864, 'sluice: buffered bytes', 1024),
  onAcknowledgementCommit: { kind: 'function' },
};

export function resolveShareConsumerOptions(input: unknown): ResolvedShareConsumerOptions {
  const o = resolveClientOptions<Record<string, unknown>>('ShareConsumer', input, shareConsumerOptionSpecs);
  if (o.groupId === undefined) throw new ConfigError('groupId', 'is required: the share group to join');
  if ((o.maxPollRecords as number) > 0x7fffffff) throw new ConfigError('maxPollRecords', 'must fit in an int32');
  return o as unknown as ResolvedShareConsumerOptions;
}
