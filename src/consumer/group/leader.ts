import type { Cluster } from '../../cluster/cluster.js';
import type { Assignor } from '../assignors/types.js';
import { GroupFatalError } from './errors.js';
import { decodeSubscription, encodeAssignment } from './protocol.js';

/**
 * The group leader's part of a classic rebalance: decode every member's subscription, look the
 * topics up, run the assignor the coordinator chose, and encode each member's share. Topics that do
 * not exist (yet) get nothing; `partitionCounts` (0 for those) lets the leader notice when they
 * appear or grow, and rebalance then.
 */
export async function leaderAssignment(
  cluster: Cluster,
  o: { groupId: string; assignors: Assignor[] },
  protocolName: string | null,
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[],
  signal: AbortSignal,
): Promise<{ assignments: { memberId: string; assignment: Buffer }[]; partitionCounts: Map<string, number> }> {
  const assignor = o.assignors.find((a) => a.name === protocolName);
  if (!assignor)
    throw new GroupFatalError(o.groupId, new Error(`the coordinator chose unknown assignor "${protocolName}"`));
  const subs = members.map((m) => decodeSubscription(m.memberId, m.groupInstanceId, m.metadata));
  const topics = [...new Set(subs.flatMap((s) => s.topics))];
  await cluster.refreshMetadata({ topics, signal });
  const partitionsPerTopic = new Map<string, number>();
  const partitionCounts = new Map<string, number>();
  for (const t of topics) {
    const info = cluster.metadata.topics.get(t);
    const count = info && info.errorCode === 0 ? info.partitions.length : 0;
    partitionCounts.set(t, count);
    if (count) partitionsPerTopic.set(t, count);
  }
  const result = await assignor.assign({ members: subs, partitionsPerTopic });
  return {
    assignments: subs.map((s) => ({
      memberId: s.memberId,
      assignment: encodeAssignment(result.get(s.memberId) ?? []),
    })),
    partitionCounts,
  };
}
