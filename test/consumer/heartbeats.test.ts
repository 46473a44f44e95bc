// Heartbeats run beside the rebalance work (as Java's heartbeat thread does): a rebalance listener
// slower than the session timeout does not cost the member its partitions — up to the rebalance
// timeout (`max.poll.interval.ms`), after which the member leaves so the group can go on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { TopicPartition } from '../../src/consumer/topic-partition.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a rebalance listener three times slower than the session timeout keeps the membership', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('hb');
  await env.producer.createTopic(topic, 2);
  const events: string[] = [];
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId: uniqueName('g'),
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 60000,
  });
  let generation = -1;
  consumer.subscribe(topic, {
    onPartitionsAssigned: async (ps: TopicPartition[]) => {
      events.push(`assigned ${ps.length}`);
      if (events.length > 1) return;
      generation = consumer.groupMetadata().generationId ?? -1;
      await sleep(18000);
    },
    onPartitionsLost: (ps) => void events.push(`lost ${ps.length}`),
    onPartitionsRevoked: (ps) => void events.push(`revoked ${ps.length}`),
  });
  const run = consumer.run({ eachMessage: () => {} });
  try {
    await waitFor(() => events.length > 0, { what: 'joined' });
    await sleep(20000);
    assert.deepEqual(events, ['assigned 2'], 'no loss, no rebalance');
    assert.equal(consumer.groupMetadata().generationId, generation, 'still the same generation');
    assert.equal(consumer.assignment().length, 2);
  } finally {
    await consumer.close();
    await run;
  }
});

test('rebalance work longer than the rebalance timeout: the member leaves, then rejoins', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('hb');
  await env.producer.createTopic(topic, 1);
  const events: string[] = [];
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId: uniqueName('g'),
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 3000,
  });
  consumer.subscribe(topic, {
    onPartitionsAssigned: async (ps: TopicPartition[]) => {
      events.push(`assigned ${ps.length}`);
      if (events.length === 1) await sleep(6000);
    },
    onPartitionsLost: (ps) => void events.push(`lost ${ps.length}`),
    onPartitionsRevoked: (ps) => void events.push(`revoked ${ps.length}`),
  });
  const run = consumer.run({ eachMessage: () => {} });
  try {
    await waitFor(() => events.length >= 3, { what: 'the member rejoined', timeoutMs: 30000 });
    assert.deepEqual(events.slice(0, 3), ['assigned 1', 'lost 1', 'assigned 1']);
  } finally {
    await consumer.close();
    await run;
  }
});
