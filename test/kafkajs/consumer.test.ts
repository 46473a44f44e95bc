// sluice/kafkajs consumer on a real broker: KafkaJS's payloads, events, retries and crash, seek and
// pause, and its error classes — with Sluice's rule that only what a handler finished is committed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import {
  AssignerProtocol,
  type Consumer,
  type EachMessagePayload,
  type InstrumentationEvent,
  Kafka,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  logLevel,
} from '../../src/kafkajs/index.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv();
const kafka = () => new Kafka({ brokers: [env.kafka.bootstrap], clientId: 'kjs-test', logLevel: logLevel.NOTHING });

async function committed(groupId: string): Promise<Map<number, number>> {
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    const list = await admin.listGroupOffsets(groupId);
    return new Map(list.map((o) => [o.partition, o.offset]));
  } finally {
    admin.close();
  }
}

/** Resolves when `check()` holds, polling; rejects after `ms` (a hang, not a speed test). */
async function until(check: () => boolean, ms = 30000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('eachMessage: KafkaJS payloads, GROUP_JOIN, COMMIT_OFFSETS, STOP; what was processed is committed', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('kjs-msg');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 2);
  await env.producer.send(topic, 0, [{ key: 'a', value: 'v0', headers: { h: 'x' } }]);
  await env.producer.fill(topic, 2, 20);
  const consumer: Consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200, heartbeatInterval: 300 });
  const heartbeats: Array<{ groupId: string; memberId: string; groupGenerationId: number }> = [];
  const fetches: Array<{ nodeId: number; duration: number; numberOfBatches: number }> = [];
  consumer.on(consumer.events.HEARTBEAT, (e) => heartbeats.push(e.payload));
  consumer.on(consumer.events.FETCH, (e) => fetches.push(e.payload));
  const joins: InstrumentationEvent<{ isLeader: boolean; groupProtocol: string; memberAssignment: object }>[] = [];
  const commits: Array<{ topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }> =
    [];
  const events: string[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e));
  const off = consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload));
  for (const name of [consumer.events.CONNECT, consumer.events.STOP, consumer.events.DISCONNECT] as const)
    consumer.on(name, (e) => events.push(e.type));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const seen: EachMessagePayload[] = [];
  await consumer.run({ eachMessage: async (p) => void seen.push(p) });
  // run() resolves once joined, as KafkaJS's does.
  assert.equal(joins.length, 1);
  await until(() => seen.length === 21 && heartbeats.length > 0, 30000, '21 messages and a heartbeat');
  assert.equal(heartbeats[0]!.groupId, groupId);
  assert.ok(heartbeats[0]!.memberId.length > 0 && heartbeats[0]!.groupGenerationId >= 1);
  assert.ok(fetches.length > 0 && typeof fetches[0]!.nodeId === 'number');
  const group = await consumer.describeGroup();
  assert.equal(group.groupId, groupId);
  assert.equal(group.state, 'Stable');
  assert.equal(group.protocol, 'RoundRobinAssigner');
  assert.equal(group.protocolType, 'consumer');
  assert.equal(group.members.length, 1);
  assert.deepEqual(AssignerProtocol.MemberAssignment.decode(group.members[0]!.memberAssignment)?.assignment, {
    [topic]: [0, 1],
  });
  assert.equal(group.members[0]!.clientId, 'kjs-test');
  await consumer.stop();
  await consumer.disconnect();

  const first = seen.find((p) => p.partition === 0 && p.message.offset === '0')!;
  assert.equal(first.topic, topic);
  assert.ok(Buffer.isBuffer(first.message.value) && first.message.value.toString() === 'v0');
  assert.equal(first.message.key?.toString(), 'a');
  assert.equal(typeof first.message.timestamp, 'string');
  assert.ok(Math.abs(Number(first.message.timestamp) - Date.now()) < 600000);
  assert.equal(first.message.headers.h?.toString(), 'x');
  assert.equal(typeof first.heartbeat, 'function');
  await first.heartbeat();
  const join = joins[0]!;
  assert.equal(join.type, 'consumer.group_join');
  assert.equal(typeof join.id, 'string');
  assert.equal(join.payload.isLeader, true);
  assert.equal(join.payload.groupProtocol, 'RoundRobinAssigner');
  assert.deepEqual(join.payload.memberAssignment, { [topic]: [0, 1] });
  assert.deepEqual(events, ['consumer.connect', 'consumer.stop', 'consumer.disconnect']);
  // The stop commit is reported, with string offsets.
  const last = commits.at(-1)!;
  const offsets = Object.fromEntries(last.topics[0]!.partitions.map((p) => [p.partition, p.offset]));
  assert.deepEqual(offsets, { 0: '11', 1: '10' });
  assert.deepEqual([...(await committed(groupId))].sort(), [
    [0, 11],
    [1, 10],
  ]);
  off();
});

