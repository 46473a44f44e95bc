import {
  type AssignmentContext,
  compareMembers,
  type GroupAssignment,
  type SyncAssignor,
  toTopicPartitions,
} from './types.js';

/**
 * `range` (Java's RangeAssignor): per topic, members in order each get a contiguous range of
 * partitions; the first `partitions % members` members get one extra. Co-partitioned topics thus
 * land together on the same member.
 */
export const rangeAssignor: SyncAssignor = {
  name: 'range',
  rebalanceProtocol: 'eager',
  assign(ctx: AssignmentContext): GroupAssignment {
    const owned = new Map<string, Array<[string, number]>>(ctx.members.map((m) => [m.memberId, []]));
    const topics = [...new Set(ctx.members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = ctx.partitionsPerTopic.get(topic);
      if (!count) continue;
      const members = ctx.members.filter((m) => m.topics.includes(topic)).sort(compareMembers);
      const base = Math.floor(count / members.length);
      const extra = count % members.length;
      let next = 0;
      members.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        for (let p = next; p < next + n; p++) owned.get(m.memberId)!.push([topic, p]);
        next += n;
      });
    }
    return new Map([...owned].map(([id, pairs]) => [id, toTopicPartitions(pairs)]));
  },
};
