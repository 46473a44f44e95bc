// KafkaJS 2.2.4 members and sluice/kafkajs members in ONE group: both speak RoundRobinAssigner over
// ConsumerProtocol v0, so either kind may lead; the partitions are split between them, none twice,
// and every record is consumed by the member it was assigned to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka as KafkaJS, logLevel as kafkajsLogLevel } from 'kafkajs';
import { Consumer } from '../../src/consumer/consumer.js';
import { Kafka, logLevel, PartitionAssigners, sluiceAssignor } from '../../src/kafkajs/index.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv();
const PARTITIONS = 6;

interface Member {
  name: string;
  /** Latest GROUP_JOIN: leader or not, and the assignment. */
  join?: { isLeader: boolean; groupProtocol: string; memberAssignment: Record<string, number[]> };
  seen: Array<[number, string]>;
  /** REBALANCING events seen. */
  rebalancing: number;
  stop(): Promise<void>;
}

/** Either kind of consumer, through the same KafkaJS API: only the `Kafka` class differs. */
async function member(kind: 'kafkajs' | 'sluice' | 'native', topic: string, groupId: string): Promise<Member> {
  const brokers = [env.kafka.bootstrap];
  if (kind === 'native') return nativeMember(topic, groupId);
  const kafka =
    kind === 'kafkajs'
      ? new KafkaJS({ brokers, clientId: 'kjs-native', logLevel: kafkajsLogLevel.NOTHING })
      : new Kafka({ brokers, clientId: 'kjs-facade', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 200, sessionTimeout: 10000 });
  const m: Member = { name: kind, seen: [], rebalancing: 0, stop: () => consumer.disconnect() };
  consumer.on(consumer.events.REBALANCING, () => {
    m.rebalancing++;
  });
  consumer.on(consumer.events.GROUP_JOIN, (e: { payload: Member['join'] }) => {
    m.join = e.payload;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }: { partition: number; message: { offset: string } }) => {
      m.seen.push([partition, message.offset]);
    },
  });
  return m;
}

/** Sluice's own Consumer, speaking RoundRobinAssigner through sluiceAssignor(). */
async function nativeMember(topic: string, groupId: string): Promise<Member> {
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 300,
    fetchMaxWaitMs: 200,
    sessionTimeoutMs: 10000,
    assignors: [sluiceAssignor(PartitionAssigners.roundRobin)],
  });
  const m: Member = { name: 'native', seen: [], rebalancing: 0, stop: () => consumer.close() };
  let joined: () => void;
  const first = new Promise<void>((r) => {
    joined = r;
  });
  consumer.subscribe(topic, {
    onPartitionsAssigned: () => {
      const memberAssignment: Record<string, number[]> = {};
      for (const tp of consumer.assignment()) (memberAssignment[tp.topic] ??= []).push(tp.partition);
      m.join = { isLeader: false, groupProtocol: 'RoundRobinAssigner', memberAssignment };
      joined();
    },
  });
  void consumer.run({ eachMessage: (r) => void m.seen.push([r.partition, String(r.offset)]) });
  await first;
  return m;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const owned = (m: Member, topic: string) => m.join?.memberAssignment[topic] ?? [];

async function mixedGroup(
  leader: 'kafkajs' | 'sluice' | 'native',
  follower: 'kafkajs' | 'sluice' | 'native',
  checkLeader = true,
) {
  const topic = uniqueName('kjs-mixed');
  const groupId = uniqueName('kjs-mixed-g');
  await env.producer.createTopic(topic, PARTITIONS);
  const first = await member(leader, topic, groupId);
  const second = await member(follower, topic, groupId);
  try {
    // Both rejoined into one generation: 3 partitions each, disjoint, all six covered.
    await until(() => owned(first, topic).length === 3 && owned(second, topic).length === 3, 30000, 'a 3/3 split');
    const all = [...owned(first, topic), ...owned(second, topic)].sort();
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5]);
    // The first member was told the group rebalanced when the second joined.
    if (leader !== 'native') assert.ok(first.rebalancing >= 1, `${leader}: REBALANCING`);
    if (checkLeader) {
      assert.equal(first.join!.isLeader, true, `the ${leader} member leads`);
      assert.equal(second.join!.isLeader, false);
    }
    assert.equal(first.join!.groupProtocol, 'RoundRobinAssigner');
    assert.equal(second.join!.groupProtocol, 'RoundRobinAssigner');

    await env.producer.fill(topic, PARTITIONS, PARTITIONS * 10);
    await until(() => first.seen.length + second.seen.length >= PARTITIONS * 10, 30000, 'every record');
    for (const m of [first, second]) {
      const mine = new Set(owned(m, topic));
      assert.ok(
        m.seen.every(([p]) => mine.has(p)),
        `${m.name} consumed only its partitions`,
      );
    }
    const keys = [...first.seen, ...second.seen].map(([p, o]) => `${p}:${o}`);
    assert.equal(new Set(keys).size, PARTITIONS * 10, 'each record once');
  } finally {
    await second.stop();
    await first.stop();
  }
}

test('a KafkaJS leader assigns to a sluice/kafkajs member', { timeout: 60000 }, async () => {
  await mixedGroup('kafkajs', 'sluice');
});

test('a sluice/kafkajs leader assigns to a KafkaJS member', { timeout: 60000 }, async () => {
  await mixedGroup('sluice', 'kafkajs');
});

test("Sluice's own Consumer joins with sluiceAssignor(PartitionAssigners.roundRobin), leading a KafkaJS member", {
  timeout: 60000,
}, async () => {
  // The native member's rebalance listener has no leader flag: the 3/3 split is what is checked.
  await mixedGroup('native', 'kafkajs', false);
});

test('a KafkaJS leader with more topics assigns them to a sluice/kafkajs member: RECEIVED_UNSUBSCRIBED_TOPICS', {
  timeout: 60000,
}, async () => {
  const a = uniqueName('kjs-sub-a');
  const b = uniqueName('kjs-sub-b');
  const groupId = uniqueName('kjs-sub-g');
  await env.producer.createTopic(a, 2);
  await env.producer.createTopic(b, 2);
  const brokers = [env.kafka.bootstrap];
  const native = new KafkaJS({ brokers, clientId: 'kjs-native', logLevel: kafkajsLogLevel.NOTHING }).consumer({
    groupId,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
  });
  const facade = new Kafka({ brokers, clientId: 'kjs-facade', logLevel: logLevel.NOTHING }).consumer({
    groupId,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
  });
  const received: Array<{ topicsNotSubscribed: string[]; topicsSubscribed: string[]; assignedTopics: string[] }> = [];
  facade.on(facade.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => received.push(e.payload));
  try {
    await native.connect();
    await native.subscribe({ topics: [a, b] });
    await native.run({ eachMessage: async () => {} });
    await facade.connect();
    await facade.subscribe({ topics: [a] });
    await facade.run({ eachMessage: async () => {} });
    await until(() => received.length > 0, 30000, 'RECEIVED_UNSUBSCRIBED_TOPICS');
    assert.deepEqual(received[0]!.topicsNotSubscribed, [b]);
    assert.deepEqual(received[0]!.topicsSubscribed, [a]);
  } finally {
    await facade.disconnect();
    await native.disconnect();
  }
});
