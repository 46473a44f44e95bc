/**
 * Kafka's error codes as data: every code of `org.apache.kafka.common.protocol.Errors` (kafka-clients
 * 4.4.0; refresh with test/protocol/records/java/DumpErrors.java), Kafka's default message, and what a
 * client does about it. The flags:
 *
 * - `retriable`: Java's exception extends `RetriableException`: repeating the same request may succeed.
 * - `refreshMetadata`: the client's view of leaders/topics is stale. Java's `InvalidMetadataException`
 *   family, plus NOT_CONTROLLER (admin requests find the new controller in metadata),
 *   OFFSET_NOT_AVAILABLE (Java's offset fetcher refreshes on it, KIP-207) and REBOOTSTRAP_REQUIRED
 *   (KIP-1102).
 * - `coordinatorChanged`: find the group/transaction coordinator again (FindCoordinator), then retry.
 * - `rejoinGroup`: the member's generation or epoch is over; rejoin, and send no commit for the old
 *   generation (DESIGN.md invariant 5). REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 *   MEMBER_ID_REQUIRED (KIP-394: join again with the given id) and FENCED_MEMBER_EPOCH (KIP-848).
 *   REBALANCE_IN_PROGRESS is *not* `retriable` in Java (repeating a commit cannot succeed until the
 *   member has rejoined) and is not here either.
 * - `fenced`: another instance now owns this identity; stop using it (fatal for that client):
 *   FENCED_INSTANCE_ID (KIP-345 static member), PRODUCER_FENCED, TRANSACTION_COORDINATOR_FENCED.
 */
import { SluiceError } from '../errors.js';

export interface KafkaErrorInfo {
  readonly code: number;
  /** Kafka's name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly name: string;
  readonly retriable: boolean;
  /** Kafka's default description. */
  readonly message: string;
  readonly refreshMetadata: boolean;
  readonly coordinatorChanged: boolean;
  readonly rejoinGroup: boolean;
  readonly fenced: boolean;
}

const R = 1; // retriable
const M = 2; // refresh metadata
const J = 4; // rejoin group
const F = 8; // fenced
const C = 16; // coordinator changed

