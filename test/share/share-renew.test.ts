// Must-show (issue 16): a handler slower than the acquisition lock keeps its record by renewing it
// (KIP-1222, Kafka 4.2+); the record is not redelivered to another member.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();
const LOCK_MS = 2000;

test('renew: a handler taking 3x the lock duration keeps its record; nobody else gets it', {
  timeout: 120000,
}, async () => {
  const topic = uniqueName('share-renew');
  const groupId = uniqueName('sg-renew');
  await env.producer.createTopic(topic, 1);
  await shareGroupConfig(env.kafka.bootstrap, groupId, { 'share.record.lock.duration.ms': LOCK_MS });
  let slowStarted = 0;
  let slowDone = 0;
  const slow = shareMember(
    env.kafka.bootstrap,
    groupId,
    topic,
    async (r, { consumer }) => {
      slowStarted = Date.now();
      // Work for 3 lock durations, renewing every half lock.
      for (let i = 0; i < 6; i++) {
        await new Promise((res) => setTimeout(res, LOCK_MS / 2));
        consumer.acknowledge(r, 'renew');
      }
      consumer.acknowledge(r, 'accept');
      slowDone = Date.now();
    },
    { acknowledgementMode: 'explicit', maxPollRecords: 1, shareAcquireMode: 'record_limit' },
  );
  await waitFor(() => slow.consumer.assignment().length === 1 || undefined, {
    timeoutMs: 60000,
    what: 'slow assigned',
  });
  await env.producer.send(topic, 0, [{ value: 'slow-work' }]);
  await waitFor(() => slowStarted || undefined, { timeoutMs: 30000, what: 'slow member got the record' });
  // Another member ready to take the record the moment its lock lapses.
  const other = shareMember(env.kafka.bootstrap, groupId, topic);
  try {
    await waitFor(() => slowDone || undefined, { timeoutMs: 60000, what: 'slow handler finished' });
    assert.ok(slowDone - slowStarted >= 3 * LOCK_MS - 100, 'the handler outlived the lock duration');
    await env.producer.send(topic, 0, [{ value: 'marker' }]);
    await waitFor(() => [...slow.seen, ...other.seen].some((r) => text(r) === 'marker') || undefined, {
      timeoutMs: 30000,
      what: 'marker',
    });
    await new Promise((r) => setTimeout(r, LOCK_MS));
    assert.equal(other.seen.filter((r) => text(r) === 'slow-work').length, 0, 'not redelivered to the other member');
    assert.deepEqual(
      slow.seen.filter((r) => text(r) === 'slow-work').map((r) => r.deliveryCount),
      [1],
      'delivered once',
    );
    const errors = slow.acks.filter((r) => r.error);
    assert.deepEqual(errors, [], 'every renew and the accept applied');
  } finally {
    await Promise.all([slow.consumer.close(), other.consumer.close()]);
  }
});
