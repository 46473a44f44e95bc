// `sluice/kafkajs`: KafkaJS's API on Sluice's clients. Change `from 'kafkajs'` to
// `from 'sluice/kafkajs'`; docs/migrating-from-kafkajs.md lists what is the same and what differs.

// Admin (kjs-producer)
export {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type AdminConfig,
  ConfigResourceTypes,
  ConfigSource,
  type DeleteGroupsResult,
  type DescribeConfigResponse,
  type GroupDescription,
  type GroupOverview,
  type IResourceConfig,
  type ITopicConfig,
  type ITopicMetadata,
  type ITopicPartitionConfig,
  type KafkaJSAdmin as Admin,
  ResourcePatternTypes,
  type SeekEntry,
} from './admin.js';
// Producer (kjs-producer)
export { CompressionCodecs, CompressionTypes } from './compression.js';
export type { KafkaConfig, RetryOptions, SASLOptions } from './config.js';
export * from './errors.js';
export { Kafka } from './kafka.js';
export { type KafkaJSLogger as Logger, type LogEntry, type logCreator, logLevel } from './logger.js';
export {
  type ICustomPartitioner,
  type PartitionerArgs,
  Partitioners,
  type PartitionMetadata,
} from './partitioners.js';
export type {
  IHeaders,
  KafkaJSProducer as Producer,
  Message,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from './producer.js';
export type { KafkaJSTransaction as Transaction, TopicOffsets } from './transaction.js';
