// What an application sees of its group membership: rebalance callbacks as Java calls them (after
// every completed rebalance, even with nothing added; with eager assignors a revocation before every
// rejoin, even with nothing owned), groupMetadata(), and a subscription to a topic that does not exist
// yet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { TopicPartition } from '../../src/consumer/topic-partition.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder(events: string[]) {
  const fmt = (ps: TopicPartition[]) => `[${ps.map((p) => p.partition).join(',')}]`;
  return {
    onPartitionsAssigned: (ps: TopicPartition[]) => void events.push(`assigned ${fmt(ps)}`),
    onPartitionsRevoked: (ps: TopicPartition[]) => void events.push(`revoked ${fmt(ps)}`),
    onPartitionsLost: (ps: TopicPartition[]) => void events.push(`lost ${fmt(ps)}`),
  };
}

/** Two members of a new group on a new topic, recording their callbacks; only `a` runs yet. */
async function twoMembers(partitions: number, extra: Partial<ConsumerOptions>) {
  const topic = uniqueName('ev');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, partitions);
  const opts = { brokers: env.kafka.bootstrap, groupId, heartbeatIntervalMs: 500, ...extra };
  const a = new Consumer(opts);
  const b = new Consumer(opts);
  const aEvents: string[] = [];
  const bEvents: string[] = [];
  a.subscribe(topic, recorder(aEvents));
  b.subscribe(topic, recorder(bEvents));
  const runs = [a.run({ eachMessage: () => {} })];
  return { a, b, aEvents, bEvents, runs };
}

test('eager (the default assignors): callbacks after every rebalance, with empty lists as Java', {
  timeout: 60000,
}, async () => {
  const { a, b, aEvents, bEvents, runs } = await twoMembers(1, {});
  try {
    await waitFor(() => aEvents.length === 1, { what: 'a joined' });
    // First join: no revocation (nothing was owned in a valid generation), then the assignment.
    assert.deepEqual(aEvents, ['assigned [0]']);
    runs.push(b.run({ eachMessage: () => {} }));
    await waitFor(() => bEvents.length >= 1 && aEvents.length >= 3, { what: 'the second rebalance completed' });
    await sleep(300);
    assert.deepEqual(aEvents.slice(0, 2), ['assigned [0]', 'revoked [0]'], `a: ${aEvents}`);
    const second = [aEvents[2], bEvents[0]].sort();
    // One member gets the partition, the other an empty assignment — and hears about it.
    assert.deepEqual(second, ['assigned [0]', 'assigned []'], `a: ${aEvents}; b: ${bEvents}`);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all(runs);
  }
  // Leaving is not a rebalance: only the member that owns the partition hears of a revocation.
  const closing = [...aEvents.slice(3), ...bEvents.slice(1)];
  assert.deepEqual(closing, ['revoked [0]'], `a: ${aEvents}; b: ${bEvents}`);
});

test('cooperative: assigned after every rebalance, revoked only for what moves', { timeout: 60000 }, async () => {
  const { a, b, aEvents, bEvents, runs } = await twoMembers(2, { assignors: ['cooperative-sticky'] });
  try {
    await waitFor(() => aEvents.length === 1, { what: 'a joined' });
    assert.deepEqual(aEvents, ['assigned [0,1]']);
    runs.push(b.run({ eachMessage: () => {} }));
    await waitFor(() => bEvents.some((e) => e !== 'assigned []'), { what: 'b got a partition' });
    await sleep(300);
    // b's first rebalance hands it nothing (the moving partition is revoked from a first, KIP-429),
    // the follow-up gives it the partition; a revokes one partition and keeps the other.
    assert.equal(bEvents[0], 'assigned []', `b: ${bEvents}`);
    assert.match(bEvents[1] ?? '', /^assigned \[[01]\]$/, `b: ${bEvents}`);
    assert.match(aEvents[1] ?? '', /^revoked \[[01]\]$/, `a: ${aEvents}`);
    assert.ok(
      aEvents.slice(2).every((e) => e === 'assigned []'),
      `a hears of every later rebalance: ${aEvents}`,
    );
    assert.ok(aEvents.length >= 3, `a: ${aEvents}`);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await Promise.all(runs);
  }
});

test('groupMetadata(): generation and member id of the current generation, for sendOffsetsToTransaction', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('ev');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 1);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, groupInstanceId: 'instance-1' });
  assert.deepEqual(consumer.groupMetadata(), {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: 'instance-1',
  });
  let assigned = false;
  consumer.subscribe(topic, { onPartitionsAssigned: () => void (assigned = true) });
  const run = consumer.run({ eachMessage: () => {} });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    await waitFor(() => assigned, { what: 'joined' });
    const meta = consumer.groupMetadata();
    assert.ok((meta.generationId ?? -1) >= 1, `generation ${meta.generationId}`);
    const [group] = await admin.describeGroups(groupId);
    assert.deepEqual(
      group!.members.map((m) => m.memberId),
      [meta.memberId],
    );
  } finally {
    admin.close();
    await consumer.close();
    await run;
  }
});

test('a subscription to a topic that does not exist yet waits for it, then consumes it', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('later');
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId: uniqueName('g'),
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 1000,
  });
  consumer.subscribe(topic);
  const seen: string[] = [];
  const run = consumer.run({ eachMessage: (r) => void seen.push(String(r.value)) });
  let failed: unknown;
  run.catch((err) => {
    failed = err;
  });
  try {
    await sleep(3000);
    assert.equal(failed, undefined, 'the consumer is still running');
    await env.producer.createTopic(topic, 2);
    await env.producer.send(topic, 0, [{ value: 'first' }]);
    await env.producer.send(topic, 1, [{ value: 'second' }]);
    await waitFor(() => seen.length === 2, { what: 'records of the new topic', timeoutMs: 30000 });
    assert.deepEqual(seen.sort(), ['first', 'second']);
  } finally {
    await consumer.close();
    await run;
  }
});

test('allowAutoCreateTopics: the subscription creates the topic where the broker allows it', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('auto');
  const groupId = uniqueName('g');
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, allowAutoCreateTopics: true });
  let assigned: TopicPartition[] = [];
  consumer.subscribe(topic, { onPartitionsAssigned: (ps) => void (assigned = ps.length ? ps : assigned) });
  const run = consumer.run({ eachMessage: () => {} });
  try {
    await waitFor(() => assigned.length > 0, { what: 'partitions of the auto-created topic', timeoutMs: 30000 });
    assert.equal(assigned[0]!.topic, topic);
  } finally {
    await consumer.close();
    await run;
  }
});

test('run() with an already aborted signal returns at once, without connecting', async () => {
  // Nothing listens on port 1: connecting would fail only after retries.
  const consumer = new Consumer({ brokers: '127.0.0.1:1', groupId: uniqueName('g') });
  consumer.subscribe('t');
  const t0 = Date.now();
  await consumer.run({ eachMessage: () => {}, signal: AbortSignal.abort() });
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
});
