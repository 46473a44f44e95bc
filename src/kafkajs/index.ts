// `sluice/kafkajs`: KafkaJS's API on Sluice's clients. Change `from 'kafkajs'` to
// `from 'sluice/kafkajs'`; docs/migrating-from-kafkajs.md lists what is the same and what differs.

// Consumer side.
export {
  type Assigner,
  AssignerProtocol,
  type GroupMember,
  type GroupMemberAssignment,
  type GroupState,
  type MemberAssignment,
  type MemberMetadata,
  type PartitionAssigner,
  PartitionAssigners,
  sluiceAssignor,
} from './assigners.js';
export type { KafkaConfig, RetryOptions, SASLOptions } from './config.js';
export type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  KafkaJSConsumer as Consumer,
  MemberDescription,
  TopicPartitionOffsetAndMetadata,
} from './consumer.js';
export type {
  ConsumerEventPayloads,
  ConsumerEvents,
  InstrumentationEvent,
  RemoveInstrumentationEventListener,
} from './consumer-events.js';
export type {
  Batch,
  EachBatchHandler,
  EachBatchPayload,
  EachMessageHandler,
  EachMessagePayload,
  IHeaders,
  KafkaMessage,
  OffsetsByTopicPartition,
} from './consumer-payloads.js';
export * from './errors.js';
export { Kafka } from './kafka.js';
export { type KafkaJSLogger as Logger, type LogEntry, type logCreator, logLevel } from './logger.js';
