// KafkaJS's error classes, by name and `retriable` flag, for code that catches or tests them
// (`err instanceof KafkaJSNumberOfRetriesExceeded`, `err.name === 'KafkaJSProtocolError'`, `err.type`).
// Sluice's own error is kept as `cause`; `toKafkaJSError` maps one to the other.
import { TimeoutError } from '../cluster/deadline.js';
import { ConfigError, SluiceError } from '../errors.js';
import {
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  RequestTimeoutError,
  UnsupportedVersionError,
} from '../network/errors.js';
import { KafkaError } from '../protocol/errors.js';

type Message = string | { message?: string; helpUrl?: string };
const text = (e: Message) => (typeof e === 'string' ? e : (e.message ?? String(e)));

export class KafkaJSError extends Error {
  retriable: boolean;
  helpUrl: string | undefined;
  constructor(e: Message, { retriable = true, cause }: { retriable?: boolean; cause?: unknown } = {}) {
    super(text(e), cause === undefined ? undefined : { cause });
    this.name = 'KafkaJSError';
    this.retriable = retriable;
    this.helpUrl = typeof e === 'string' ? undefined : e.helpUrl;
  }
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Message, { cause }: { cause?: unknown } = {}) {
    super(e, { retriable: false, cause });
    this.name = 'KafkaJSNonRetriableError';
  }
}

/** A broker's error code: `type` is Kafka's name (`UNKNOWN_TOPIC_OR_PARTITION`), `code` the number. */
export class KafkaJSProtocolError extends KafkaJSError {
  type: string;
  code: number;
  constructor(
    e: Message & { type?: string; code?: number; retriable?: boolean },
    opts: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(e, {
      retriable: opts.retriable ?? (typeof e === 'string' ? false : (e.retriable ?? false)),
      cause: opts.cause,
    });
    this.type = typeof e === 'string' ? 'UNKNOWN' : (e.type ?? 'UNKNOWN');
    this.code = typeof e === 'string' ? -1 : (e.code ?? -1);
    this.name = 'KafkaJSProtocolError';
  }
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  topic: string | undefined;
  partition: number | undefined;
  constructor(
    e: ConstructorParameters<typeof KafkaJSProtocolError>[0],
    { topic, partition }: { topic?: string; partition?: number } = {},
  ) {
    super(e);
    this.topic = topic;
    this.partition = partition;
    this.name = 'KafkaJSOffsetOutOfRange';
  }
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  memberId: string | undefined;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], { memberId }: { memberId?: string } = {}) {
    super(e);
    this.memberId = memberId;
    this.name = 'KafkaJSMemberIdRequired';
  }
}

export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  retryCount: number;
  retryTime: number;
  constructor(e: Error, { retryCount = 0, retryTime = 0 }: { retryCount?: number; retryTime?: number } = {}) {
    super(e, { cause: e });
    this.retryCount = retryCount;
    this.retryTime = retryTime;
    this.name = 'KafkaJSNumberOfRetriesExceeded';
  }
}

export class KafkaJSConnectionError extends KafkaJSError {
  broker: string | undefined;
  code: string | undefined;
  constructor(e: Message, { broker, code, cause }: { broker?: string; code?: string; cause?: unknown } = {}) {
    super(e, { cause });
    this.broker = broker;
    this.code = code;
    this.name = 'KafkaJSConnectionError';
  }
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  host: string | undefined;
  port: number | undefined;
  constructor(e: Message, { host, port, cause }: { host?: string; port?: number; cause?: unknown } = {}) {
    super(e, { broker: host === undefined ? undefined : `${host}:${port}`, cause });
    this.host = host;
    this.port = port;
    this.name = 'KafkaJSConnectionClosedError';
  }
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  broker: string | undefined;
  constructor(e: Message, { broker, cause }: { broker?: string; cause?: unknown } = {}) {
    super(e, { cause });
    this.broker = broker;
    this.name = 'KafkaJSRequestTimeoutError';
  }
}

// Subclasses that only rename their parent (KafkaJS's invalid-varint/long errors carry the generic name, as there).

export class KafkaJSMetadataNotLoaded extends KafkaJSError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSMetadataNotLoaded';
  }
}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSTopicMetadataNotLoaded';
  }
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSStaleTopicMetadataAssignment';
  }
}

export class KafkaJSBrokerNotFound extends KafkaJSError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSBrokerNotFound';
  }
}

export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSPartialMessageError';
  }
}

export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSSASLAuthenticationError';
  }
}

export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSGroupCoordinatorNotFound';
  }
}

export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSNotImplemented';
  }
}

export class KafkaJSTimeout extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSTimeout';
  }
}

export class KafkaJSLockTimeout extends KafkaJSTimeout {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSLockTimeout';
  }
}

export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSUnsupportedMagicByteInMessageSet';
  }
}

