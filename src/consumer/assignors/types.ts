/** A topic and the partitions of it, as assignors and the group protocol exchange them. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What one member told the group when it joined (ConsumerProtocolSubscription). */
export interface MemberSubscription {
  memberId: string;
  /** Static membership id (`group.instance.id`), or null. */
  groupInstanceId: string | null;
  topics: string[];
  /** Assignor-specific data the member attached, or null. */
  userData: Buffer | null;
  /** Partitions the member owns going into this rebalance (KIP-429; empty for eager members). */
  ownedPartitions: TopicPartitions[];
  /** Generation in which it owned them (KIP-792), -1 when unknown. */
  generationId: number;
  rackId: string | null;
}

export interface AssignmentContext {
  members: MemberSubscription[];
  /** Partition count of every topic any member subscribes to (topics that do not exist are absent). */
  partitionsPerTopic: ReadonlyMap<string, number>;
}

/** Result: for each member id, its topics and partitions (members with nothing may be omitted). */
export type GroupAssignment = Map<string, TopicPartitions[]>;

/**
 * A partition assignment strategy for the classic group protocol, run by the group leader.
 * Implement this to plug in your own; `name` is what goes on the wire (`partition.assignment.strategy`).
 */
export interface Assignor {
  readonly name: string;
  /**
   * `eager`: members give up everything on each rebalance. `cooperative` (KIP-429): members keep
   * what they still own, and partitions moving between members are revoked first, then assigned in
   * a follow-up rebalance.
   */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  /** Optional data to send with this member's subscription. */
  userData?(topics: string[]): Buffer | null;
  /** May be async (an adapted KafkaJS assigner is): the leader awaits it before SyncGroup. */
  assign(ctx: AssignmentContext): GroupAssignment | Promise<GroupAssignment>;
}

/** Groups a flat list of [topic, partition] into sorted TopicPartitions. */
export function toTopicPartitions(pairs: Iterable<readonly [string, number]>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const [t, p] of pairs) {
    let list = byTopic.get(t);
    if (!list) byTopic.set(t, (list = []));
    list.push(p);
  }
  return [...byTopic.keys()].sort().map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

/** Java's member order: static members by instance id, otherwise by member id. */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  const ka = a.groupInstanceId ?? a.memberId;
  const kb = b.groupInstanceId ?? b.memberId;
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return ka < kb ? -1 : ka > kb ? 1 : 0;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

/** An assignor whose `assign` answers at once (the built-in ones). */
export type SyncAssignor = Omit<Assignor, 'assign'> & { assign(ctx: AssignmentContext): GroupAssignment };