// [code, name, flags, Kafka's default message]
// biome-ignore format: one row per error code
const TABLE: ReadonlyArray<readonly [number, string, number, string]> = [
  [-1, 'UNKNOWN_SERVER_ERROR', 0, 'The server experienced an unexpected error when processing the request.'],
  [0, 'NONE', 0, 'NONE'],
  [1, 'OFFSET_OUT_OF_RANGE', 0, 'The requested offset is not within the range of offsets maintained by the server.'],
  [2, 'CORRUPT_MESSAGE', R, 'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', R | M, 'This server does not host this topic-partition.'],
  [4, 'INVALID_FETCH_SIZE', 0, 'The requested fetch size is invalid.'],
  [5, 'LEADER_NOT_AVAILABLE', R | M, 'There is no leader for this topic-partition as we are in the middle of a leadership election.'],
  [6, 'NOT_LEADER_OR_FOLLOWER', R | M, 'For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.'],
  [7, 'REQUEST_TIMED_OUT', R, 'The request timed out.'],
  [8, 'BROKER_NOT_AVAILABLE', 0, 'The broker is not available.'],
  [9, 'REPLICA_NOT_AVAILABLE', R | M, 'The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.'],
  [10, 'MESSAGE_TOO_LARGE', 0, 'The request included a message larger than the max message size the server will accept.'],
  [11, 'STALE_CONTROLLER_EPOCH', 0, 'The controller moved to another broker.'],
  [12, 'OFFSET_METADATA_TOO_LARGE', 0, 'The metadata field of the offset request was too large.'],
  [13, 'NETWORK_EXCEPTION', R | M, 'The server disconnected before a response was received.'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', R, 'The coordinator is loading and hence can\'t process requests.'],
  [15, 'COORDINATOR_NOT_AVAILABLE', R | C, 'The coordinator is not available.'],
  [16, 'NOT_COORDINATOR', R | C, 'This is not the correct coordinator.'],
  [17, 'INVALID_TOPIC_EXCEPTION', 0, 'The request attempted to perform an operation on an invalid topic.'],
  [18, 'RECORD_LIST_TOO_LARGE', 0, 'The request included message batch larger than the configured segment size on the server.'],
  [19, 'NOT_ENOUGH_REPLICAS', R, 'Messages are rejected since there are fewer in-sync replicas than required.'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', R, 'Messages are written to the log, but to fewer in-sync replicas than required.'],
  [21, 'INVALID_REQUIRED_ACKS', 0, 'Produce request specified an invalid value for required acks.'],
  [22, 'ILLEGAL_GENERATION', J, 'Specified group generation id is not valid.'],
  [23, 'INCONSISTENT_GROUP_PROTOCOL', 0, 'The group member\'s supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.'],
  [24, 'INVALID_GROUP_ID', 0, 'The group id is invalid.'],
  [25, 'UNKNOWN_MEMBER_ID', J, 'The coordinator is not aware of this member.'],
  [26, 'INVALID_SESSION_TIMEOUT', 0, 'The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).'],
  [27, 'REBALANCE_IN_PROGRESS', J, 'The group is rebalancing, so a rejoin is needed.'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', 0, 'The committing offset data size is not valid.'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', 0, 'Topic authorization failed.'],
  [30, 'GROUP_AUTHORIZATION_FAILED', 0, 'Group authorization failed.'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', 0, 'Cluster authorization failed.'],
  [32, 'INVALID_TIMESTAMP', 0, 'The timestamp of the message is out of acceptable range.'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', 0, 'The broker does not support the requested SASL mechanism.'],
  [34, 'ILLEGAL_SASL_STATE', 0, 'Request is not valid given the current SASL state.'],
  [35, 'UNSUPPORTED_VERSION', 0, 'The version of API is not supported.'],
  [36, 'TOPIC_ALREADY_EXISTS', 0, 'Topic with this name already exists.'],
  [37, 'INVALID_PARTITIONS', 0, 'Number of partitions is below 1.'],
  [38, 'INVALID_REPLICATION_FACTOR', 0, 'Replication factor is below 1 or larger than the number of available brokers.'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', 0, 'Replica assignment is invalid.'],
  [40, 'INVALID_CONFIG', 0, 'Configuration is invalid.'],
  [41, 'NOT_CONTROLLER', R | M, 'This is not the correct controller for this cluster.'],
  [42, 'INVALID_REQUEST', 0, 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.'],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', 0, 'The message format version on the broker does not support the request.'],
  [44, 'POLICY_VIOLATION', 0, 'Request parameters do not satisfy the configured policy.'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', 0, 'The broker received an out of order sequence number.'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', 0, 'The broker received a duplicate sequence number.'],
  [47, 'INVALID_PRODUCER_EPOCH', 0, 'Producer attempted to produce with an old epoch.'],
  [48, 'INVALID_TXN_STATE', 0, 'The producer attempted a transactional operation in an invalid state.'],
  [49, 'INVALID_PRODUCER_ID_MAPPING', 0, 'The producer attempted to use a producer id which is not currently assigned to its transactional id.'],
  [50, 'INVALID_TRANSACTION_TIMEOUT', 0, 'The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).'],
  [51, 'CONCURRENT_TRANSACTIONS', R, 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.'],
  [52, 'TRANSACTION_COORDINATOR_FENCED', F, 'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 0, 'Transactional Id authorization failed.'],
  [54, 'SECURITY_DISABLED', 0, 'Security features are disabled.'],
  [55, 'OPERATION_NOT_ATTEMPTED', 0, 'The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest.'],
  [56, 'KAFKA_STORAGE_ERROR', R | M, 'Disk error when trying to access log file on the disk.'],
  [57, 'LOG_DIR_NOT_FOUND', 0, 'The user-specified log directory is not found in the broker config.'],
  [58, 'SASL_AUTHENTICATION_FAILED', 0, 'SASL Authentication failed.'],
  [59, 'UNKNOWN_PRODUCER_ID', 0, 'This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer\'s records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer\'s metadata is removed from the broker, and future appends by the producer will return this exception.'],
  [60, 'REASSIGNMENT_IN_PROGRESS', 0, 'A partition reassignment is in progress.'],
  [61, 'DELEGATION_TOKEN_AUTH_DISABLED', 0, 'Delegation Token feature is not enabled.'],
  [62, 'DELEGATION_TOKEN_NOT_FOUND', 0, 'Delegation Token is not found on server.'],
  [63, 'DELEGATION_TOKEN_OWNER_MISMATCH', 0, 'Specified Principal is not valid Owner/Renewer.'],
  [64, 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', 0, 'Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.'],
  [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', 0, 'Delegation Token authorization failed.'],
  [66, 'DELEGATION_TOKEN_EXPIRED', 0, 'Delegation Token is expired.'],
  [67, 'INVALID_PRINCIPAL_TYPE', 0, 'Supplied principalType is not supported.'],
  [68, 'NON_EMPTY_GROUP', 0, 'The group is not empty.'],
  [69, 'GROUP_ID_NOT_FOUND', 0, 'The group id does not exist.'],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', R, 'The fetch session ID was not found.'],
  [71, 'INVALID_FETCH_SESSION_EPOCH', R, 'The fetch session epoch is invalid.'],
  [72, 'LISTENER_NOT_FOUND', R | M, 'There is no listener on the leader broker that matches the listener on which metadata request was processed.'],
  [73, 'TOPIC_DELETION_DISABLED', 0, 'Topic deletion is disabled.'],
  [74, 'FENCED_LEADER_EPOCH', R | M, 'The leader epoch in the request is older than the epoch on the broker.'],
  [75, 'UNKNOWN_LEADER_EPOCH', R, 'The leader epoch in the request is newer than the epoch on the broker.'],
  [76, 'UNSUPPORTED_COMPRESSION_TYPE', 0, 'The requesting client does not support the compression type of given partition.'],
  [77, 'STALE_BROKER_EPOCH', 0, 'Broker epoch has changed.'],
  [78, 'OFFSET_NOT_AVAILABLE', R | M, 'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.'],
  [79, 'MEMBER_ID_REQUIRED', J, 'The group member needs to have a valid member id before actually entering a consumer group.'],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', R | M, 'The preferred leader was not available.'],
  [81, 'GROUP_MAX_SIZE_REACHED', 0, 'The group has reached its maximum size.'],
  [82, 'FENCED_INSTANCE_ID', F, 'The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', R | M, 'Eligible topic partition leaders are not available.'],
  [84, 'ELECTION_NOT_NEEDED', R | M, 'Leader election not needed for topic partition.'],
  [85, 'NO_REASSIGNMENT_IN_PROGRESS', 0, 'No partition reassignment is in progress.'],
  [86, 'GROUP_SUBSCRIBED_TO_TOPIC', 0, 'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.'],
  [87, 'INVALID_RECORD', 0, 'This record has failed the validation on broker and hence will be rejected.'],
  [88, 'UNSTABLE_OFFSET_COMMIT', R, 'There are unstable offsets that need to be cleared.'],
  [89, 'THROTTLING_QUOTA_EXCEEDED', R, 'The throttling quota has been exceeded.'],
  [90, 'PRODUCER_FENCED', F, 'There is a newer producer with the same transactionalId which fences the current one.'],
  [91, 'RESOURCE_NOT_FOUND', 0, 'A request illegally referred to a resource that does not exist.'],
  [92, 'DUPLICATE_RESOURCE', 0, 'A request illegally referred to the same resource twice.'],
  [93, 'UNACCEPTABLE_CREDENTIAL', 0, 'Requested credential would not meet criteria for acceptability.'],
  [94, 'INCONSISTENT_VOTER_SET', 0, 'Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.'],
  [95, 'INVALID_UPDATE_VERSION', 0, 'The given update version was invalid.'],
  [96, 'FEATURE_UPDATE_FAILED', 0, 'Unable to update finalized features due to an unexpected server error.'],
  [97, 'PRINCIPAL_DESERIALIZATION_FAILURE', 0, 'Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.'],
  [98, 'SNAPSHOT_NOT_FOUND', 0, 'Requested snapshot was not found.'],
  [99, 'POSITION_OUT_OF_RANGE', 0, 'Requested position is not greater than or equal to zero, and less than the size of the snapshot.'],
  [100, 'UNKNOWN_TOPIC_ID', R | M, 'This server does not host this topic ID.'],
  [101, 'DUPLICATE_BROKER_REGISTRATION', 0, 'This broker ID is already in use.'],
  [102, 'BROKER_ID_NOT_REGISTERED', 0, 'The given broker ID was not registered.'],
  [103, 'INCONSISTENT_TOPIC_ID', R | M, 'The log\'s topic ID did not match the topic ID in the request.'],
  [104, 'INCONSISTENT_CLUSTER_ID', 0, 'The clusterId in the request does not match that found on the server.'],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', 0, 'The transactionalId could not be found.'],
  [106, 'FETCH_SESSION_TOPIC_ID_ERROR', R, 'The fetch session encountered inconsistent topic ID usage.'],
  [107, 'INELIGIBLE_REPLICA', 0, 'The new ISR contains at least one ineligible replica.'],
  [108, 'NEW_LEADER_ELECTED', 0, 'The AlterPartition request successfully updated the partition state but the leader has changed.'],
  [109, 'OFFSET_MOVED_TO_TIERED_STORAGE', 0, 'The requested offset is moved to tiered storage.'],
  [110, 'FENCED_MEMBER_EPOCH', J, 'The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.'],
  [111, 'UNRELEASED_INSTANCE_ID', 0, 'The instance ID is still used by another member in the consumer group. That member must leave first.'],
  [112, 'UNSUPPORTED_ASSIGNOR', 0, 'The assignor or its version range is not supported by the consumer group.'],
  [113, 'STALE_MEMBER_EPOCH', 0, 'The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.'],
  [114, 'MISMATCHED_ENDPOINT_TYPE', 0, 'The request was sent to an endpoint of the wrong type.'],
  [115, 'UNSUPPORTED_ENDPOINT_TYPE', 0, 'This endpoint type is not supported yet.'],
  [116, 'UNKNOWN_CONTROLLER_ID', 0, 'This controller ID is not known.'],
  [117, 'UNKNOWN_SUBSCRIPTION_ID', 0, 'Client sent a push telemetry request with an invalid or outdated subscription ID.'],
  [118, 'TELEMETRY_TOO_LARGE', 0, 'Client sent a push telemetry request larger than the maximum size the broker will accept.'],
  [119, 'INVALID_REGISTRATION', 0, 'The controller has considered the broker registration to be invalid.'],
  [120, 'TRANSACTION_ABORTABLE', 0, 'The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.'],
  [121, 'INVALID_RECORD_STATE', 0, 'The record state is invalid. The acknowledgement of delivery could not be completed.'],
  [122, 'SHARE_SESSION_NOT_FOUND', R, 'The share session was not found.'],
  [123, 'INVALID_SHARE_SESSION_EPOCH', R, 'The share session epoch is invalid.'],
  [124, 'FENCED_STATE_EPOCH', 0, 'The coordinator rejected the request because the state epoch did not match.'],
  [125, 'INVALID_VOTER_KEY', 0, 'The voter key doesn\'t match the receiving replica\'s key.'],
  [126, 'DUPLICATE_VOTER', 0, 'The voter is already part of the set of voters.'],
  [127, 'VOTER_NOT_FOUND', 0, 'The voter is not part of the set of voters.'],
  [128, 'INVALID_REGULAR_EXPRESSION', 0, 'The regular expression is not valid.'],
  [129, 'REBOOTSTRAP_REQUIRED', M, 'Client metadata is stale. The client should rebootstrap to obtain new metadata.'],
  [130, 'STREAMS_INVALID_TOPOLOGY', 0, 'The supplied topology is invalid.'],
  [131, 'STREAMS_INVALID_TOPOLOGY_EPOCH', 0, 'The supplied topology epoch is invalid.'],
  [132, 'STREAMS_TOPOLOGY_FENCED', 0, 'The supplied topology epoch is outdated.'],
  [133, 'SHARE_SESSION_LIMIT_REACHED', R, 'The limit of share sessions has been reached.'],
  [134, 'GROUP_DELETION_FAILED', 0, 'DeleteGroups could not complete; see the error message on the per-group result for details.'],
  [135, 'STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED', 0, 'The broker could not process the topology description update; see the error message for details.'],
  [136, 'CONTROLLER_ID_NOT_REGISTERED', 0, 'The given controller ID was not registered.'],
];

const byCode = new Map<number, KafkaErrorInfo>();
const byName = new Map<string, KafkaErrorInfo>();
for (const [code, name, flags, message] of TABLE) {
  const info: KafkaErrorInfo = Object.freeze({
    code,
    name,
    retriable: (flags & R) !== 0,
    message,
    refreshMetadata: (flags & M) !== 0,
    coordinatorChanged: (flags & C) !== 0,
    rejoinGroup: (flags & J) !== 0,
    fenced: (flags & F) !== 0,
  });
  byCode.set(code, info);
  byName.set(name, info);
}

/** Every known error, in code order (NONE included). */
export const KAFKA_ERRORS: readonly KafkaErrorInfo[] = Object.freeze([...byCode.values()]);

/** Kafka's name → code, for readable comparisons: `errorCode === KafkaErrorCodes.NOT_COORDINATOR`. */
export const KafkaErrorCodes: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(TABLE.map(([code, name]) => [name, code])),
);

/** The entry for a numeric code, or undefined when this client does not know it. */
export function errorByCode(code: number): KafkaErrorInfo | undefined {
  return byCode.get(code);
}

export function errorByName(name: string): KafkaErrorInfo | undefined {
  return byName.get(name);
}

/** Where an error code came from; every field is optional and only used in the message and fields. */
export interface KafkaErrorContext {
  /** The API that returned it, e.g. `Produce`, `OffsetCommit`. */
  api?: string;
  topic?: string;
  partition?: number;
  groupId?: string;
  transactionalId?: string;
  /** The broker's own errorMessage field, when the response carries one. */
  serverMessage?: string | null;
  /** host:port of the broker that answered. */
  broker?: string;
}

/**
 * An error code returned by a broker. `code` is Kafka's name (stable, safe to switch on), `errorCode`
 * the number; the flags say what the client should do. An unknown code (a newer broker) becomes
 * `UNKNOWN_SERVER_ERROR` with its number kept in `errorCode`.
 */
export class KafkaError extends SluiceError {
  readonly errorCode: number;
  readonly refreshMetadata: boolean;
  readonly coordinatorChanged: boolean;
  readonly rejoinGroup: boolean;
  readonly fenced: boolean;
  readonly api: string | undefined;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly groupId: string | undefined;
  readonly transactionalId: string | undefined;
  readonly serverMessage: string | undefined;
  readonly broker: string | undefined;

  constructor(errorCode: number, context: KafkaErrorContext = {}) {
    const known = byCode.get(errorCode);
    const info = known ?? byCode.get(-1)!;
    const description =
      known === undefined ? `error code ${errorCode} is not known to this client (a newer broker?)` : info.message;
    super(`Kafka error ${info.name} (${errorCode})${where(context)}: ${description}${detail(context)}`, {
      code: info.name,
      retriable: info.retriable,
    });
    this.errorCode = errorCode;
    this.refreshMetadata = info.refreshMetadata;
    this.coordinatorChanged = info.coordinatorChanged;
    this.rejoinGroup = info.rejoinGroup;
    this.fenced = info.fenced;
    this.api = context.api;
    this.topic = context.topic;
    this.partition = context.partition;
    this.groupId = context.groupId;
    this.transactionalId = context.transactionalId;
    this.serverMessage = context.serverMessage ?? undefined;
    this.broker = context.broker;
  }
}

function where(c: KafkaErrorContext): string {
  let s = c.api === undefined ? '' : ` from ${c.api}`;
  if (c.topic !== undefined) s += ` for topic ${c.topic}`;
  if (c.partition !== undefined) s += ` partition ${c.partition}`;
  if (c.groupId !== undefined) s += ` in group ${c.groupId}`;
  if (c.transactionalId !== undefined) s += ` for transactional id ${c.transactionalId}`;
  if (c.broker !== undefined) s += ` (broker ${c.broker})`;
  return s;
}

function detail(c: KafkaErrorContext): string {
  return c.serverMessage === undefined || c.serverMessage === null || c.serverMessage === ''
    ? ''
    : ` (broker: ${c.serverMessage})`;
}

/** A {@link KafkaError} for a non-zero code. */
export function kafkaError(code: number, context?: KafkaErrorContext): KafkaError {
  return new KafkaError(code, context);
}

/** Throws a {@link KafkaError} unless `code` is 0 (NONE). */
export function throwIfError(code: number, context?: KafkaErrorContext): void {
  if (code !== 0) throw new KafkaError(code, context);
}

/** True for a KafkaError, optionally with the given name (`isKafkaError(err, 'NOT_COORDINATOR')`). */
export function isKafkaError(err: unknown, name?: string): err is KafkaError {
  return err instanceof KafkaError && (name === undefined || err.code === name);
}
