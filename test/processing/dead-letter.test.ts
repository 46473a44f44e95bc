// withDeadLetter and replayDeadLetters against the real broker: a dead-letter topic created on demand
// like its source, the exactly-once hand-off with a transactional producer (sequential and parallel
// delivery), and dead letters sent back to their topic once the handler is fixed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { EachMessage } from '../../src/consumer/delivery.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { withDeadLetter } from '../../src/processing/dead-letter.js';
import { HeaderNames, readDeadLetter } from '../../src/processing/headers.js';
import { replayDeadLetters } from '../../src/processing/replay.js';
import { retryTopics } from '../../src/processing/retry-topics.js';
import { Producer } from '../../src/producer/producer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { committedOffsets, idOf, readAll } from './fixtures/topics.js';

const env = testEnv();

const PARTITIONS = 2;
const PER = 100;
const bad = (id: string) => Number(id.split(':')[1]) % 10 === 3;

/** A topic of PARTITIONS × PER records `<p>:<i>`; `bad` ones fail in the handler. */
async function source(): Promise<{ topic: string; all: string[] }> {
  const topic = uniqueName('src');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER, (p, i) => ({
    key: `k${i}`,
    value: `${p}:${i}`,
    headers: { trace: `t-${p}-${i}` },
  }));
  const all: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < PER; i++) all.push(`${p}:${i}`);
  return { topic, all };
}

/** Runs a consumer of `topic` until `done()`, then closes it (from outside the handler). */
async function consume(
  topic: string | string[],
  groupId: string,
  eachMessage: (r: ConsumerRecord, ctx: import('../../src/consumer/delivery.js').HandlerContext) => unknown,
  done: () => boolean,
  concurrency?: number,
): Promise<void> {
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  consumer.subscribe(topic);
  const timer = setInterval(() => {
    if (done()) void consumer.close();
  }, 100);
  try {
    await consumer.run({
      eachMessage,
      ...(concurrency ? { concurrency } : {}),
      signal: AbortSignal.timeout(60000),
    });
  } finally {
    clearInterval(timer);
  }
}

test('withDeadLetter + transactional producer: the DLQ is created like its source; each failure lands once, committed with its offset', {
  timeout: 90000,
}, async () => {
  const { topic, all } = await source();
  const groupId = uniqueName('g');
  const producer = new Producer({ brokers: env.kafka.bootstrap, transactionalId: uniqueName('tx') });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const ok = new Set<string>();
  let handed = 0;
  try {
    const handler = withDeadLetter({ producer, admin })<EachMessage>((r) => {
      if (bad(idOf(r))) throw new TypeError(`cannot process ${idOf(r)}`);
      ok.add(idOf(r));
    });
    await consume(
      topic,
      groupId,
      async (r, ctx) => {
        await handler(r, ctx);
        if (bad(idOf(r))) handed++;
      },
      () => ok.size + handed === all.length,
    );
    const [dlqTopic] = await admin.describeTopics([`${topic}.dlq`]);
    assert.equal(dlqTopic!.partitions.length, PARTITIONS, 'created with the source partition count');
    const dlq = await readAll(env.kafka.bootstrap, `${topic}.dlq`, all.filter(bad).length, {
      isolationLevel: 'read_committed',
    });
    assert.deepEqual(dlq.map((r) => r.value).sort(), all.filter(bad).sort());
    for (const r of dlq) {
      const [p, i] = r.value.split(':').map(Number) as [number, number];
      assert.equal(r.partition, p);
      assert.equal(r.key, `k${i}`);
      assert.equal(r.headers.find((h) => h.key === 'trace')?.value?.toString(), `t-${p}-${i}`, 'own headers kept');
      const info = readDeadLetter(r.headers);
      assert.deepEqual([info.topic, info.partition, info.offset, info.consumerGroup], [topic, p, i, groupId]);
      assert.equal(info.exceptionName, 'TypeError');
      assert.equal(info.exceptionMessage, `cannot process ${r.value}`);
      assert.equal(info.attempts, 2);
    }
    const committed = await committedOffsets(env.kafka.bootstrap, groupId);
    for (let p = 0; p < PARTITIONS; p++) assert.equal(committed.get(`${topic}/${p}`), PER);
  } finally {
    await producer.close();
    admin.close();
  }
});

