// ctx.retryAfter(ms): a record is delivered again later without blocking anything — its partition
// waits (order kept), other partitions keep flowing on the same single worker, and nothing at or after
// it is committed meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv();

test('ctx.retryAfter redelivers a record later; its partition waits, the others flow', { timeout: 60000 }, async () => {
  const topic = uniqueName('retry');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 20); // 10 per partition
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  consumer.subscribe(topic);
  const p0: Array<[number, number]> = [];
  const p1: number[] = [];
  let attempts = 0;
  await consumer.run({
    eachMessage: (r, ctx) => {
      if (r.partition === 1) {
        p1.push(Date.now());
      } else {
        p0.push([r.offset, Date.now()]);
        if (r.offset === 3 && attempts++ < 2) {
          ctx.retryAfter(700);
          throw new Error('retried, not a failure');
        }
      }
      if (p0.length === 12 && p1.length === 10) setImmediate(() => consumer.close());
    },
    signal: AbortSignal.timeout(30000),
  });
  assert.deepEqual(
    p0.map(([o]) => o),
    [0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9],
  );
  const threes = p0.filter(([o]) => o === 3).map(([, t]) => t);
  assert.ok(threes[1]! - threes[0]! >= 650 && threes[2]! - threes[1]! >= 650, `waited: ${threes}`);
  assert.ok(p1.length === 10 && p1[9]! < threes[2]!, 'partition 1 was processed while partition 0 waited');
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    const committed = await admin.listGroupOffsets(groupId);
    assert.deepEqual(committed.map((o) => o.offset).sort(), [10, 10]);
  } finally {
    admin.close();
  }
});
