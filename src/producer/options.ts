import {
  type ClientOptions,
  type OptionSpecs,
  type ResolvedClientOptions,
  resolveClientOptions,
} from '../cluster/options.js';
import { ConfigError } from '../errors.js';
import { CompressionCodecs, type CompressionId, type CompressionName } from '../protocol/compression/codec.js';
import { RECORD_OVERHEAD_BOUND } from './accumulator.js';
import { BATCH_OVERHEAD } from './batch.js';
import type { Partitioner } from './types.js';

/** Bytes of the smallest batch there is: one record with no key, value or headers. */
export const SMALLEST_BATCH = BATCH_OVERHEAD + RECORD_OVERHEAD_BOUND;

/**
 * Producer options. Each mirrors a Java producer config (named in brackets) and documents its
 * default. Shared connection options (brokers, TLS, SASL, timeouts, backoff) are in ClientOptions.
 */
export interface ProducerOptions extends ClientOptions {
  /**
   * Acknowledgements the leader waits for (`acks`): `0` none, `1` the leader, `-1`/`'all'` every in-sync
   * replica. Default `'all'`.
   */
  acks?: 0 | 1 | -1 | 'all';
  /**
   * Idempotent delivery (`enable.idempotence`): retries never duplicate or reorder records within a
   * partition. Default true; turned off silently when `acks` is not all and this option is not set (as
   * Java does); setting it to true with `acks` 0 or 1 is an error.
   */
  idempotent?: boolean;
  /** Enables transactions (`transactional.id`); implies idempotence. Default none. */
  transactionalId?: string;
  /** Longest a transaction may stay open before the coordinator aborts it (`transaction.timeout.ms`). Default 60000. */
  transactionTimeoutMs?: number;
  /** Wait this long for more records before sending a batch that is not full (`linger.ms`). Default 5. */
  lingerMs?: number;
  /**
   * Target size of one partition's batch, in bytes before compression (`batch.size`). 0 turns batching
   * off: each record goes in a batch of its own (as in Java). Default 262144 (256 KiB), not Java's
   * 16384: Java pre-allocates a batch.size buffer per partition, Sluice grows a batch as records
   * arrive, so a larger target costs no memory up front, and a busy producer needs far fewer requests
   * (one batch per partition per request). lingerMs still bounds how long a batch waits.
   */
  batchSize?: number;
  /** Produce requests sent to one broker and not yet answered (`max.in.flight.requests.per.connection`). Default 5; at most 5 with idempotence. */
  maxInFlightRequestsPerConnection?: number;
  /** Codec for record batches (`compression.type`). Default `'none'`. */
  compression?: CompressionName;
  /** Largest Produce request, and so the largest record (`max.request.size`). Default 1048576. */
  maxRequestSize?: number;
  /** Upper bound on the time from `send` to the record's success or failure, retries included (`delivery.timeout.ms`). Default 120000. */
  deliveryTimeoutMs?: number;
  /**
   * Bytes of records waiting to be sent or acknowledged; `send` waits when full (`buffer.memory`). At
   * least `batchSize` (and one smallest batch, 82 bytes). Default 33554432.
   */
  bufferMemory?: number;
  /** Longest `send` waits for buffer room or topic metadata, and transactional calls for the coordinator (`max.block.ms`). Default 60000. */
  maxBlockMs?: number;
  /** Retries of a failed batch (`retries`); bounded in time by `deliveryTimeoutMs` anyway. Default 2147483647. */
  retries?: number;
  /** Custom partitioner (`partitioner.class`). Default: murmur2 of the key as Java's, sticky for null keys. */
  partitioner?: Partitioner;
  /** Ignore keys when partitioning: every record is spread stickily (`partitioner.ignore.keys`). Default false. */
  partitionerIgnoreKeys?: boolean;
  /**
   * Let metadata requests create topics that do not exist, where the broker allows it
   * (`auto.create.topics.enable`). Java's producer always asks for this. Default true.
   */
  allowAutoCreateTopics?: boolean;
}

export type ResolvedProducerOptions = ResolvedClientOptions & {
  acks: 0 | 1 | -1;
  idempotent: boolean;
  transactionalId: string | null;
  transactionTimeoutMs: number;
  lingerMs: number;
  batchSize: number;
  maxInFlightRequestsPerConnection: number;
  compression: CompressionId;
  maxRequestSize: number;
  deliveryTimeoutMs: number;
  bufferMemory: number;
  maxBlockMs: number;
  retries: number;
  partitioner: Partitioner | undefined;
  partitionerIgnoreKeys: boolean;
  allowAutoCreateTopics: boolean;
};

const int = (def: number, java: string, min = 0, max?: number) => ({
  kind: 'number' as const,
  default: def,
  java,
  min,
  integer: true,
  ...(max === undefined ? {} : { max }),
});

const INT32_MAX = 2147483647;

