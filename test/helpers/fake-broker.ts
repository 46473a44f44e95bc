// An in-process fake Kafka cluster for deterministic tests: real TCP on 127.0.0.1, the real wire protocol
// through the generated codecs, in-memory partition logs and a classic group coordinator. Tests steer it
// (leaders, injected errors, delays, silence, raw hostile frames) without a JVM. Not a Kafka
// reimplementation: no replication, transactions, fetch sessions, quotas, SASL/TLS or KIP-848.
// docs/testing.md ("The fake broker") describes the API.
export { FakeCluster, type FakeClusterOptions, type FakeTopicSpec, type Match } from './fake-broker/cluster.js';
export { E as FakeErrors } from './fake-broker/common.js';
export type { ClassicGroup, GroupState, Member } from './fake-broker/group.js';
export type { BatchOptions, FakeRecord, FakeTopic, PartitionLog } from './fake-broker/log.js';
export { encodeResponseFrame, type FakeNode, RawBody, rawResponseFrame } from './fake-broker/node.js';
export type {
  ApiName,
  Handler,
  LoggedRequest,
  RawContext,
  RawHandler,
  RequestContext,
  RequestInfo,
  RequestOf,
  ResponseOf,
  VersionCap,
} from './fake-broker/types.js';
