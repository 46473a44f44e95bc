// retryTopics + withRetry against the real broker: random and permanent failures end up processed or
// dead-lettered (never lost, never both) with Spring's headers, and retry topics honour their delays
// without spending CPU while they wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { HeaderNames, readDeadLetter } from '../../src/processing/headers.js';
import { retryTopics } from '../../src/processing/retry-topics.js';
import { withRetry } from '../../src/processing/with-retry.js';
import { Producer } from '../../src/producer/producer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { committedOffsets, idOf, PoisonError, readAll } from './fixtures/topics.js';

const env = testEnv();

test('20% random failures and poison records: each record processed or dead-lettered, never both; Spring headers', {
  timeout: 120000,
}, async () => {
  const PARTITIONS = 3;
  const PER = 200;
  const topic = uniqueName('orders');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER, (p, i) => ({ key: `k${i % 20}`, value: `${p}:${i}` }));
  // Two kinds of poison: a retriable error that never stops (through every retry topic to the DLQ),
  // and a SyntaxError (not retriable: straight to the DLQ).
  const poison = (id: string) => Number(id.split(':')[1]) % 25 === 7;
  const syntax = (id: string) => Number(id.split(':')[1]) % 50 === 7;
  const all: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < PER; i++) all.push(`${p}:${i}`);
  const poisoned = all.filter(poison);

  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const rt = retryTopics({ producer, admin, delays: [300, 600] });
  await rt.createTopics(topic);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  consumer.subscribe(rt.topics(topic));
  const ok = new Map<string, number>();
  let failures = 0;
  const t0 = Date.now();
  try {
    const run = consumer.run({
      eachMessage: rt(
        withRetry({ retries: 3, minDelayMs: 5, maxDelayMs: 50 })((r: ConsumerRecord) => {
          const id = idOf(r);
          if (syntax(id)) JSON.parse('{not json');
          if (poison(id)) throw new PoisonError(`poison record ${id}`);
          if (Math.random() < 0.2) {
            failures++;
            throw new Error('flaky');
          }
          ok.set(id, (ok.get(id) ?? 0) + 1);
        }),
      ),
      signal: AbortSignal.timeout(90000),
    });
    // Done when every other record is processed and every poison record reached the DLQ; then a
    // little longer, so that a record handled twice would show.
    await until(
      run,
      async () => ok.size === all.length - poisoned.length && (await ends(admin, `${topic}.dlq`)) >= poisoned.length,
      80000,
    );
    const tDone = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    await consumer.close();
    await run;
    const dlq = await readAll(env.kafka.bootstrap, `${topic}.dlq`, poisoned.length);

    assert.ok(failures > 100, `the handler failed ${failures} times at random`);
    const dead = dlq.map((r) => r.value);
    assert.deepEqual([...dead].sort(), [...poisoned].sort(), 'exactly the poison records are dead letters, once');
    assert.deepEqual(
      all.filter((id) => !poison(id) && ok.get(id) !== 1),
      [],
      'every other record was processed exactly once',
    );
    assert.deepEqual(
      dead.filter((id) => ok.has(id)),
      [],
      'no record both processed and dead-lettered',
    );

    for (const r of dlq) {
      const [p, i] = r.value.split(':').map(Number) as [number, number];
      const info = readDeadLetter(r.headers);
      const h = (k: string) => r.headers.findLast((x) => x.key === k)?.value;
      assert.equal(r.partition, p, 'same partition number as the source');
      assert.equal(r.key, `k${i % 20}`);
      assert.equal(h(HeaderNames.DLT_ORIGINAL_TOPIC)?.toString(), topic);
      assert.equal(h(HeaderNames.DLT_ORIGINAL_PARTITION)?.toString('hex'), p.toString(16).padStart(8, '0'));
      assert.equal(h(HeaderNames.DLT_ORIGINAL_OFFSET)?.toString('hex'), i.toString(16).padStart(16, '0'));
      assert.equal(h(HeaderNames.DLT_ORIGINAL_CONSUMER_GROUP)?.toString(), groupId);
      assert.equal(info.partition, p);
      assert.equal(info.offset, i);
      assert.ok(info.timestamp! > Date.now() - 300000 && info.timestamp! <= Date.now());
      assert.equal(info.originalTimestamp, info.timestamp);
      if (syntax(r.value)) {
        // Not retriable: one run on the source topic, then straight to the DLQ (the copy is on attempt 2).
        assert.equal(info.exceptionName, 'SyntaxError');
        assert.equal(info.attempts, 2);
      } else {
        // 4 runs on the source and on each of the 2 retry topics: the copy is on attempt 13.
        assert.equal(info.exceptionName, 'PoisonError');
        assert.equal(info.exceptionMessage, `poison record ${r.value}`);
        assert.equal(info.attempts, 13);
      }
      assert.match(info.stackTrace ?? '', /retry-topics\.test\.ts/);
      assert.ok(info.dueAt! <= Date.now() && info.dueAt! >= info.timestamp!);
    }
    const committed = await committedOffsets(env.kafka.bootstrap, groupId);
    for (let p = 0; p < PARTITIONS; p++) assert.equal(committed.get(`${topic}/${p}`), PER, `${topic}-${p} committed`);
    console.log(
      `# ${all.length} records, ${failures} random failures: ${ok.size} processed, ${dlq.length} dead letters, in ${tDone} ms`,
    );
  } finally {
    await consumer.close();
    await producer.close();
    admin.close();
  }
});

