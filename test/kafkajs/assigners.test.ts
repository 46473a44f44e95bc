// The wire formats KafkaJS members and sluice/kafkajs members exchange in one group: KafkaJS 2.2.4's
// own AssignerProtocol (from node_modules) against ours and against Sluice's group code, and a
// KafkaJS-style custom assigner adapted to Sluice's Assignor interface.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssignerProtocol as KafkaJSProtocol } from 'kafkajs';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/consumer/group/protocol.js';
import { adaptAssigner } from '../../src/kafkajs/assigners.js';
import {
  AssignerProtocol,
  KafkaJSNonRetriableError,
  type PartitionAssigner,
  PartitionAssigners,
} from '../../src/kafkajs/index.js';
import { createLogger, logLevel } from '../../src/kafkajs/logger.js';

const logger = createLogger(logLevel.NOTHING);

test('AssignerProtocol encodes what KafkaJS decodes, and decodes what KafkaJS encodes', () => {
  const meta = { version: 0, topics: ['a', 'b'], userData: Buffer.from('ud') };
  assert.deepEqual(KafkaJSProtocol.MemberMetadata.decode(AssignerProtocol.MemberMetadata.encode(meta)), meta);
  assert.deepEqual(AssignerProtocol.MemberMetadata.decode(KafkaJSProtocol.MemberMetadata.encode(meta)), meta);
  const asg = { version: 0, assignment: { a: [0, 2], b: [1] }, userData: Buffer.alloc(0) };
  assert.deepEqual(KafkaJSProtocol.MemberAssignment.decode(AssignerProtocol.MemberAssignment.encode(asg)), asg);
  assert.deepEqual(AssignerProtocol.MemberAssignment.decode(KafkaJSProtocol.MemberAssignment.encode(asg)), asg);
  assert.equal(AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0)), null);
  assert.throws(
    () => AssignerProtocol.MemberMetadata.decode(Buffer.from([0, 0, 0, 0, 0, 9])),
    KafkaJSNonRetriableError,
  );
});

test("Sluice's group code reads KafkaJS's v0 subscription and assignment; KafkaJS reads Sluice's v3", () => {
  const fromKafkaJS = KafkaJSProtocol.MemberMetadata.encode({
    version: 0,
    topics: ['t1', 't2'],
    userData: Buffer.alloc(0),
  });
  const sub = decodeSubscription('m1', null, fromKafkaJS);
  assert.deepEqual(sub.topics, ['t1', 't2']);
  assert.deepEqual(sub.ownedPartitions, []);
  assert.equal(sub.generationId, -1);

  const fromSluice = encodeSubscription({
    topics: ['t1'],
    userData: null,
    owned: [{ topic: 't1', partition: 3 }],
    generationId: 7,
    rackId: 'r1',
  });
  const read = KafkaJSProtocol.MemberMetadata.decode(fromSluice);
  assert.deepEqual(read?.topics, ['t1']);

  const assignmentFromKafkaJS = KafkaJSProtocol.MemberAssignment.encode({
    version: 0,
    assignment: { t1: [4, 1] },
    userData: Buffer.alloc(0),
  });
  assert.deepEqual(decodeAssignment(assignmentFromKafkaJS), [
    { topic: 't1', partition: 1 },
    { topic: 't1', partition: 4 },
  ]);
  const assignmentFromSluice = encodeAssignment([{ topic: 't1', partitions: [0, 5] }]);
  assert.deepEqual(KafkaJSProtocol.MemberAssignment.decode(assignmentFromSluice)?.assignment, { t1: [0, 5] });
});

const member = (memberId: string, topics: string[], userData: Buffer | null = null) => ({
  memberId,
  groupInstanceId: null,
  topics,
  userData,
  ownedPartitions: [],
  generationId: -1,
  rackId: null,
});

test("roundRobin deals partitions to members sorted by id, KafkaJS's plan, under the name RoundRobinAssigner", async () => {
  const a = adaptAssigner(PartitionAssigners.roundRobin, 'g', logger);
  assert.equal(a.name, 'RoundRobinAssigner');
  const plan = await a.assign({
    members: [member('m-b', ['t']), member('m-a', ['t'])],
    partitionsPerTopic: new Map([['t', 5]]),
  });
  assert.deepEqual(plan.get('m-a'), [{ topic: 't', partitions: [0, 2, 4] }]);
  assert.deepEqual(plan.get('m-b'), [{ topic: 't', partitions: [1, 3] }]);
});

test('a custom KafkaJS assigner factory runs as a Sluice assignor: its userData travels, its plan is applied', async () => {
  const seen: Array<{ memberId: string; userData: string }> = [];
  const custom: PartitionAssigner = ({ cluster, groupId }) => ({
    name: 'EverythingToTheFirst',
    version: 1,
    async assign({ members, topics }) {
      for (const m of members) {
        const md = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        seen.push({ memberId: m.memberId, userData: md.userData.toString() });
      }
      const first = members.map((m) => m.memberId).sort()[0]!;
      const assignment: Record<string, number[]> = {};
      for (const t of topics) assignment[t] = cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId);
      return [
        { memberId: first, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment }) },
      ];
    },
    protocol({ topics }) {
      return {
        name: 'EverythingToTheFirst',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(groupId) }),
      };
    },
  });
  const a = adaptAssigner(custom, 'my-group', logger);
  assert.equal(a.userData?.(['t'])?.toString(), 'my-group');
  const plan = await a.assign({
    members: [member('m2', ['t'], Buffer.from('two')), member('m1', ['t'], Buffer.from('one'))],
    partitionsPerTopic: new Map([['t', 3]]),
  });
  assert.deepEqual(plan.get('m1'), [{ topic: 't', partitions: [0, 1, 2] }]);
  assert.equal(plan.get('m2'), undefined);
  assert.deepEqual(
    seen.sort((x, y) => x.memberId.localeCompare(y.memberId)),
    [
      { memberId: 'm1', userData: 'one' },
      { memberId: 'm2', userData: 'two' },
    ],
  );
  // What the adapter cannot offer fails loudly, not with a TypeError.
  const nosy: PartitionAssigner = ({ cluster }) => ({
    name: 'Nosy',
    version: 0,
    async assign() {
      (cluster as unknown as { findControllerBroker(): void }).findControllerBroker();
      return [];
    },
    protocol: ({ topics }) => ({
      name: 'Nosy',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }),
    }),
  });
  await assert.rejects(
    () => Promise.resolve(adaptAssigner(nosy, 'g', logger).assign({ members: [], partitionsPerTopic: new Map() })),
    { name: 'KafkaJSNotImplemented' },
  );
  assert.throws(() => adaptAssigner(42 as never, 'g', logger), /assigner factory/);
});