test('eachBatch: batch helpers, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets, batch events', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('kjs-batch');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 30);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  const starts: Array<{ batchSize: number; firstOffset: string | null; lastOffset: string }> = [];
  const ends: Array<{ duration: number }> = [];
  consumer.on(consumer.events.START_BATCH_PROCESS, (e) => starts.push(e.payload));
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => ends.push(e.payload));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const handled: string[] = [];
  const uncommitted: unknown[] = [];
  let lagOk = true;
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }) => {
      assert.equal(batch.isEmpty(), false);
      assert.equal(batch.firstOffset(), batch.messages[0]!.offset);
      assert.equal(batch.lastOffset(), batch.messages.at(-1)!.offset);
      lagOk &&= Number(batch.offsetLag()) === Number(batch.highWatermark) - 1 - Number(batch.lastOffset());
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        handled.push(m.offset);
        resolveOffset(m.offset);
      }
      uncommitted.push(uncommittedOffsets());
      await commitOffsetsIfNecessary();
    },
  });
  await until(() => handled.length >= 30, 30000, '30 messages');
  const beforeStop = await committed(groupId);
  await consumer.disconnect();
  assert.deepEqual(
    handled.slice(0, 30),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
  assert.ok(lagOk);
  // commitOffsetsIfNecessary() with neither interval nor threshold commits (KafkaJS: after each batch).
  assert.equal(beforeStop.get(0), 30);
  // Resolved in the first batch, not committed yet when asked.
  const u = uncommitted[0] as {
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  };
  assert.deepEqual(u.topics, [
    { topic, partitions: [{ partition: 0, offset: String(Number(starts[0]!.lastOffset) + 1) }] },
  ]);
  assert.ok(starts.length >= 1 && starts.length === ends.length);
  assert.equal(starts[0]!.firstOffset, '0');
});

test('eachBatch without auto-resolve: what is not resolved comes again', { timeout: 60000 }, async () => {
  const topic = uniqueName('kjs-resolve');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 10);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const firsts: string[] = [];
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      firsts.push(batch.firstOffset()!);
      // Only ever resolve the first message of each batch.
      resolveOffset(batch.messages[0]!.offset);
    },
  });
  await until(() => firsts.length >= 10, 30000, '10 batches');
  await consumer.disconnect();
  assert.deepEqual(
    firsts.slice(0, 10),
    Array.from({ length: 10 }, (_, i) => String(i)),
  );
  assert.equal((await committed(groupId)).get(0), 10);
});

test('a failing eachMessage is retried with backoff, then CRASH with KafkaJSNumberOfRetriesExceeded; nothing failed is committed', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('kjs-crash');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 10);
  let restartAsked = 0;
  const consumer = kafka().consumer({
    groupId,
    maxWaitTimeInMs: 200,
    retry: {
      retries: 2,
      initialRetryTime: 100,
      restartOnFailure: async () => {
        restartAsked++;
        return false;
      },
    },
  });
  const crashes: Array<{ error: Error; restart: boolean; groupId: string }> = [];
  consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload));
  let rebalancing = 0;
  consumer.on(consumer.events.REBALANCING, () => rebalancing++);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const attempts: Array<[string, number]> = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      attempts.push([message.offset, Date.now()]);
      if (message.offset === '4') throw new Error('boom');
    },
  });
  await until(() => crashes.length === 1, 30000, 'CRASH');
  await consumer.disconnect();
  const fours = attempts.filter(([o]) => o === '4').map(([, t]) => t);
  assert.equal(fours.length, 3, '1 attempt + 2 retries');
  assert.ok(fours[1]! - fours[0]! >= 70, 'waited the retry time (with jitter) before retrying');
  assert.deepEqual(
    attempts.map(([o]) => o).filter((o) => o !== '4'),
    ['0', '1', '2', '3'],
  );
  const crash = crashes[0]!;
  assert.ok(crash.error instanceof KafkaJSNumberOfRetriesExceeded);
  assert.equal(crash.error.name, 'KafkaJSNumberOfRetriesExceeded');
  assert.equal((crash.error.cause as Error).message, 'boom');
  assert.equal(crash.restart, false);
  assert.equal(crash.groupId, groupId);
  assert.equal(restartAsked, 1);
  assert.equal(rebalancing, 0, 'closing after the crash is no rebalance');
  // Records 0-3 were processed; 4 never was.
  assert.equal((await committed(groupId)).get(0), 4);
});

