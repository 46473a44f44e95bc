import {
  type AssignmentContext,
  compareMembers,
  type GroupAssignment,
  type SyncAssignor,
  toTopicPartitions,
} from './types.js';

/**
 * `roundrobin` (Java's RoundRobinAssignor): all partitions of all subscribed topics, in (topic,
 * partition) order, dealt one by one to the members in order, skipping members not subscribed to
 * the partition's topic.
 */
export const roundRobinAssignor: SyncAssignor = {
  name: 'roundrobin',
  rebalanceProtocol: 'eager',
  assign(ctx: AssignmentContext): GroupAssignment {
    const members = [...ctx.members].sort(compareMembers);
    const owned = new Map<string, Array<[string, number]>>(members.map((m) => [m.memberId, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    let cursor = 0;
    for (const topic of topics) {
      const count = ctx.partitionsPerTopic.get(topic) ?? 0;
      for (let p = 0; p < count; p++) {
        // At most one full turn to find the next member subscribed to this topic.
        for (let tries = 0; tries < members.length; tries++) {
          const m = members[cursor % members.length]!;
          cursor++;
          if (m.topics.includes(topic)) {
            owned.get(m.memberId)!.push([topic, p]);
            break;
          }
        }
      }
    }
    return new Map([...owned].map(([id, pairs]) => [id, toTopicPartitions(pairs)]));
  },
};