test('retryTopics + transactional producer under 8-way parallel delivery: every record processed or dead-lettered once', {
  timeout: 90000,
}, async () => {
  const { topic, all } = await source();
  const groupId = uniqueName('g');
  const producer = new Producer({ brokers: env.kafka.bootstrap, transactionalId: uniqueName('tx') });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const rt = retryTopics({ producer, admin, delays: [200] });
  await rt.createTopics(topic);
  const ok = new Map<string, number>();
  const failedOnce = new Set<string>();
  try {
    const handler = rt(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const id = idOf(r);
      // Bad records always fail; every fifth other record fails on the source topic only.
      if (bad(id)) throw new Error(`bad ${id}`);
      if (r.topic === topic && Number(id.split(':')[1]) % 5 === 0) {
        failedOnce.add(id);
        throw new Error(`later ${id}`);
      }
      ok.set(id, (ok.get(id) ?? 0) + 1);
    });
    const expectedOk = all.filter((id) => !bad(id)).length;
    let dlqCount = 0;
    const dlqDone = async () => {
      if (ok.size === expectedOk)
        dlqCount = (
          await readAll(env.kafka.bootstrap, `${topic}.dlq`, 0, {
            settleMs: 0,
            isolationLevel: 'read_committed',
            timeoutMs: 3000,
          })
        ).length;
    };
    const poll = setInterval(() => void dlqDone(), 1000);
    try {
      await consume(rt.topics(topic), groupId, handler, () => dlqCount >= all.filter(bad).length, 8);
    } finally {
      clearInterval(poll);
    }
    const dlq = await readAll(env.kafka.bootstrap, `${topic}.dlq`, all.filter(bad).length, {
      isolationLevel: 'read_committed',
    });
    assert.deepEqual(dlq.map((r) => r.value).sort(), all.filter(bad).sort(), 'each bad record dead-lettered once');
    assert.deepEqual(
      all.filter((id) => !bad(id) && ok.get(id) !== 1),
      [],
      'every other record processed once',
    );
    assert.equal(failedOnce.size, all.filter((id) => !bad(id) && Number(id.split(':')[1]) % 5 === 0).length);
    for (const r of dlq) assert.equal(readDeadLetter(r.headers).attempts, 3, 'source, retry 1, then the DLQ');
    const committed = await committedOffsets(env.kafka.bootstrap, groupId);
    for (let p = 0; p < PARTITIONS; p++) assert.equal(committed.get(`${topic}/${p}`), PER);
  } finally {
    await producer.close();
    admin.close();
  }
});

test('replayDeadLetters sends dead letters back to their topic and partition, without the forwarding headers', {
  timeout: 90000,
}, async () => {
  const { topic, all } = await source();
  const groupId = uniqueName('g');
  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const badIds = all.filter(bad);
  let fixed = false;
  const seen: ConsumerRecord[] = [];
  const ids = () => seen.map(idOf);
  try {
    const handler = withDeadLetter({ producer, admin })((r) => {
      if (bad(idOf(r)) && !fixed) throw new Error('bug');
      seen.push({ ...r, headers: r.headers.map((h) => ({ key: h.key, value: h.value && Buffer.from(h.value) })) });
    });
    await consume(topic, groupId, handler, () => seen.length === all.length - badIds.length);
    const replayGroup = uniqueName('replay');
    const replay = () =>
      replayDeadLetters({
        topic: `${topic}.dlq`,
        producer,
        consumer: { brokers: env.kafka.bootstrap, groupId: replayGroup },
      });
    assert.deepEqual(await replay(), { replayed: badIds.length, skipped: 0, complete: true });
    // The group's committed position is the replay's progress: nothing left the second time.
    assert.deepEqual(await replay(), { replayed: 0, skipped: 0, complete: true });
    fixed = true;
    await consume(topic, groupId, handler, () => seen.length === all.length);
    assert.deepEqual(ids().sort(), [...all].sort(), 'every record processed once, the replayed ones after the fix');
    for (const r of seen.slice(all.length - badIds.length)) {
      const [p, i] = idOf(r).split(':').map(Number) as [number, number];
      assert.equal(r.partition, p, 'back on its original partition');
      assert.ok(r.offset >= PER, 'as a new record');
      assert.equal(r.key?.toString(), `k${i}`);
      assert.deepEqual(
        r.headers.map((h) => `${h.key}=${h.value}`),
        [`trace=t-${p}-${i}`],
        'its own headers only',
      );
    }
    assert.ok(!Object.values(HeaderNames).some((k) => seen.some((r) => r.headers.some((h) => h.key === k))));
  } finally {
    await producer.close();
    admin.close();
  }
});

test('replayDeadLetters with a transactional producer and a filter: the skipped tail counts as done too', {
  timeout: 60000,
}, async () => {
  const { topic, all } = await source();
  const groupId = uniqueName('g');
  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const tx = new Producer({ brokers: env.kafka.bootstrap, transactionalId: uniqueName('tx') });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  let processed = 0;
  try {
    const handler = withDeadLetter({ producer, admin })((r) => {
      if (bad(idOf(r))) throw new Error('bug');
      processed++;
    });
    const badIds = all.filter(bad);
    await consume(topic, groupId, handler, () => processed === all.length - badIds.length);
    await readAll(env.kafka.bootstrap, `${topic}.dlq`, badIds.length, { settleMs: 0 });
    // Skips i % 20 === 13, which includes the last dead letter of each partition (i = 93).
    const skip = (id: string) => Number(id.split(':')[1]) % 20 === 13;
    const replayGroup = uniqueName('replay');
    const replay = () =>
      replayDeadLetters({
        topic: `${topic}.dlq`,
        producer: tx,
        consumer: { brokers: env.kafka.bootstrap, groupId: replayGroup },
        filter: (r) => !skip(idOf(r)),
      });
    const skipped = badIds.filter(skip).length;
    assert.deepEqual(await replay(), { replayed: badIds.length - skipped, skipped, complete: true });
    assert.deepEqual(await replay(), { replayed: 0, skipped: 0, complete: true });
    const back = await readAll(env.kafka.bootstrap, topic, all.length + badIds.length - skipped, {
      isolationLevel: 'read_committed',
    });
    assert.deepEqual(
      back
        .filter((r) => r.offset >= PER)
        .map((r) => r.value)
        .sort(),
      badIds.filter((id) => !skip(id)).sort(),
    );
  } finally {
    await producer.close();
    await tx.close();
    admin.close();
  }
});