test('a crash with restart: the consumer comes back and the record is retried again', { timeout: 60000 }, async () => {
  const topic = uniqueName('kjs-restart');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 5);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200, retry: { retries: 1, initialRetryTime: 50 } });
  const crashes: boolean[] = [];
  consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload.restart));
  let joins = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => joins++);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let failures = 0;
  const done: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.offset === '2' && failures < 3) {
        failures++;
        throw new Error('flaky');
      }
      done.push(message.offset);
    },
  });
  await until(() => done.includes('4'), 30000, 'offset 4');
  await consumer.disconnect();
  assert.deepEqual(crashes, [true]);
  assert.ok(joins >= 2, 'rejoined after the restart');
  assert.deepEqual(done, ['0', '1', '2', '3', '4']);
});

test('a TypeError is not retried: CRASH without restart', { timeout: 60000 }, async () => {
  const topic = uniqueName('kjs-type');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 3);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  const crashes: Array<{ error: Error; restart: boolean }> = [];
  consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let calls = 0;
  await consumer.run({
    eachMessage: async () => {
      calls++;
      (undefined as unknown as { x: () => void }).x();
    },
  });
  await until(() => crashes.length === 1, 30000, 'CRASH');
  await consumer.disconnect();
  assert.equal(calls, 1);
  assert.ok(crashes[0]!.error instanceof KafkaJSNonRetriableError);
  assert.equal(crashes[0]!.restart, false);
});

test('seek, and pause()/resume from the eachMessage payload', { timeout: 60000 }, async () => {
  const topic = uniqueName('kjs-seek');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 20);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  assert.throws(() => consumer.seek({ topic, partition: 0, offset: '5' }), KafkaJSNonRetriableError);
  const seen: Array<[number, string]> = [];
  let resumeP1: (() => void) | undefined;
  let sought = false;
  await consumer.run({
    eachMessage: async ({ partition, message, pause }) => {
      seen.push([partition, message.offset]);
      if (partition === 1 && message.offset === '2' && !resumeP1) {
        resumeP1 = pause();
        // KafkaJS's pattern: pause and throw, the message comes again after resume.
        throw new Error('not now');
      }
    },
  });
  await until(() => resumeP1 !== undefined && seen.filter(([p]) => p === 0).length >= 10, 30000, 'pause');
  assert.deepEqual(consumer.paused(), [{ topic, partitions: [1] }]);
  const p1Before = seen.filter(([p]) => p === 1).length;
  consumer.seek({ topic, partition: 0, offset: '7' });
  sought = true;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(seen.filter(([p]) => p === 1).length, p1Before, 'paused partition delivers nothing');
  resumeP1!();
  assert.deepEqual(consumer.paused(), []);
  await until(() => seen.filter(([p, o]) => p === 1 && o === '9').length === 1, 30000, 'p1 to the end');
  await until(() => seen.filter(([p, o]) => p === 0 && o === '9').length === 2, 30000, 'p0 again from 7');
  await consumer.disconnect();
  assert.ok(sought);
  const p1 = seen.filter(([p]) => p === 1).map(([, o]) => o);
  assert.deepEqual(p1, ['0', '1', '2', '2', '3', '4', '5', '6', '7', '8', '9']);
  const p0 = seen.filter(([p]) => p === 0).map(([, o]) => o);
  assert.deepEqual(p0.slice(-3), ['7', '8', '9']);
});

