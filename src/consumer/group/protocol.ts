import {
  decodeConsumerProtocolAssignmentVersioned,
  encodeConsumerProtocolAssignmentVersioned,
} from '../../protocol/generated/consumer-protocol-assignment.js';
import {
  decodeConsumerProtocolSubscriptionVersioned,
  encodeConsumerProtocolSubscriptionVersioned,
} from '../../protocol/generated/consumer-protocol-subscription.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import type { MemberSubscription, TopicPartitions } from '../assignors/types.js';
import { sortPartitions, type TopicPartition } from '../topic-partition.js';

/** Subscription v3: owned partitions (KIP-429), generation (KIP-792), rack (KIP-881). */
const SUBSCRIPTION_VERSION = 3;
const ASSIGNMENT_VERSION = 3;

export function encodeSubscription(s: {
  topics: string[];
  userData: Buffer | null;
  owned: TopicPartition[];
  generationId: number;
  rackId: string | null;
}): Buffer {
  const w = new Writer(128);
  encodeConsumerProtocolSubscriptionVersioned(w, SUBSCRIPTION_VERSION, {
    topics: [...s.topics].sort(),
    userData: s.userData,
    ownedPartitions: groupByTopic(s.owned),
    generationId: s.generationId,
    rackId: s.rackId,
  });
  return Buffer.from(w.view());
}

/** Decodes a member's JoinGroup metadata; the caller names the member in errors. */
export function decodeSubscription(
  memberId: string,
  groupInstanceId: string | null,
  metadata: Buffer,
): MemberSubscription {
  const r = new Reader(metadata);
  const { value } = decodeConsumerProtocolSubscriptionVersioned(r);
  r.check(`subscription of member ${memberId}`);
  return {
    memberId,
    groupInstanceId,
    topics: value.topics,
    userData: value.userData ?? null,
    ownedPartitions: value.ownedPartitions ?? [],
    generationId: value.generationId ?? -1,
    rackId: value.rackId ?? null,
  };
}

export function encodeAssignment(partitions: TopicPartitions[], userData: Buffer | null = null): Buffer {
  const w = new Writer(64);
  encodeConsumerProtocolAssignmentVersioned(w, ASSIGNMENT_VERSION, { assignedPartitions: partitions, userData });
  return Buffer.from(w.view());
}

/** An empty buffer is a valid "nothing assigned" (the leader sends it for members with nothing). */
export function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const { value } = decodeConsumerProtocolAssignmentVersioned(r);
  r.check('group assignment');
  return sortPartitions(
    value.assignedPartitions.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition }))),
  );
}

export function groupByTopic(list: readonly TopicPartition[]): TopicPartitions[] {
  const m = new Map<string, number[]>();
  for (const p of list) {
    let a = m.get(p.topic);
    if (!a) m.set(p.topic, (a = []));
    a.push(p.partition);
  }
  return [...m.keys()].sort().map((topic) => ({ topic, partitions: m.get(topic)!.sort((a, b) => a - b) }));
}
