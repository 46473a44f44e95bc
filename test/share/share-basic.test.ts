// ShareConsumer against the real Kafka 4.x broker: join, fetch, accept; acknowledgements stick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareConsumer, shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();

test('share consumer: joins, receives every record once with deliveryCount 1, accepts them; a later member gets only new records', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('share');
  const groupId = uniqueName('sg');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 300, 'first');
  await shareGroupConfig(env.kafka.bootstrap, groupId);

  const a = shareMember(env.kafka.bootstrap, groupId, topic);
  await waitFor(() => a.seen.length >= 300 || undefined, { timeoutMs: 60000, what: 'all 300 records' });
  await a.consumer.close();
  await a.running;
  assert.equal(a.seen.length, 300);
  assert.equal(new Set(a.seen.map(text)).size, 300);
  assert.ok(a.seen.every((r) => r.deliveryCount === 1));
  assert.ok(
    a.acks.every((r) => r.error === null),
    'every acknowledgement applied',
  );

  await env.producer.fill(topic, 2, 20, 'second');
  const b = shareConsumer(env.kafka.bootstrap, groupId);
  b.subscribe(topic);
  const got: string[] = [];
  for await (const r of b) {
    got.push(text(r));
    if (got.length >= 20) break;
  }
  assert.equal(got.length, 20);
  assert.ok(
    got.every((v) => v.startsWith('second')),
    `only new records: ${got.filter((v) => !v.startsWith('second'))}`,
  );
});

test('share consumer: subscribed to a topic that does not exist yet, it waits (with a warning) and consumes once it does', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('share-late');
  const groupId = uniqueName('sg-late');
  await shareGroupConfig(env.kafka.bootstrap, groupId);
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (msg: string) => void warnings.push(msg) };
  const m = shareMember(env.kafka.bootstrap, groupId, topic, () => {}, { logger });
  try {
    await waitFor(() => warnings.some((w) => /does not exist/.test(w)) || undefined, { what: 'a warning' });
    await env.producer.createTopic(topic, 1);
    await env.producer.fill(topic, 1, 10, 'late');
    await waitFor(() => m.seen.length >= 10 || undefined, { timeoutMs: 60000, what: 'the 10 records' });
  } finally {
    await m.consumer.close();
  }
  assert.equal(new Set(m.seen.map(text)).size, 10);
});
