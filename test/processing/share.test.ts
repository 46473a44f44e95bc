// withRetry and withDeadLetter on a ShareConsumer against the real broker: a retry is a release the
// broker answers with a redelivery (deliveryCount + 1), a record given up on is rejected — copied to
// the dead-letter topic first when withDeadLetter is outside — and never delivered again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import type { Logger } from '../../src/logger.js';
import { silentLogger } from '../../src/logger.js';
import { withDeadLetter } from '../../src/processing/dead-letter.js';
import { readDeadLetter } from '../../src/processing/headers.js';
import { withRetry } from '../../src/processing/with-retry.js';
import { Producer } from '../../src/producer/producer.js';
import type { ShareConsumer } from '../../src/share/share-consumer.js';
import type { ShareHandlerContext, ShareRecord } from '../../src/share/types.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { shareConsumer, shareGroupConfig, text } from '../share/helpers.js';

const env = testEnv();

/** A topic of one partition holding `count` records `v-0` … `v-<count-1>`. */
async function source(count: number): Promise<string> {
  const topic = uniqueName('share-src');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, count, 'v');
  return topic;
}

const idOf = (r: ShareRecord) => Number(text(r).split('-')[1]);

/** Warnings a consumer logs, kept for assertions. */
function warnings(): { logger: Logger; seen: string[] } {
  const seen: string[] = [];
  const note = (message: string, fields?: Record<string, unknown>) =>
    seen.push(`${message} ${fields?.error instanceof Error ? fields.error.message : ''}`);
  return { logger: { ...silentLogger, warn: note, error: note }, seen };
}

type Handler = (r: ShareRecord, ctx: ShareHandlerContext) => unknown;

/** Runs share members with `handler` (or member i with `handler(i)`) until `done()`, then closes them. */
async function runMembers(
  consumers: ShareConsumer[],
  topic: string,
  handler: Handler | ((member: number) => Handler),
  done: () => boolean,
  what: string,
  perMember = false,
): Promise<void> {
  const running = consumers.map((c, i) => {
    c.subscribe(topic);
    return c.run({ eachMessage: perMember ? (handler as (member: number) => Handler)(i) : (handler as Handler) });
  });
  try {
    await waitFor(() => done() || undefined, { timeoutMs: 60000, what });
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(running);
  }
}

/**
 * Proves the records before a marker were all settled for good: a new member of the group, given one
 * more record, gets that record and nothing released or unacknowledged from before.
 */
async function onlyTheMarkerIsLeft(topic: string, groupId: string): Promise<void> {
  await env.producer.send(topic, 0, [{ key: 'end', value: 'marker' }]);
  const c = shareConsumer(env.kafka.bootstrap, groupId);
  c.subscribe(topic);
  const got: string[] = [];
  try {
    for await (const r of c) {
      got.push(text(r));
      if (text(r) === 'marker') break;
    }
  } finally {
    await c.close();
  }
  assert.deepEqual(got, ['marker'], 'nothing before the marker was delivered again');
}

test('withRetry on share consumers: a failure releases the record, the broker redelivers it (to either member) with deliveryCount + 1, it succeeds once', {
  timeout: 120000,
}, async () => {
  const N = 60;
  const topic = await source(N);
  const groupId = uniqueName('sg-retry');
  await shareGroupConfig(env.kafka.bootstrap, groupId);
  const flaky = (id: number) => id % 10 === 3;
  const succeeded = new Map<number, { deliveryCount: number; member: number }>();
  const attempts = new Map<number, number[]>();
  const members = [0, 1].map(() => shareConsumer(env.kafka.bootstrap, groupId));
  const handler = (member: number) =>
    withRetry({ retries: 3, minDelayMs: 5, maxDelayMs: 20 })(async (r: ShareRecord) => {
      const id = idOf(r);
      attempts.set(id, [...(attempts.get(id) ?? []), r.deliveryCount]);
      if (flaky(id) && r.deliveryCount < 3) throw new Error(`the database is down (${id})`);
      assert.equal(succeeded.has(id), false, `record ${id} succeeded twice`);
      succeeded.set(id, { deliveryCount: r.deliveryCount, member });
    });
  await runMembers(members, topic, handler, () => succeeded.size === N, `${N} records processed`, true);
  for (let id = 0; id < N; id++) {
    const s = succeeded.get(id);
    assert.ok(s, `record ${id} processed`);
    if (flaky(id)) {
      assert.equal(s.deliveryCount, 3, `record ${id} succeeded on its third delivery`);
      assert.deepEqual(attempts.get(id), [1, 2, 3], `record ${id} was delivered with counts 1, 2, 3`);
    } else {
      assert.equal(s.deliveryCount, 1);
    }
  }
  await onlyTheMarkerIsLeft(topic, groupId);
});