test('errors are KafkaJS classes: bad arguments, bad event names, commitOffsets before run', async () => {
  const consumer = kafka().consumer({ groupId: uniqueName('kjs-g') });
  assert.throws(() => kafka().consumer({} as never), KafkaJSNonRetriableError);
  await assert.rejects(() => consumer.subscribe({} as never), KafkaJSNonRetriableError);
  await assert.rejects(() => consumer.subscribe({ topics: [42 as never] }), /Invalid topic/);
  assert.throws(() => consumer.on('consumer.nope' as never, () => {}), KafkaJSNonRetriableError);
  await assert.rejects(() => consumer.commitOffsets([]), KafkaJSNonRetriableError);
  await assert.rejects(() => consumer.run({ eachMessage: async () => {} }), /subscribe\(\) to a topic first/);
  assert.equal(typeof consumer.logger().info, 'function');
});

test('autoCommitThreshold commits every N messages; after stop(), run() again goes on from the commit', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('kjs-threshold');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 20);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  const commits: string[] = [];
  consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload.topics[0]!.partitions[0]!.offset));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  const eachMessage = async ({ message }: EachMessagePayload) => void seen.push(message.offset);
  await consumer.run({ autoCommitInterval: 60000, autoCommitThreshold: 5, eachMessage });
  await until(() => seen.length === 20 && commits.length >= 3, 30000, '20 messages and 3 commits');
  // Each threshold commit covers the messages handled before it (never the one in hand).
  assert.deepEqual(commits.slice(0, 3), ['5', '10', '15']);
  await consumer.stop();
  assert.equal(commits.at(-1), '20');
  await env.producer.fill(topic, 1, 5);
  await consumer.run({ eachMessage });
  await until(() => seen.length === 25, 30000, '5 more');
  await consumer.disconnect();
  assert.deepEqual(seen.slice(20), ['20', '21', '22', '23', '24']);
});

test('stopping mid-batch commits what eachBatch resolved, not the rest of the batch (KafkaJS auto-resolves it)', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('kjs-midbatch');
  const groupId = uniqueName('kjs-g');
  await env.producer.createTopic(topic, 1);
  await env.producer.fill(topic, 1, 200);
  const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let handled = 0;
  let batchSize = 0;
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, isRunning }) => {
      batchSize = Math.max(batchSize, batch.messages.length);
      for (const m of batch.messages) {
        if (!isRunning()) break;
        await new Promise((r) => setTimeout(r, 5));
        handled++;
        resolveOffset(m.offset);
      }
    },
  });
  await until(() => handled >= 10, 30000, '10 handled');
  await consumer.stop();
  await consumer.disconnect();
  assert.ok(batchSize > handled, `one batch (${batchSize}) outlasted the stop (${handled} handled)`);
  assert.equal((await committed(groupId)).get(0), handled);
});

test('connect() to an unreachable cluster fails after KafkaJS retries, with KafkaJSNumberOfRetriesExceeded', async () => {
  const consumer = new Kafka({
    brokers: ['127.0.0.1:1'],
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 100 },
  }).consumer({ groupId: uniqueName('kjs-g') });
  const started = Date.now();
  await assert.rejects(
    () => consumer.connect(),
    (err: Error) =>
      err instanceof KafkaJSNumberOfRetriesExceeded && (err.cause as Error).name === 'KafkaJSConnectionError',
  );
  // The retry budget (connection timeout + backoffs), with slack for a busy machine: not a minute.
  assert.ok(Date.now() - started < 15000, `${Date.now() - started} ms`);
  await consumer.disconnect();
});

test('subscribe() to names and RegExps together', { timeout: 60000 }, async () => {
  const prefix = uniqueName('kjs-re');
  const byName = uniqueName('kjs-name');
  await env.producer.createTopic(`${prefix}-a`, 1);
  await env.producer.createTopic(`${prefix}-b`, 1);
  await env.producer.createTopic(`${prefix}x-c`, 1);
  await env.producer.createTopic(byName, 1);
  for (const t of [`${prefix}-a`, `${prefix}-b`, `${prefix}x-c`, byName]) await env.producer.fill(t, 1, 2);
  const consumer = kafka().consumer({ groupId: uniqueName('kjs-g'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [new RegExp(`^${prefix}-`), byName], fromBeginning: true });
  const seen = new Set<string>();
  await consumer.run({ eachMessage: async ({ topic, message }) => void seen.add(`${topic}:${message.offset}`) });
  await until(() => seen.size >= 6, 30000, '6 messages');
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  assert.deepEqual(
    [...seen].sort(),
    [`${byName}:0`, `${byName}:1`, `${prefix}-a:0`, `${prefix}-a:1`, `${prefix}-b:0`, `${prefix}-b:1`].sort(),
  );
});