/** Waits (bounded) until `done()` holds, failing early if the consumer stops. */
async function until(run: Promise<void>, done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let stopped: unknown;
  run.then(
    () => (stopped ??= new Error('the consumer stopped')),
    (err: unknown) => (stopped ??= err),
  );
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (stopped) throw stopped;
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Records written to a topic so far (the sum of its partitions' end offsets). */
async function ends(admin: Admin, topic: string): Promise<number> {
  const [d] = await admin.describeTopics([topic]);
  const latest = await admin.listOffsets(
    d!.partitions.map((p) => ({ topic, partition: p.partition, at: 'latest' as const })),
  );
  return latest.reduce((n, o) => n + o.offset, 0);
}

test('a retry topic holds each record until its due time, using no CPU while it waits', {
  timeout: 60000,
}, async () => {
  const DELAY = 2500;
  const topic = uniqueName('due');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 10);
  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  const rt = retryTopics({ producer, admin, delays: [DELAY], dlq: false });
  await rt.createTopics(topic);
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest' });
  consumer.subscribe(rt.topics(topic));
  const retried: Array<{ due: number; at: number }> = [];
  let forwarded = 0;
  let waitStart: { cpu: NodeJS.CpuUsage; t: number } | undefined;
  let waitCpuMs = 0;
  let waitMs = 0;
  try {
    await consumer.run({
      eachMessage: rt((r: ConsumerRecord) => {
        if (r.topic === topic) {
          // Every record fails once on the source topic; the hand-off completes after this returns.
          if (++forwarded === 10) setTimeout(() => (waitStart = { cpu: process.cpuUsage(), t: Date.now() }), 100);
          throw new Error('not yet');
        }
        if (retried.length === 0 && waitStart) {
          const cpu = process.cpuUsage(waitStart.cpu);
          waitCpuMs = (cpu.user + cpu.system) / 1000;
          waitMs = Date.now() - waitStart.t;
        }
        retried.push({ due: readDeadLetter(r.headers).dueAt!, at: Date.now() });
        if (retried.length === 10) setImmediate(() => void consumer.close());
      }),
      signal: AbortSignal.timeout(40000),
    });
    assert.equal(retried.length, 10);
    for (const { due, at } of retried) {
      assert.ok(at >= due - 2, `processed ${due - at} ms before its due time`);
      assert.ok(at - due < 1500, `processed ${at - due} ms after its due time`);
    }
    assert.ok(waitMs > 1000, `waited ${waitMs} ms`);
    // An idle consumer: a few long-poll fetches per second. A busy loop would use ~100%.
    assert.ok(waitCpuMs < waitMs * 0.1, `${waitCpuMs.toFixed(0)} ms CPU over a ${waitMs} ms wait`);
    const late = retried.map(({ due, at }) => at - due);
    console.log(
      `# due-time lateness ${Math.min(...late)}..${Math.max(...late)} ms; CPU ${waitCpuMs.toFixed(1)} ms over a ${waitMs} ms wait`,
    );
  } finally {
    await consumer.close();
    await producer.close();
    admin.close();
  }
});
