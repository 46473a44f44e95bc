// Admin
export { Admin, type AdminOptions } from './admin/admin.js';
export { AdminError, type ItemFailure } from './admin/errors.js';
export type { CallOptions } from './admin/per-item.js';
export type {
  AlterConfigsInput,
  BrokerDescription,
  ClusterDescription,
  ConfigChange,
  ConfigEntry,
  ConfigResource,
  ConfigResourceType,
  CreatedTopic,
  CreateTopicsOptions,
  GroupDescription,
  GroupLag,
  GroupMember,
  GroupOffset,
  GroupType,
  ListedGroup,
  ListedOffset,
  NewPartitions,
  NewTopic,
  OffsetQuery,
  OffsetSpecName,
  OffsetToAlter,
  PartitionDescription,
  PartitionLag,
  ResourceConfigs,
  ShareGroupDescription,
  ShareGroupLag,
  ShareGroupMember,
  ShareGroupOffset,
  ShareOffsetToAlter,
  SharePartitionLag,
  TopicDescription,
} from './admin/types.js';
export { TimeoutError } from './cluster/deadline.js';
export type { ClientOptions } from './cluster/options.js';
export {
  type AssignmentContext,
  type Assignor,
  cooperativeStickyAssignor,
  type GroupAssignment,
  type MemberSubscription,
  rangeAssignor,
  roundRobinAssignor,
} from './consumer/assignors/index.js';
// Consumer
export { type CloseOptions, Consumer, type SeekTarget } from './consumer/consumer.js';
export type { RebalanceListener } from './consumer/core.js';
export type { Batch, BatchContext, EachBatch, EachMessage, HandlerContext, RunOptions } from './consumer/delivery.js';
export { CommitFailedError, HandlerError, IllegalStateError, NoOffsetError } from './consumer/errors.js';
export { GroupFatalError, GroupProtocolUnsupportedError } from './consumer/group/errors.js';
export type { CommittedOffset, OffsetToCommit } from './consumer/offsets.js';
export type { ConsumerOptions } from './consumer/options.js';
export type { ConsumerRecord, RecordHeader } from './consumer/record.js';
export type { TopicPartition } from './consumer/topic-partition.js';
export { ConfigError, isRetriable, SluiceError } from './errors.js';
export {
  AbortedError,
  AuthenticationError,
  ClientClosedError,
  ConnectionError,
  RequestTimeoutError,
} from './network/errors.js';
export type { SaslOptions } from './network/sasl/index.js';
export type { TlsOptions } from './network/transport.js';
export { type ConsumerCommitEvent, consumerCommitChannel } from './observability/channels.js';
// Processing: retries, retry topics, dead-letter topics
export { shouldRetry } from './processing/classify.js';
export { type DeadLetterOptions, withDeadLetter } from './processing/dead-letter.js';
export { HandOffError, ProcessingFailedError, ReplayError } from './processing/errors.js';
export { type DeadLetterInfo, HeaderNames, readDeadLetter } from './processing/headers.js';
export type { NewTopicDefaults } from './processing/options.js';
export { type ReplayOptions, type ReplayResult, replayDeadLetters } from './processing/replay.js';
export {
  type RetryTopicNames,
  type RetryTopics,
  type RetryTopicsOptions,
  retryTopics,
} from './processing/retry-topics.js';
export type { HandlerWrapper, ShareEachMessage } from './processing/share.js';
export { type RetryOptions, withRetry } from './processing/with-retry.js';
// Producer
export {
  DeliveryTimeoutError,
  NotDeliveredError,
  ProducerClosedError,
  ProducerFencedError,
  ProducerStateError,
  RecordTooLargeError,
  TransactionAbortRequiredError,
} from './producer/errors.js';
export type { ProducerOptions } from './producer/options.js';
export { murmur2, partitionForKey } from './producer/partitioner.js';
export { Producer, type ProducerCloseOptions, type SendOffsetsInput } from './producer/producer.js';
export type {
  Bytes,
  ConsumerGroupMetadata,
  Message,
  MessageHeaders,
  OffsetToSend,
  Partitioner,
  PartitionerInput,
  RecordMetadata,
  SendInput,
} from './producer/types.js';
export {
  CompressionError,
  DecompressedTooLargeError,
  UnsupportedCompressionError,
} from './protocol/compression/index.js';
export { isKafkaError, KafkaError } from './protocol/errors.js';
export { ProtocolDecodeError } from './protocol/reader.js';
export { BatchTooLargeError, CorruptRecordError, UnsupportedRecordFormatError } from './protocol/records/errors.js';
// Share groups (KIP-932): queues for Kafka
export {
  RenewUnsupportedError,
  ShareAcknowledgeError,
  ShareGroupFatalError,
  ShareGroupUnsupportedError,
} from './share/errors.js';
export type { ShareConsumerOptions } from './share/options.js';
export { ShareConsumer } from './share/share-consumer.js';
export type {
  AcknowledgeType,
  ShareBatch,
  ShareBatchContext,
  ShareCommitResult,
  ShareHandlerContext,
  ShareRecord,
  ShareRunOptions,
} from './share/types.js';
// Sinks: Kafka into SQLite, PostgreSQL or JSONL, exactly once
export type { MapFunction, ValueDecoder } from './sinks/decode.js';
export { SinkDecodeError, SinkError, SinkFencedError } from './sinks/errors.js';
export { JsonlStore } from './sinks/jsonl.js';
export type { JsonlStoreOptions } from './sinks/jsonl-options.js';
export { PostgresStore } from './sinks/postgres.js';
export type { PostgresStoreOptions } from './sinks/postgres-options.js';
export { runSink, type SinkRunOptions } from './sinks/runner.js';
export { SqliteStore, type SqliteStoreOptions } from './sinks/sqlite.js';
export type { MappedRow, MappedValue, PartitionWrite, SinkMode, SinkRecord, SinkStore } from './sinks/types.js';
