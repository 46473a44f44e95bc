// One owner per record (DESIGN invariant 7), against the real broker: a revoked partition's handler
// sees its signal abort; when it outlives the revocation its result is never committed; and when the
// partition comes back to the same consumer, no second handler starts before the old one returned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a partition assigned back while its old handler still runs gets no second handler; the old one is aborted and not committed', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('own');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 20);
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    // The revocation waits at most this long for the handler, then lets the partition go.
    rebalanceTimeoutMs: 500,
    autoCommitIntervalMs: 100,
  });
  consumer.assign([{ topic, partition: 0 }]);
  const log: string[] = [];
  let active = 0;
  let maxActive = 0;
  let zombieSawAbort: boolean | undefined;
  let zombieDone = 0;
  let secondFiveAt = 0;
  let stuck = true;
  const done = consumer.run({
    partitionsConsumedConcurrently: 4,
    eachMessage: async (r, ctx) => {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        log.push(`start ${r.offset}`);
        if (r.offset === 5 && stuck) {
          stuck = false;
          // Ignores its signal, like a handler blocked in a call that cannot be cancelled. Long enough
          // to still be running when the test assigns the partition back, even on a loaded machine.
          await sleep(6000);
          zombieSawAbort = ctx.signal.aborted;
          zombieDone = Date.now();
        } else if (r.offset === 5) {
          secondFiveAt = Date.now();
        }
        log.push(`end ${r.offset}`);
        if (r.offset === 19) setImmediate(() => consumer.close());
      } finally {
        active--;
      }
    },
  });
  await waitFor(() => log.includes('start 5'), { what: 'the slow handler started' });
  consumer.assign([]); // revoke: times out after 500 ms with the handler still running
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    // The revocation gives up on the handler after 500 ms and commits: give it at least 900 ms (as on
    // an idle machine), and on a loaded one poll until its commit is there instead of guessing longer.
    await sleep(900);
    const offset = await waitFor(
      async () => {
        const committed = await admin.listGroupOffsets(groupId);
        const o = committed.find((c) => c.topic === topic && c.partition === 0)?.offset;
        return o !== undefined && o >= 5 ? o : undefined;
      },
      { what: "the revocation's commit", timeoutMs: 10_000 },
    );
    assert.equal(offset, 5, 'the revocation committed what finished (0-4), not the record in flight');
    consumer.assign([{ topic, partition: 0 }]); // back to us while the old handler still runs
    await done;
    assert.equal(maxActive, 1, `never two handlers on the partition at once: ${log.join(', ')}`);
    assert.equal(zombieSawAbort, true, 'the revoked handler saw its signal aborted');
    assert.ok(secondFiveAt >= zombieDone, 'offset 5 was handed to the new owner only after the old handler returned');
    const after = await admin.listGroupOffsets(groupId);
    assert.equal(
      after.find((o) => o.topic === topic && o.partition === 0)?.offset,
      20,
      'everything committed at close',
    );
  } finally {
    admin.close();
  }
});

test('ctx.signal aborts when the partition is revoked, and a handler that gives up is not an error', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('own');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 5);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, autoOffsetReset: 'earliest' });
  consumer.assign([
    { topic, partition: 0 },
    { topic, partition: 1 },
  ]);
  let aborted = 0;
  let reason = '';
  let started = false;
  const done = consumer.run({
    partitionsConsumedConcurrently: 2,
    eachMessage: async (r, ctx) => {
      if (r.partition === 1) return;
      started = true;
      // Waits until revoked, then throws the abort reason, as fetch() or a timer would.
      await new Promise<void>((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted++;
          reason = String((ctx.signal.reason as Error)?.message);
          reject(ctx.signal.reason);
        });
      });
    },
  });
  await waitFor(() => started, { what: 'the partition-0 handler started' });
  consumer.assign([{ topic, partition: 1 }]);
  await waitFor(() => aborted === 1, { what: 'the handler saw the abort' });
  assert.match(reason, /-0 was assign\(\) changed/);
  await sleep(200);
  await consumer.close();
  await done; // resolves: the aborted handler's error is not a HandlerError
  assert.equal(aborted, 1);
});
