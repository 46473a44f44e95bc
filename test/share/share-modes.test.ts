// Explicit and implicit acknowledgement, commit() results, eachBatch, the async iterator, and a
// graceful close that releases held records at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IllegalStateError } from '../../src/consumer/errors.js';
import type { ShareRecord } from '../../src/share/types.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareConsumer, shareGroupConfig, shareMember, text } from './helpers.js';

const env = testEnv();

async function setup(records: number, partitions = 1, configs: Record<string, number> = {}) {
  const topic = uniqueName('share-m');
  const groupId = uniqueName('sg-m');
  await env.producer.createTopic(topic, partitions);
  if (records) await env.producer.fill(topic, partitions, records, 'r');
  await shareGroupConfig(env.kafka.bootstrap, groupId, configs);
  return { topic, groupId };
}

test('explicit mode: acknowledgements wait for commit(), which returns the outcome per partition', {
  timeout: 90000,
}, async () => {
  const { topic, groupId } = await setup(40, 2);
  const c = shareConsumer(env.kafka.bootstrap, groupId, { acknowledgementMode: 'explicit' });
  c.subscribe(topic);
  const held: ShareRecord[] = [];
  let results: Awaited<ReturnType<typeof c.commit>> = [];
  let committed = false;
  const running = c.run({
    eachBatch: async (batch, ctx) => {
      for (const r of batch.records) {
        held.push(r);
        ctx.acknowledge(r, r.offset === 0 ? 'reject' : 'accept');
      }
      if (held.length >= 40 && !committed) {
        committed = true;
        results = await c.commit();
      }
    },
  });
  await waitFor(() => committed || undefined, { timeoutMs: 60000, what: 'all 40 acknowledged and committed' });
  await c.close();
  await running;
  // What commit() sent (the rest rode on ShareFetch before): each partition's result, no errors.
  assert.ok(results.length > 0, 'commit() had acknowledgements to send');
  for (const r of results) {
    assert.equal(r.error, null);
    assert.ok(r.offsets.length > 0);
    assert.ok(r.topic === topic && (r.partition === 0 || r.partition === 1));
  }
  assert.deepEqual(await c.commit().catch((e) => e.code), 'ILLEGAL_STATE', 'commit after close is an error');

  // Nothing is left for the group: a new member sees only new records.
  await env.producer.send(topic, 0, [{ value: 'after' }]);
  const d = shareConsumer(env.kafka.bootstrap, groupId);
  d.subscribe(topic);
  for await (const r of d) {
    assert.equal(text(r), 'after');
    break;
  }
});

test('explicit mode: a handler returning with its record unacknowledged fails run() with IllegalStateError; the record is released', {
  timeout: 90000,
}, async () => {
  const { topic, groupId } = await setup(1);
  const c = shareConsumer(env.kafka.bootstrap, groupId, { acknowledgementMode: 'explicit' });
  c.subscribe(topic);
  await assert.rejects(
    c.run({ eachMessage: () => {} }),
    (err) => err instanceof IllegalStateError && /without acknowledging 1 record/.test(err.message),
  );
  // Released, so it is delivered again (deliveryCount 2) at once, not after the lock timeout.
  const again = shareConsumer(env.kafka.bootstrap, groupId);
  again.subscribe(topic);
  const started = Date.now();
  for await (const r of again) {
    assert.equal(r.deliveryCount, 2);
    break;
  }
  assert.ok(Date.now() - started < 20000, 'well before the 30 s lock timeout');
});

test('the async iterator accepts each record when the next is asked for; explicit mode insists on an acknowledgement', {
  timeout: 90000,
}, async () => {
  const { topic, groupId } = await setup(5);
  const c = shareConsumer(env.kafka.bootstrap, groupId);
  c.subscribe(topic);
  const got: string[] = [];
  for await (const r of c) {
    got.push(text(r));
    if (got.length === 5) break;
  }
  assert.deepEqual(got, ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);

  await env.producer.send(topic, 0, [{ value: 'x1' }, { value: 'x2' }]);
  const e = shareConsumer(env.kafka.bootstrap, groupId, { acknowledgementMode: 'explicit' });
  e.subscribe(topic);
  const it = e[Symbol.asyncIterator]();
  // Leaving a loop does not accept the record in hand (as with the Consumer's iterator): r-4 was
  // released, so it comes first, a second time; r-0…r-3 were accepted.
  const r4 = await it.next();
  assert.equal(text(r4.value as ShareRecord), 'r-4');
  assert.equal((r4.value as ShareRecord).deliveryCount, 2);
  await assert.rejects(it.next(), IllegalStateError);
  e.acknowledge(r4.value as ShareRecord);
  const first = await it.next();
  assert.equal(text(first.value as ShareRecord), 'x1');
  e.acknowledge(first.value as ShareRecord);
  const second = await it.next();
  assert.equal(text(second.value as ShareRecord), 'x2');
  e.acknowledge(second.value as ShareRecord, 'accept');
  await it.return?.();
});

test('graceful close releases the records a member holds at once: another member gets them long before the lock timeout', {
  timeout: 90000,
}, async () => {
  const { topic, groupId } = await setup(50);
  const holder = shareConsumer(env.kafka.bootstrap, groupId);
  holder.subscribe(topic);
  let holding = 0;
  let release: () => void = () => {};
  const blocked = new Promise<void>((r) => {
    release = r;
  });
  const running = holder.run({
    eachBatch: async (b, ctx) => {
      holding = b.records.length;
      // Stuck until close aborts the signal.
      await Promise.race([blocked, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
      throw new Error('interrupted');
    },
  });
  await waitFor(() => holding || undefined, { timeoutMs: 60000, what: 'the holder has the records' });
  const closedAt = Date.now();
  await holder.close({ timeoutMs: 2000 });
  release();
  await running;
  const other = shareMember(env.kafka.bootstrap, groupId, topic);
  try {
    await waitFor(() => other.seen.length >= 50 || undefined, {
      timeoutMs: 20000,
      what: 'the other member gets all 50',
    });
    const tookMs = Date.now() - closedAt;
    console.log(`released records redelivered ${tookMs} ms after close (lock timeout 30000 ms)`);
    assert.ok(tookMs < 15000, `redelivered in ${tookMs} ms, well before the 30 s lock timeout`);
    assert.ok(
      other.seen.every((r) => r.deliveryCount === 2),
      'each delivered a second time',
    );
  } finally {
    await other.consumer.close();
  }
});