test('withDeadLetter(withRetry) on a share consumer: a record given up on is copied to the DLQ with its headers, then rejected; a poison error skips the retries', {
  timeout: 120000,
}, async () => {
  const N = 40;
  const topic = await source(N);
  const groupId = uniqueName('sg-dlq');
  await shareGroupConfig(env.kafka.bootstrap, groupId);
  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const broken = (id: number) => id === 5 || id === 17; // always fail: retried, then dead-lettered
  const poison = (id: number) => id === 9; // a SyntaxError: not retriable, dead-lettered at once
  const deliveries = new Map<number, number[]>();
  const ok = new Set<number>();
  const handler = withDeadLetter({ producer, admin })(
    withRetry({ retries: 1, minDelayMs: 5 })(async (r: ShareRecord, _ctx: ShareHandlerContext) => {
      const id = idOf(r);
      deliveries.set(id, [...(deliveries.get(id) ?? []), r.deliveryCount]);
      if (broken(id)) throw new Error(`cannot process ${id}`);
      if (poison(id)) JSON.parse('{');
      ok.add(id);
    }),
  );
  const dlqTopic = `${topic}.dlq`;
  const handed = new Set<number>();
  const dead: ConsumerRecord[] = [];
  try {
    await runMembers(
      [shareConsumer(env.kafka.bootstrap, groupId)],
      topic,
      async (r, ctx) => {
        await handler(r, ctx);
        // Returned normally after a failure: the copy was written (withDeadLetter awaits it).
        if (broken(idOf(r)) ? r.deliveryCount === 2 : poison(idOf(r))) handed.add(idOf(r));
      },
      () => ok.size === N - 3 && handed.size === 3,
      'every record handled',
    );
    const reader = new Consumer({ brokers: env.kafka.bootstrap, logger: silentLogger, autoOffsetReset: 'earliest' });
    reader.assign([{ topic: dlqTopic, partition: 0 }]);
    const timer = setTimeout(() => void reader.close(), 30000);
    for await (const r of reader) {
      dead.push(r);
      if (dead.length === 3) break;
    }
    clearTimeout(timer);
    await reader.close();
  } finally {
    await producer.close();
    admin.close();
  }
  assert.deepEqual(deliveries.get(5), [1, 2], 'retried once through the broker');
  assert.deepEqual(deliveries.get(17), [1, 2]);
  assert.deepEqual(deliveries.get(9), [1], 'not retriable: straight to the DLQ');
  const byId = new Map(dead.map((r) => [Number(r.value!.toString().split('-')[1]), r]));
  assert.deepEqual(
    [...byId.keys()].sort((a, b) => a - b),
    [5, 9, 17],
  );
  for (const [id, r] of byId) {
    const info = readDeadLetter(r.headers);
    assert.equal(info.topic, topic);
    assert.equal(info.partition, 0);
    assert.equal(info.offset, id, 'the source offset');
    assert.equal(info.consumerGroup, groupId, 'the share group');
    assert.equal(info.attempts, id === 9 ? 1 : 2, 'deliveries so far');
    assert.equal(info.exceptionName, id === 9 ? 'SyntaxError' : 'Error');
  }
  await onlyTheMarkerIsLeft(topic, groupId);
});

test('withRetry alone on a share consumer: given up on, the record is rejected (not delivered up to the broker limit) and the failure is logged', {
  timeout: 120000,
}, async () => {
  const N = 20;
  const topic = await source(N);
  const groupId = uniqueName('sg-reject');
  await shareGroupConfig(env.kafka.bootstrap, groupId, { 'share.delivery.count.limit': 5 });
  const log = warnings();
  const deliveries: number[] = [];
  const ok = new Set<number>();
  await runMembers(
    [shareConsumer(env.kafka.bootstrap, groupId, { logger: log.logger })],
    topic,
    withRetry({ retries: 1, minDelayMs: 5 })(async (r: ShareRecord) => {
      if (idOf(r) === 7) {
        deliveries.push(r.deliveryCount);
        throw new Error('always fails');
      }
      ok.add(idOf(r));
    }),
    () => ok.size === N - 1 && deliveries.length >= 2,
    'every record handled',
  );
  assert.deepEqual(deliveries, [1, 2], 'delivered twice (retries: 1), then rejected — not up to the limit of 5');
  assert.ok(
    log.seen.some((l) => /gave up after 2 attempts: always fails/.test(l)),
    `the give-up is logged: ${log.seen.join(' | ')}`,
  );
  await onlyTheMarkerIsLeft(topic, groupId);
});
