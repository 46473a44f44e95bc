// Must-show (issue 16): release → redelivery with deliveryCount incremented (to the same or another
// member); reject ends a record; at the delivery count limit a record is archived, not delivered again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();

test('release redelivers with deliveryCount + 1; reject ends a record; the delivery count limit archives it', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('share-rd');
  const groupId = uniqueName('sg-rd');
  await env.producer.createTopic(topic, 1);
  await env.producer.send(topic, 0, [{ value: 'poison' }, { value: 'bad' }, { value: 'good' }]);
  // share.delivery.count.limit: the broker's floor is 2 (group.share.min.delivery.count.limit).
  await shareGroupConfig(env.kafka.bootstrap, groupId, { 'share.delivery.count.limit': 2 });
  const m = shareMember(
    env.kafka.bootstrap,
    groupId,
    topic,
    (r, { consumer }) => {
      const v = text(r);
      if (v === 'poison') consumer.acknowledge(r, 'release');
      else if (v === 'bad') consumer.acknowledge(r, 'reject');
      else consumer.acknowledge(r, 'accept');
    },
    { acknowledgementMode: 'explicit' },
  );
  try {
    await waitFor(() => m.seen.filter((r) => text(r) === 'poison').length >= 2 || undefined, {
      timeoutMs: 60000,
      what: 'poison delivered twice',
    });
    // A marker after them: once it is through, anything still deliverable before it would have been.
    await env.producer.send(topic, 0, [{ value: 'marker' }]);
    await waitFor(() => m.seen.some((r) => text(r) === 'marker') || undefined, { timeoutMs: 30000, what: 'marker' });
    await new Promise((r) => setTimeout(r, 1500));
    const deliveries = (v: string) => m.seen.filter((r) => text(r) === v).map((r) => r.deliveryCount);
    assert.deepEqual(deliveries('poison'), [1, 2], 'released once, redelivered with deliveryCount 2, then archived');
    assert.deepEqual(deliveries('bad'), [1], 'rejected: never delivered again');
    assert.deepEqual(deliveries('good'), [1]);
    assert.deepEqual(deliveries('marker'), [1]);
  } finally {
    await m.consumer.close();
  }
  assert.ok(
    m.acks.every((r) => r.error === null),
    'every acknowledgement applied',
  );
});

test('implicit mode: a handler that throws releases its record; it comes back (deliveryCount 2) to this or another member', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('share-impl');
  const groupId = uniqueName('sg-impl');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 200, 'r');
  await shareGroupConfig(env.kafka.bootstrap, groupId);
  const failedOnce = new Set<string>();
  // Each member fails every record the first time anyone sees it (even offsets only).
  const handler = (r: import('../../src/share/types.js').ShareRecord) => {
    const v = text(r);
    if (r.offset % 2 === 0 && !failedOnce.has(v)) {
      failedOnce.add(v);
      throw new Error(`first attempt at ${v} fails`);
    }
  };
  const quiet = { logger: { debug() {}, info() {}, warn() {}, error() {} } };
  const a = shareMember(env.kafka.bootstrap, groupId, topic, handler, { maxPollRecords: 20, ...quiet });
  const b = shareMember(env.kafka.bootstrap, groupId, topic, handler, { maxPollRecords: 20, ...quiet });
  const done = () => {
    const ok = new Set<string>();
    for (const m of [a, b]) for (const r of m.seen) if (r.offset % 2 === 1 || r.deliveryCount >= 2) ok.add(text(r));
    return ok.size;
  };
  try {
    await waitFor(() => done() >= 200 || undefined, { timeoutMs: 90000, what: 'all 200 processed' });
  } finally {
    await Promise.all([a.consumer.close(), b.consumer.close()]);
  }
  const all = [...a.seen, ...b.seen];
  for (let i = 0; i < 200; i += 2) {
    const counts = all
      .filter((r) => text(r) === `r-${i}`)
      .map((r) => r.deliveryCount)
      .sort();
    assert.deepEqual(counts, [1, 2], `r-${i}: failed once, redelivered once with deliveryCount 2`);
  }
  for (let i = 1; i < 200; i += 2) {
    assert.equal(all.filter((r) => text(r) === `r-${i}`).length, 1, `r-${i} delivered once`);
  }
});
