// KafkaJS's partition assigners: `PartitionAssigners.roundRobin`, `AssignerProtocol` (ConsumerProtocol
// v0 MemberMetadata/MemberAssignment), and the adapter that runs a KafkaJS-style assigner factory
// (`({ cluster, groupId, logger }) => { name, version, assign, protocol }`) as a Sluice Assignor, so
// a user's own assigner keeps working and KafkaJS members and sluice/kafkajs members form one group.
import type { AssignmentContext, Assignor, GroupAssignment, TopicPartitions } from '../consumer/assignors/types.js';
import { ConfigError } from '../errors.js';
import { KafkaJSNonRetriableError, KafkaJSNotImplemented } from './errors.js';
import { createLogger, type KafkaJSLogger, logLevel } from './logger.js';

export type Assignment = { [topic: string]: number[] };
export interface MemberMetadata {
  version: number;
  topics: string[];
  userData: Buffer;
}
export interface MemberAssignment {
  version: number;
  assignment: Assignment;
  userData: Buffer;
}
export type GroupMember = { memberId: string; memberMetadata: Buffer };
export type GroupMemberAssignment = { memberId: string; memberAssignment: Buffer };
export type GroupState = { name: string; metadata: Buffer };
export interface Assigner {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>;
  protocol(subscription: { topics: string[] }): GroupState;
}
export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}
/**
 * What a KafkaJS assigner gets as `cluster`. Only `findTopicPartitionMetadata` (all the built-in
 * round-robin assigner uses) answers, from the partition counts the leader looked up for this
 * rebalance; the rest throw KafkaJSNotImplemented.
 */
export interface AssignerCluster {
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  [other: string]: unknown;
}
export type PartitionAssigner = (config: {
  cluster: AssignerCluster;
  groupId: string;
  logger: KafkaJSLogger;
}) => Assigner;

// ---- ConsumerProtocol v0 encoding (big-endian; strings int16-length, bytes/arrays int32-length) ----

class Out {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }
  bytes(b: Buffer | null | undefined): this {
    if (b == null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  private at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.at + n > this.b.length)
      throw new KafkaJSNonRetriableError(`${this.what}: truncated at byte ${this.at} (need ${n} more)`);
  }
  canRead(n: number): boolean {
    return this.at + n <= this.b.length;
  }
  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  string(): string {
    const n = this.int16();
    if (n < 0) return '';
    this.need(n);
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  /** KafkaJS reads a null (-1) as an empty buffer's absence; an absent field (older encoders) as empty. */
  bytes(): Buffer {
    if (!this.canRead(4)) return Buffer.alloc(0);
    const n = this.int32();
    if (n < 0) return Buffer.alloc(0);
    this.need(n);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  array<T>(item: () => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (n > this.b.length) throw new KafkaJSNonRetriableError(`${this.what}: array length ${n} exceeds the data`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
}

/**
 * KafkaJS's `AssignerProtocol`: ConsumerProtocol subscription (MemberMetadata) and assignment
 * (MemberAssignment) at the version given. Decoding reads the v0 fields and ignores the fields later
 * versions append (owned partitions, generation, rack), as KafkaJS does — so it reads what Sluice's
 * and Java's members send too.
 */
export const AssignerProtocol = {
  MemberMetadata: {
    encode({ version, topics, userData }: { version: number; topics: string[]; userData?: Buffer }): Buffer {
      const out = new Out().int16(version).int32(topics.length);
      for (const t of topics) out.string(t);
      return out.bytes(userData ?? Buffer.alloc(0)).buffer();
    },
    decode(buffer: Buffer): MemberMetadata {
      const r = new In(buffer, 'MemberMetadata');
      return { version: r.int16(), topics: r.array(() => r.string()), userData: r.bytes() };
    },
  },
  MemberAssignment: {
    encode({ version, assignment, userData }: { version: number; assignment: Assignment; userData?: Buffer }): Buffer {
      const topics = Object.keys(assignment);
      const out = new Out().int16(version).int32(topics.length);
      for (const t of topics) {
        const partitions = assignment[t] ?? [];
        out.string(t).int32(partitions.length);
        for (const p of partitions) out.int32(p);
      }
      return out.bytes(userData ?? Buffer.alloc(0)).buffer();
    },
    /** Null for an empty buffer (a member the leader gave nothing), as KafkaJS. */
    decode(buffer: Buffer): MemberAssignment | null {
      if (buffer.length < 2) return null;
      const r = new In(buffer, 'MemberAssignment');
      const version = r.int16();
      const assignment: Assignment = {};
      for (const { topic, partitions } of r.array(() => ({ topic: r.string(), partitions: r.array(() => r.int32()) })))
        assignment[topic] = partitions;
      return { version, assignment, userData: r.bytes() };
    },
  },
};

/**
 * KafkaJS's round-robin assigner, by its wire name `RoundRobinAssigner` and ConsumerProtocol v0: the
 * partitions of the subscribed topics, topic by topic, dealt in turn to the members sorted by member
 * id — the same plan a KafkaJS leader makes, so it does not matter which kind of member leads.
 */
const roundRobin: PartitionAssigner = ({ cluster }) => ({
  name: 'RoundRobinAssigner',
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Assignment>();
    let i = 0;
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = sorted[i++ % sorted.length]!;
        let a = plan.get(member);
        if (!a) plan.set(member, (a = Object.create(null) as Assignment));
        (a[topic] ??= []).push(partitionId);
      }
    }
    return [...plan].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
    }));
  },
  protocol({ topics }) {
    return { name: 'RoundRobinAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }) };
  },
});

