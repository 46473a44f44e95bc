// withRetry against the real broker: backoff between attempts, a backoff longer than the session
// timeout costs the membership nothing, and a waiting retry ends at once when the consumer closes,
// leaving the record uncommitted for the next owner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { withRetry } from '../../src/processing/with-retry.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { committedOffsets } from './fixtures/topics.js';

const env = testEnv();

test('a backoff longer than the session timeout: the partition waits, the others flow, the membership stays', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('slow');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 20);
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 1000,
    rebalanceTimeoutMs: 6000,
  });
  // Rebalances before the test closes the consumer (close() revokes too).
  const rebalances: string[] = [];
  let closing = false;
  consumer.subscribe(topic, {
    onPartitionsRevoked: (ps) => closing || rebalances.push(`revoked ${ps.length}`),
    onPartitionsLost: (ps) => rebalances.push(`lost ${ps.length}`),
  });
  const attempts: number[] = [];
  const p0: number[] = [];
  let p1Done = 0;
  let failures = 0;
  await consumer.run({
    eachMessage: withRetry({ retries: 2, minDelayMs: 4000, factor: 2, jitter: 0 })((r) => {
      if (r.partition === 0 && r.offset === 2) {
        attempts.push(Date.now());
        if (failures++ < 2) throw new Error('the database is down');
      }
      if (r.partition === 0) p0.push(r.offset);
      else if (++p1Done === 10) p1Done = Date.now();
      if (p0.length === 10 && p1Done > 10 && !closing) {
        closing = true;
        setImmediate(() => void consumer.close());
      }
    }),
    signal: AbortSignal.timeout(45000),
  });
  assert.deepEqual(p0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'partition 0 in order');
  assert.equal(attempts.length, 3);
  const [a, b, c] = attempts as [number, number, number];
  assert.ok(b - a >= 4000 && b - a < 6000, `first backoff ${b - a} ms (4000 asked)`);
  assert.ok(c - b >= 8000 && c - b < 10000, `second backoff ${c - b} ms (8000 asked)`);
  assert.ok(p1Done < b, 'partition 1 was done while partition 0 waited');
  assert.deepEqual(rebalances, [], 'no rebalance: 12 s of backoff with a 6 s session timeout');
  const committed = await committedOffsets(env.kafka.bootstrap, groupId);
  assert.deepEqual([committed.get(`${topic}/0`), committed.get(`${topic}/1`)], [10, 10]);
});

test('close() during a long backoff returns at once; the waiting record is left for the next owner', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('wait');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 10);
  const first = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  first.subscribe(topic);
  let waiting: (() => void) | undefined;
  const isWaiting = new Promise<void>((resolve) => (waiting = resolve));
  const run = first.run({
    eachMessage: withRetry({ retries: 5, minDelayMs: 60000, maxDelayMs: 600000, jitter: 0 })((r) => {
      if (r.offset === 4) {
        setTimeout(waiting!, 200);
        throw new Error('down for a while');
      }
    }),
  });
  await isWaiting;
  const t0 = Date.now();
  await first.close();
  await run;
  const closeMs = Date.now() - t0;
  assert.ok(closeMs < 3000, `close took ${closeMs} ms`);
  const committed = await committedOffsets(env.kafka.bootstrap, groupId);
  assert.equal(committed.get(`${topic}/0`), 4, 'committed up to the waiting record, not past it');
  const second = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  second.subscribe(topic);
  const seen: number[] = [];
  await second.run({
    eachMessage: (r) => {
      seen.push(r.offset);
      if (r.offset === 9) setImmediate(() => void second.close());
    },
    signal: AbortSignal.timeout(30000),
  });
  assert.deepEqual(seen, [4, 5, 6, 7, 8, 9]);
  console.log(`# close() during a 60 s backoff: ${closeMs} ms`);
});