export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSInvariantViolation';
  }
}

export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSNonRetriableError';
  }
}

export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSNonRetriableError';
  }
}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor(e: Message, opts: { cause?: unknown } = {}) {
    super(e, opts);
    this.name = 'KafkaJSNoBrokerAvailableError';
  }
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  apiKey: number | undefined;
  apiName: string | undefined;
  constructor(e: Message, { apiKey, apiName, cause }: { apiKey?: number; apiName?: string; cause?: unknown } = {}) {
    super(e, { cause });
    this.apiKey = apiKey;
    this.apiName = apiName;
    this.name = 'KafkaJSServerDoesNotSupportApiKey';
  }
}

export class KafkaJSDeleteGroupsError extends KafkaJSError {
  groups: unknown[];
  constructor(e: Message, groups: unknown[] = []) {
    super(e);
    this.groups = groups;
    this.name = 'KafkaJSDeleteGroupsError';
  }
}

export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  partitions: Array<{ partition: number; offset: string; error?: KafkaJSError | null }>;
  constructor({
    partitions,
  }: { partitions: Array<{ partition: number; offset: string; error?: KafkaJSError | null }> }) {
    const failed = partitions.filter((p) => p.error != null);
    super('Error while deleting records', { retriable: failed.every((p) => p.error!.retriable) });
    this.partitions = partitions;
    this.name = 'KafkaJSDeleteTopicRecordsError';
  }
}

export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  topic: string;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topicName: string) {
    super(e);
    this.topic = topicName;
    this.name = 'KafkaJSCreateTopicError';
  }
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  topic: string | undefined;
  partition: number | undefined;
  constructor(e: ConstructorParameters<typeof KafkaJSProtocolError>[0], topicName?: string, partition?: number) {
    super(e);
    this.topic = topicName;
    this.partition = partition;
    this.name = 'KafkaJSAlterPartitionReassignmentsError';
  }
}

export class KafkaJSAggregateError extends Error {
  errors: Error[];
  constructor(message: string, errors: Error[]) {
    super(message);
    this.errors = errors;
    this.name = 'KafkaJSAggregateError';
  }
}

/** True for a KafkaJS error that means the group is rebalancing (KafkaJS's `isRebalancing`). */
export const isRebalancing = (e: { type?: string }) =>
  e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'NOT_COORDINATOR_FOR_GROUP' || e.type === 'ILLEGAL_GENERATION';
export const isKafkaJSError = (e: unknown): e is KafkaJSError => e instanceof KafkaJSError;

/**
 * The KafkaJS error for what Sluice threw (Sluice's error kept as `cause`). A broker error code is a
 * KafkaJSProtocolError with Kafka's name as `type`; the rest map by kind. Errors that are already
 * KafkaJS's, and errors that are not Sluice's (a handler's own), pass through unchanged.
 */
export function toKafkaJSError(err: unknown): unknown {
  if (err instanceof KafkaJSError || !(err instanceof SluiceError)) return err;
  const cause = err;
  if (err instanceof KafkaError) {
    const e = { message: err.message, type: err.code, code: err.errorCode, retriable: err.retriable };
    if (err.code === 'OFFSET_OUT_OF_RANGE')
      return withCause(new KafkaJSOffsetOutOfRange(e, { topic: err.topic, partition: err.partition }), cause);
    if (err.code === 'MEMBER_ID_REQUIRED') return withCause(new KafkaJSMemberIdRequired(e), cause);
    if (err.code === 'SASL_AUTHENTICATION_FAILED') return new KafkaJSSASLAuthenticationError(err.message, { cause });
    return new KafkaJSProtocolError(e, { cause });
  }
  if (err instanceof AuthenticationError) return new KafkaJSSASLAuthenticationError(err.message, { cause });
  if (err instanceof ClientClosedError) return new KafkaJSConnectionClosedError(err.message, { cause });
  if (err instanceof ConnectionError) return new KafkaJSConnectionError(err.message, { code: err.code, cause });
  if (err instanceof RequestTimeoutError) return new KafkaJSRequestTimeoutError(err.message, { cause });
  if (err instanceof UnsupportedVersionError) return new KafkaJSServerDoesNotSupportApiKey(err.message, { cause });
  if (err instanceof TimeoutError) return new KafkaJSTimeout(err.message, { cause });
  if (err instanceof ConfigError) return new KafkaJSNonRetriableError(err.message, { cause });
  return new KafkaJSError(err.message, { retriable: err.retriable, cause });
}

function withCause<E extends Error>(e: E, cause: unknown): E {
  Object.defineProperty(e, 'cause', { value: cause, configurable: true, writable: true });
  return e;
}

/** Awaits `p`, rethrowing what it throws as KafkaJS's error. */
export async function kafkajsErrors<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw toKafkaJSError(err);
  }
}
