// Public API of the real-broker test harness. See docs/testing.md.
export { installsForbidden, NO_INSTALL_ENV, SHARED_KAFKA_ENV } from './env.js';
export { HarnessError } from './errors.js';
export { DEFAULT_VERSIONS, type KafkaJars, resolveKafka, resolveKafkaTools } from './jars.js';
export { type JavaResult, javaBin, type RunJavaOptions, runJava } from './java.js';
export { type KafkaCluster, type StartKafkaOptions, startKafka } from './kafka.js';
export { type WaitOptions, waitFor } from './poll.js';
export { SHARED_LISTENERS, sharedKafka, uniqueName } from './shared.js';
export * from './types.js';
export {
  type ApiVersionRange,
  type ApiVersionsResult,
  apiVersions,
  type MetadataBroker,
  metadataBrokers,
  roundTrip,
  type WireOptions,
} from './wire.js';
