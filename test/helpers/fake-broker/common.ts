// Small pieces the default handlers share: error codes, topic lookup by name or id, leadership checks.
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import type { FakeCluster } from './cluster.js';
import type { FakeTopic, PartitionLog } from './log.js';
import type { ApiName, RequestInfo, RequestOf, ResponseOf } from './types.js';

/** Kafka error codes the fake answers with. */
export const E = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  UNSUPPORTED_VERSION: 35,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNKNOWN_TOPIC_ID: 100,
} as const;

export { ZERO_UUID };

/** A default handler: the cluster's normal answer to one request (null: no response). */
export type DefaultHandler<N extends ApiName> = (
  cluster: FakeCluster,
  req: RequestOf<N>,
  info: RequestInfo<N>,
) => ResponseOf<N> | null | Promise<ResponseOf<N> | null>;

export type DefaultHandlers = { [N in ApiName]?: DefaultHandler<N> };

/** The topic a request names (by id when it has a non-zero one), or the error code for a missing one. */
export function findTopic(
  c: FakeCluster,
  ref: { name?: string | null; topic?: string; topicId?: string },
): { topic: FakeTopic; error: 0 } | { topic: undefined; error: number } {
  const id = ref.topicId;
  if (id && id !== ZERO_UUID) {
    const t = c.topicById(id);
    return t ? { topic: t, error: 0 } : { topic: undefined, error: E.UNKNOWN_TOPIC_ID };
  }
  const name = ref.name ?? ref.topic ?? '';
  const t = c.topics.get(name);
  return t ? { topic: t, error: 0 } : { topic: undefined, error: E.UNKNOWN_TOPIC_OR_PARTITION };
}

/**
 * Whether `nodeId` may serve a partition-leader request for `log`: NOT_LEADER_OR_FOLLOWER on another
 * node (or with no leader), FENCED/UNKNOWN_LEADER_EPOCH for a client epoch older/newer than ours.
 */
export function leaderError(log: PartitionLog, nodeId: number, clientEpoch = -1): number {
  if (log.leader !== nodeId) return E.NOT_LEADER_OR_FOLLOWER;
  if (clientEpoch >= 0 && clientEpoch < log.leaderEpoch) return E.FENCED_LEADER_EPOCH;
  if (clientEpoch > log.leaderEpoch) return E.UNKNOWN_LEADER_EPOCH;
  return E.NONE;
}

/** KIP-951: where the leader is now, for NOT_LEADER_OR_FOLLOWER answers. */
export function currentLeader(log: PartitionLog | undefined) {
  return { leaderId: log?.leader ?? -1, leaderEpoch: log ? log.leaderEpoch : -1 };
}

export function nodeEndpoints(c: FakeCluster, ids: number[]) {
  return c.nodes
    .filter((n) => n.isUp && ids.includes(n.nodeId))
    .map((n) => ({ nodeId: n.nodeId, host: n.host, port: n.port, rack: null }));
}
