import { SluiceError } from '../../errors.js';
import { AbortedError, AuthenticationError, ConnectionError, RequestTimeoutError } from '../../network/errors.js';
import { KafkaError } from '../../protocol/errors.js';

/** The group membership hit an error it cannot recover from; the consumer stops. */
export class GroupFatalError extends SluiceError {
  constructor(
    readonly groupId: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Consumer group "${groupId}" failed: ${why}`, {
      code: cause instanceof SluiceError ? cause.code : 'GROUP_FAILED',
      cause,
    });
  }
}

/** Codes that end the membership for good (Java treats these as fatal too). */
const FATAL = new Set([
  23, // INCONSISTENT_GROUP_PROTOCOL: no assignor in common with the group
  24, // INVALID_GROUP_ID
  26, // INVALID_SESSION_TIMEOUT
  29, // TOPIC_AUTHORIZATION_FAILED
  30, // GROUP_AUTHORIZATION_FAILED
  35, // UNSUPPORTED_VERSION
  81, // GROUP_MAX_SIZE_REACHED
  82, // FENCED_INSTANCE_ID: another process runs with our group.instance.id
  111, // UNRELEASED_INSTANCE_ID
  112, // UNSUPPORTED_ASSIGNOR
]);
const COORDINATOR = new Set([15, 16]); // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR

/** What the membership loop does with an error: give up, find the coordinator again, or back off and retry. */
export function classifyGroupError(err: unknown): 'fatal' | 'coordinator' | 'retriable' {
  if (err instanceof GroupFatalError || err instanceof AuthenticationError) return 'fatal';
  if (err instanceof KafkaError) {
    if (FATAL.has(err.errorCode)) return 'fatal';
    if (COORDINATOR.has(err.errorCode)) return 'coordinator';
    return err.retriable || [22, 25, 27].includes(err.errorCode) ? 'retriable' : 'fatal';
  }
  if (err instanceof ConnectionError || err instanceof RequestTimeoutError) return 'coordinator';
  if (err instanceof AbortedError) return 'retriable';
  return err instanceof SluiceError && err.retriable ? 'retriable' : 'fatal';
}

/** The broker has no KIP-848 consumer group protocol (ConsumerGroupHeartbeat, API 68): Kafka before 4.0. */
export class GroupProtocolUnsupportedError extends SluiceError {
  constructor(
    readonly groupId: string,
    broker: string,
  ) {
    super(
      `Broker ${broker} does not support the KIP-848 'consumer' group protocol as released in Kafka 4.0 (ConsumerGroupHeartbeat v1; Kafka 3.x had at most an early-access preview). Use groupProtocol: 'classic' with this broker`,
      { code: 'GROUP_PROTOCOL_UNSUPPORTED', retriable: false },
    );
  }
}
