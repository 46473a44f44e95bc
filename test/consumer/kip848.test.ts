// KIP-848 (`groupProtocol: 'consumer'`) against the real Kafka 4.x broker: the broker assigns
// partitions, members reconcile incrementally, the member epoch is the commit identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { consumeUntil, testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();

const kip848 = {
  groupProtocol: 'consumer',
  autoOffsetReset: 'earliest',
  autoCommitIntervalMs: 500,
  rebalanceTimeoutMs: 20000,
} satisfies Partial<ConsumerOptions>;

/** A member that records what it gets; `owned()` is what it holds after its listeners ran. */
function member(groupId: string, topic: string | RegExp, extra: Partial<ConsumerOptions> = {}) {
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848, ...extra });
  const records: ConsumerRecord[] = [];
  const events: string[] = [];
  let owned = new Set<string>();
  consumer.subscribe(topic, {
    onPartitionsAssigned: (ps) => {
      events.push(`assigned ${ps.map((p) => p.partition)}`);
      for (const p of ps) owned.add(`${p.topic}:${p.partition}`);
    },
    onPartitionsRevoked: (ps) => {
      events.push(`revoked ${ps.map((p) => p.partition)}`);
      owned = new Set([...owned].filter((k) => !ps.some((p) => `${p.topic}:${p.partition}` === k)));
    },
    onPartitionsLost: (ps) => {
      events.push(`lost ${ps.map((p) => p.partition)}`);
      owned = new Set([...owned].filter((k) => !ps.some((p) => `${p.topic}:${p.partition}` === k)));
    },
  });
  const running = consumer.run({ eachMessage: (r) => void records.push(r) });
  running.catch(() => {});
  return { consumer, records, events, running, owned: () => [...owned].sort() };
}

test('consumer protocol: a group joins, consumes everything, commits, and a restart resumes', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('k848');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 2000, 'first');
  const c1 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  c1.subscribe(topic);
  const first = await consumeUntil(c1, (s) => s.length >= 2000, 60000);
  assert.equal(first.length, 2000);
  assert.equal(new Set(first.map((r) => `${r.partition}:${r.offset}`)).size, 2000);

  await env.producer.fill(topic, 4, 400, 'second');
  const c2 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  c2.subscribe(topic);
  const second = await consumeUntil(c2, (s) => s.length >= 400, 60000);
  assert.equal(second.length, 400);
  assert.ok(
    second.every((r) => r.value!.toString().startsWith('second')),
    'resumed after what the first consumer committed with its member epoch',
  );
});