/** A byte limit below the smallest batch would make every send fail with RecordTooLargeError. */
const holdsOneBatch = (what: string) => (v: unknown) =>
  (v as number) < SMALLEST_BATCH
    ? `must be at least ${SMALLEST_BATCH} bytes, the size of the smallest batch (one empty record); a smaller ${what} could never hold a record, got ${v as number}`
    : undefined;

export const producerOptionSpecs: OptionSpecs = {
  acks: { kind: ['number', 'string'], java: 'acks', default: 'all', oneOf: [0, 1, -1, 'all'] },
  idempotent: { kind: 'boolean', java: 'enable.idempotence' },
  transactionalId: {
    kind: 'string',
    java: 'transactional.id',
    check: (v) => ((v as string).length ? undefined : 'must not be empty'),
  },
  transactionTimeoutMs: int(60000, 'transaction.timeout.ms', 1, INT32_MAX),
  lingerMs: int(5, 'linger.ms', 0, INT32_MAX),
  batchSize: int(262144, 'batch.size', 0, INT32_MAX),
  maxInFlightRequestsPerConnection: int(5, 'max.in.flight.requests.per.connection', 1),
  compression: {
    kind: 'string',
    java: 'compression.type',
    default: 'none',
    oneOf: Object.keys(CompressionCodecs),
  },
  maxRequestSize: { ...int(1048576, 'max.request.size', 0, INT32_MAX), check: holdsOneBatch('request') },
  deliveryTimeoutMs: int(120000, 'delivery.timeout.ms', 1, INT32_MAX),
  bufferMemory: { ...int(33554432, 'buffer.memory', 0), check: holdsOneBatch('buffer') },
  maxBlockMs: int(60000, 'max.block.ms', 0),
  retries: int(INT32_MAX, 'retries', 0, INT32_MAX),
  partitioner: { kind: 'function', java: 'partitioner.class' },
  partitionerIgnoreKeys: { kind: 'boolean', java: 'partitioner.ignore.keys', default: false },
  allowAutoCreateTopics: { kind: 'boolean', default: true },
};

/** Validates producer options, fills in Java's defaults, and checks the combinations Java rejects. */
export function resolveProducerOptions(input: unknown): ResolvedProducerOptions {
  const o = resolveClientOptions<Record<string, unknown>>('Producer', input, producerOptionSpecs);
  const acks = o.acks === 'all' ? -1 : (o.acks as 0 | 1 | -1);
  const transactionalId = (o.transactionalId as string | undefined) ?? null;
  const explicit = o.idempotent as boolean | undefined;
  const maxInFlight = o.maxInFlightRequestsPerConnection as number;
  const retries = o.retries as number;
  if (transactionalId !== null && explicit === false) {
    throw new ConfigError('idempotent', 'cannot be false with a transactionalId (transactions need idempotence)');
  }
  // Java (ProducerConfig.postProcessAndValidateIdempotenceConfigs): when idempotence was asked for
  // explicitly (or by transactional.id), conflicting settings are errors; when it is only the default,
  // they turn it off.
  const wanted = explicit === true || transactionalId !== null;
  let idempotent = explicit ?? true;
  const conflict =
    acks !== -1
      ? ['acks', `must be 'all' (-1) with idempotence (enable.idempotence), got ${JSON.stringify(o.acks)}`]
      : maxInFlight > 5
        ? ['maxInFlightRequestsPerConnection', `must be at most 5 with idempotence, got ${maxInFlight}`]
        : retries === 0
          ? ['retries', 'must be greater than 0 with idempotence']
          : undefined;
  if (conflict) {
    if (wanted) throw new ConfigError(conflict[0]!, conflict[1]!);
    idempotent = false;
  }
  const bufferMemory = o.bufferMemory as number;
  // The default target yields to a smaller bufferMemory; a batchSize given with it must fit.
  if ((input as { batchSize?: unknown }).batchSize === undefined && (o.batchSize as number) > bufferMemory) {
    o.batchSize = bufferMemory;
  }
  const batchSize = o.batchSize as number;
  if (bufferMemory < batchSize) {
    // Java's producer takes each batch's buffer (batch.size bytes, or more for a larger record) out of
    // buffer.memory and fails every send whose batch cannot fit in it at all; say so up front.
    throw new ConfigError(
      'bufferMemory',
      `must be at least batchSize (${batchSize}), got ${bufferMemory}: every batch is taken out of bufferMemory (buffer.memory), so a smaller buffer could never hold one; lower batchSize or raise bufferMemory`,
    );
  }
  const lingerMs = o.lingerMs as number;
  const requestTimeoutMs = o.requestTimeoutMs;
  const deliveryTimeoutMs = o.deliveryTimeoutMs as number;
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    throw new ConfigError(
      'deliveryTimeoutMs',
      `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs}), got ${deliveryTimeoutMs}`,
    );
  }
  return {
    ...o,
    acks,
    idempotent,
    transactionalId,
    compression: CompressionCodecs[o.compression as CompressionName],
    partitioner: o.partitioner as Partitioner | undefined,
  } as ResolvedProducerOptions;
}
