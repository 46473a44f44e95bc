// `sluice/kafkajs`: KafkaJS's API on Sluice's clients. Change `from 'kafkajs'` to
// `from 'sluice/kafkajs'`; docs/migrating-from-kafkajs.md lists what is the same and what differs.
export type { KafkaConfig, RetryOptions, SASLOptions } from './config.js';
export * from './errors.js';
export { Kafka } from './kafka.js';
export { type KafkaJSLogger as Logger, type LogEntry, type logCreator, logLevel } from './logger.js';
