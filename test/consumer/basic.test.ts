import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { consumeUntil, testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv();

test('assign(): reads every record of every partition, in order per partition', async () => {
  const topic = uniqueName('assign');
  await env.producer.createTopic(topic, 3);
  await env.producer.fill(topic, 3, 3000);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, autoOffsetReset: 'earliest' });
  consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
  const seen = await consumeUntil(consumer, (s) => s.length >= 3000);
  assert.equal(seen.length, 3000);
  for (const p of [0, 1, 2]) {
    const offsets = seen.filter((r) => r.partition === p).map((r) => r.offset);
    assert.deepEqual(
      offsets,
      Array.from({ length: 1000 }, (_, i) => i),
    );
  }
  assert.equal(new Set(seen.map((r) => r.value!.toString())).size, 3000);
});

test('subscribe(): a group consumes, commits, and a restart resumes at the committed offset', async () => {
  const topic = uniqueName('group');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 2000, 'first');
  const c1 = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 500,
    sessionTimeoutMs: 10000,
  });
  c1.subscribe(topic);
  const first = await consumeUntil(c1, (s) => s.length >= 2000);
  assert.equal(first.length, 2000);

  await env.producer.fill(topic, 4, 400, 'second');
  const c2 = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 500,
    sessionTimeoutMs: 10000,
  });
  c2.subscribe(topic);
  const second = await consumeUntil(c2, (s) => s.length >= 400, 20000);
  assert.equal(second.length, 400);
  assert.ok(
    second.every((r) => r.value!.toString().startsWith('second')),
    'resumed after what the first consumer committed',
  );
});

test('the async iterator yields records and commits only finished ones', async () => {
  const topic = uniqueName('iter');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 100);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  consumer.subscribe([topic]);
  let n = 0;
  for await (const record of consumer) {
    assert.equal(record.offset, n);
    n++;
    if (n === 50) break;
  }
  await consumer.close();
  const check = new Consumer({ brokers: env.kafka.bootstrap, groupId });
  const committed = await check.committed([{ topic, partition: 0 }]);
  await check.close();
  // 49 records finished (the 50th was in hand when the loop broke).
  assert.equal([...committed.values()][0]?.offset, 49);
});