export const PartitionAssigners: { roundRobin: PartitionAssigner } = { roundRobin };

/**
 * A Sluice Assignor running a KafkaJS assigner. Sluice encodes the member's subscription itself (with
 * the `userData` the assigner's `protocol()` puts in its metadata), so what KafkaJS members read is the
 * same v0 prefix. The leader hands the assigner every member's metadata re-encoded at the assigner's
 * version, and the topics the members subscribe to (KafkaJS hands the leader's own subscription; with
 * one subscription in the group that is the same).
 */
export function adaptAssigner(factory: PartitionAssigner, groupId: string, logger: KafkaJSLogger): Assignor {
  if (typeof factory !== 'function')
    throw new ConfigError('partitionAssigners', 'each entry must be an assigner factory ({ cluster }) => assigner');
  let counts: ReadonlyMap<string, number> = new Map();
  const cluster: AssignerCluster = new Proxy(
    {
      findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
        const n = counts.get(topic) ?? 0;
        return Array.from({ length: n }, (_, partitionId) => ({
          partitionErrorCode: 0,
          partitionId,
          leader: -1,
          replicas: [],
          isr: [],
          offlineReplicas: [],
        }));
      },
    },
    {
      get(target, prop) {
        if (prop in target) return target[prop as keyof typeof target];
        if (typeof prop === 'symbol' || prop === 'then') return undefined;
        return () => {
          throw new KafkaJSNotImplemented(`sluice/kafkajs: cluster.${prop}() is not available to assigners`);
        };
      },
    },
  );
  const assigner = factory({ cluster, groupId, logger });
  if (
    typeof assigner !== 'object' ||
    assigner === null ||
    typeof assigner.name !== 'string' ||
    typeof assigner.assign !== 'function' ||
    typeof assigner.protocol !== 'function'
  )
    throw new ConfigError('partitionAssigners', 'an assigner needs name, version, assign() and protocol()');
  const version = assigner.version ?? 0;
  return {
    name: assigner.name,
    rebalanceProtocol: 'eager',
    userData(topics: string[]): Buffer | null {
      const { metadata } = assigner.protocol({ topics });
      const { userData } = AssignerProtocol.MemberMetadata.decode(metadata);
      return userData.length ? userData : null;
    },
    async assign(ctx: AssignmentContext): Promise<GroupAssignment> {
      counts = ctx.partitionsPerTopic;
      const topics = [...new Set(ctx.members.flatMap((m) => m.topics))].sort();
      const members = ctx.members.map((m) => ({
        memberId: m.memberId,
        memberMetadata: AssignerProtocol.MemberMetadata.encode({
          version,
          topics: m.topics,
          userData: m.userData ?? Buffer.alloc(0),
        }),
      }));
      const result = await assigner.assign({ members, topics });
      const out: GroupAssignment = new Map();
      for (const { memberId, memberAssignment } of result) {
        const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
        const tps: TopicPartitions[] = Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].sort((a, b) => a - b),
        }));
        out.set(memberId, tps);
      }
      return out;
    },
  };
}

/**
 * A KafkaJS assigner as an assignor for Sluice's own Consumer (`assignors: [sluiceAssignor(
 * PartitionAssigners.roundRobin)]`): the step after sluice/kafkajs, when members move to Sluice's
 * native API while KafkaJS or sluice/kafkajs members are still in the group.
 */
export function sluiceAssignor(
  factory: PartitionAssigner,
  { groupId = '', logger }: { groupId?: string; logger?: KafkaJSLogger } = {},
): Assignor {
  return adaptAssigner(factory, groupId, logger ?? createLogger(logLevel.NOTHING));
}
