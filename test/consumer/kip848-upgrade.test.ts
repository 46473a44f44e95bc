// Upgrading a classic group to the KIP-848 consumer protocol against the real Kafka 4.x broker (its
// default group.consumer.migration.policy, bidirectional, allows both ways):
//  - offline: every classic member stops, members come back with groupProtocol 'consumer' and resume
//    from the committed offsets;
//  - online: a consumer-protocol member joins a running classic group (the broker converts the group
//    and keeps the classic member as a mixed member), the two share the partitions, the classic one
//    leaves, and nothing is lost on the way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { consumeUntil, testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();

const classic = {
  autoOffsetReset: 'earliest',
  autoCommitIntervalMs: 500,
  sessionTimeoutMs: 10000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 20000,
  assignors: ['cooperative-sticky'],
} satisfies Partial<ConsumerOptions>;
const kip848 = {
  groupProtocol: 'consumer',
  autoOffsetReset: 'earliest',
  autoCommitIntervalMs: 500,
  rebalanceTimeoutMs: 20000,
} satisfies Partial<ConsumerOptions>;

test('offline upgrade: a classic group restarted with the consumer protocol resumes at its commits', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('k848up');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 3);
  await env.producer.fill(topic, 3, 600, 'old');
  const c1 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...classic });
  c1.subscribe(topic);
  assert.equal((await consumeUntil(c1, (s) => s.length >= 600, 60000)).length, 600);
  await env.producer.fill(topic, 3, 300, 'new');
  const c2 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  c2.subscribe(topic);
  const second = await consumeUntil(c2, (s) => s.length >= 300, 60000);
  assert.equal(second.length, 300);
  assert.ok(second.every((r) => r.value!.toString().startsWith('new')));
});

test('online upgrade: a consumer-protocol member joins a running classic group; the classic member then leaves', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('k848on');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 400, 'a');
  const seenA: ConsumerRecord[] = [];
  const seenB: ConsumerRecord[] = [];
  const ownedB = new Set<number>();
  const a = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...classic });
  a.subscribe(topic);
  const runA = a.run({ eachMessage: (r) => void seenA.push(r) });
  runA.catch(() => {});
  const b = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  try {
    await waitFor(() => (seenA.length >= 400 ? true : undefined), {
      timeoutMs: 30000,
      what: 'classic member consumed',
    });
    b.subscribe(topic, {
      onPartitionsAssigned: (ps) => {
        for (const p of ps) ownedB.add(p.partition);
      },
      onPartitionsRevoked: (ps) => {
        for (const p of ps) ownedB.delete(p.partition);
      },
    });
    const runB = b.run({ eachMessage: (r) => void seenB.push(r) });
    runB.catch(() => {});
    await waitFor(() => (ownedB.size > 0 && ownedB.size < 4 ? true : undefined), {
      timeoutMs: 40000,
      what: 'the consumer-protocol member shares the partitions with the classic one',
    });
    await env.producer.fill(topic, 4, 400, 'b');
    await waitFor(
      () => (new Set([...seenA, ...seenB].map((r) => `${r.partition}:${r.offset}`)).size >= 800 ? true : undefined),
      {
        timeoutMs: 40000,
        what: 'all records while mixed',
      },
    );
    await a.close();
    await waitFor(() => (ownedB.size === 4 ? true : undefined), { timeoutMs: 40000, what: 'B owns all after A left' });
    await env.producer.fill(topic, 4, 100, 'c');
    await waitFor(() => (seenB.filter((r) => r.value!.toString().startsWith('c')).length >= 100 ? true : undefined), {
      timeoutMs: 40000,
      what: 'B consumes everything after the classic member left',
    });
    const all = new Set([...seenA, ...seenB].map((r) => `${r.partition}:${r.offset}`));
    assert.equal(all.size, 900, 'nothing lost across the upgrade');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
