// close({ timeoutMs }) finishes within its timeout (plus a small slack) on every path: a handler
// that ignores its signal, a handler or an iterator loop body that calls close() itself, a close in
// the middle of a rebalance, and a close with the broker gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { TestProducer } from '../helpers/produce.js';
import { startKafka, uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What "within its timeout" allows on a loaded 2-core machine: bounds a hang, not a speed. */
const SLACK_MS = 5000;

async function topicWith(records: number, partitions = 1) {
  const topic = uniqueName('close');
  await env.producer.createTopic(topic, partitions);
  await env.producer.fill(topic, partitions, records);
  return topic;
}

/** A consumer of a new group, subscribed to a new topic of `records` records. */
async function subscribed(records: number) {
  const topic = await topicWith(records);
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId: uniqueName('g'),
    autoOffsetReset: 'earliest',
  });
  consumer.subscribe(topic);
  return consumer;
}

async function timed(what: string, timeoutMs: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  await fn();
  const took = Date.now() - t0;
  console.log(`# close ${what}: ${took} ms (timeoutMs ${timeoutMs})`);
  assert.ok(took <= timeoutMs + SLACK_MS, `${what}: close took ${took} ms, timeoutMs ${timeoutMs}`);
  return took;
}

test('a handler that ignores its signal: close waits timeoutMs, not the rebalance timeout', {
  timeout: 60000,
}, async () => {
  const consumer = await subscribed(10);
  let inHandler = false;
  const done = consumer.run({
    eachMessage: async () => {
      inHandler = true;
      await sleep(20000);
    },
  });
  await waitFor(() => inHandler, { what: 'the handler started' });
  await timed('with a handler still running', 1500, () => consumer.close({ timeoutMs: 1500 }));
  await done;
});

test('a handler that calls close() after its own awaits does not wait for itself', { timeout: 60000 }, async () => {
  const consumer = await subscribed(10);
  let closeTook = -1;
  await consumer.run({
    eachMessage: async (r) => {
      await sleep(5);
      await Promise.resolve();
      if (r.offset === 3) {
        const t0 = Date.now();
        await consumer.close(); // default timeoutMs 30000
        closeTook = Date.now() - t0;
      }
    },
  });
  console.log(`# close from inside a handler: ${closeTook} ms (timeoutMs 30000)`);
  assert.ok(closeTook >= 0 && closeTook < 5000, `close() from the handler took ${closeTook} ms`);
});

test('an iterator loop body that calls close() does not wait for itself', { timeout: 60000 }, async () => {
  const consumer = await subscribed(10);
  let closeTook = -1;
  for await (const r of consumer) {
    if (r.offset === 3) {
      const t0 = Date.now();
      await consumer.close();
      closeTook = Date.now() - t0;
    }
  }
  console.log(`# close from an iterator loop body: ${closeTook} ms (timeoutMs 30000)`);
  assert.ok(closeTook >= 0 && closeTook < 5000, `close() from the loop body took ${closeTook} ms`);
});

test('close in the middle of a rebalance (JoinGroup parked at the coordinator)', { timeout: 90000 }, async () => {
  const topic = await topicWith(10, 2);
  const groupId = uniqueName('g');
  const opts = { brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' as const };
  const a = new Consumer(opts);
  const b = new Consumer(opts);
  const c = new Consumer(opts);
  let aRevoked = 0;
  let bAssigned = 0;
  let bRevoking = false;
  a.subscribe(topic, { onPartitionsRevoked: () => void aRevoked++ });
  b.subscribe(topic, {
    onPartitionsAssigned: () => void bAssigned++,
    // b holds the next rebalance up: the coordinator parks everyone else's JoinGroup until b rejoins.
    onPartitionsRevoked: async () => {
      bRevoking = true;
      await sleep(15000);
    },
  });
  const runs = [a.run({ eachMessage: () => {} }), b.run({ eachMessage: () => {} })];
  try {
    await waitFor(() => bAssigned > 0, { what: 'a and b joined', timeoutMs: 30000 });
    c.subscribe(topic);
    runs.push(c.run({ eachMessage: () => {} }));
    await waitFor(() => bRevoking && aRevoked > 0, { what: 'the rebalance started', timeoutMs: 30000 });
    await sleep(500); // a's JoinGroup is now parked, waiting for b
    await timed('mid-rebalance', 2000, () => a.close({ timeoutMs: 2000 }));
  } finally {
    await Promise.all([b.close({ timeoutMs: 2000 }), c.close({ timeoutMs: 2000 })]);
    await Promise.allSettled(runs);
  }
});

test('close with the broker gone', { timeout: 120000 }, async () => {
  const kafka = await startKafka();
  const producer = new TestProducer(kafka.bootstrap);
  try {
    const topic = uniqueName('close');
    await producer.createTopic(topic, 1);
    await producer.fill(topic, 1, 100);
    const consumer = new Consumer({ brokers: kafka.bootstrap, groupId: uniqueName('g'), autoOffsetReset: 'earliest' });
    consumer.subscribe(topic);
    let seen = 0;
    const done = consumer.run({ eachMessage: () => void seen++ }).catch(() => {});
    await waitFor(() => seen === 100, { what: 'records consumed' });
    producer.close();
    await kafka.kill();
    await timed('with the broker down', 3000, () => consumer.close({ timeoutMs: 3000 }));
    await done;
  } finally {
    producer.close();
    await kafka.close();
  }
});

test('close() while run() is still starting: run() resolves', { timeout: 60000 }, async () => {
  const topic = await topicWith(1);
  for (let i = 0; i < 20; i++) {
    const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId: uniqueName('g') });
    consumer.subscribe(topic);
    const run = consumer.run({ eachMessage: () => {} });
    await sleep(i * 3);
    await consumer.close({ timeoutMs: 5000 });
    await run; // must not reject with the connection or abort errors of the interrupted start-up
  }
});
