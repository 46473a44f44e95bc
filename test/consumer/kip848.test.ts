// KIP-848 (`groupProtocol: 'consumer'`) against the real Kafka 4.x broker: the broker assigns
// partitions, members reconcile incrementally, the member epoch is the commit identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { GroupFatalError } from '../../src/consumer/group/errors.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { consumeUntil, testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();

const kip848 = {
  groupProtocol: 'consumer',
  autoOffsetReset: 'earliest',
  autoCommitIntervalMs: 500,
  rebalanceTimeoutMs: 20000,
} satisfies Partial<ConsumerOptions>;

/** A member that records what it gets; `owned()` is what it holds after its listeners ran. */
function member(groupId: string, topic: string | RegExp, extra: Partial<ConsumerOptions> = {}) {
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848, ...extra });
  const records: ConsumerRecord[] = [];
  const events: string[] = [];
  let owned = new Set<string>();
  consumer.subscribe(topic, {
    onPartitionsAssigned: (ps) => {
      events.push(`assigned ${ps.map((p) => p.partition)}`);
      for (const p of ps) owned.add(`${p.topic}:${p.partition}`);
    },
    onPartitionsRevoked: (ps) => {
      events.push(`revoked ${ps.map((p) => p.partition)}`);
      owned = new Set([...owned].filter((k) => !ps.some((p) => `${p.topic}:${p.partition}` === k)));
    },
    onPartitionsLost: (ps) => {
      events.push(`lost ${ps.map((p) => p.partition)}`);
      owned = new Set([...owned].filter((k) => !ps.some((p) => `${p.topic}:${p.partition}` === k)));
    },
  });
  const running = consumer.run({ eachMessage: (r) => void records.push(r) });
  running.catch(() => {});
  return { consumer, records, events, running, owned: () => [...owned].sort() };
}

test('consumer protocol: a group joins, consumes everything, commits, and a restart resumes', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('k848');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 2000, 'first');
  const c1 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  c1.subscribe(topic);
  const first = await consumeUntil(c1, (s) => s.length >= 2000, 60000);
  assert.equal(first.length, 2000);
  assert.equal(new Set(first.map((r) => `${r.partition}:${r.offset}`)).size, 2000);

  await env.producer.fill(topic, 4, 400, 'second');
  const c2 = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848 });
  c2.subscribe(topic);
  const second = await consumeUntil(c2, (s) => s.length >= 400, 60000);
  assert.equal(second.length, 400);
  assert.ok(
    second.every((r) => r.value!.toString().startsWith('second')),
    'resumed after what the first consumer committed with its member epoch',
  );
});

/** Waits until `members` together own all `n` partitions of `topic`, each exactly once, and each member some. */
async function settled(members: ReturnType<typeof member>[], topic: string, n: number, what: string) {
  await waitFor(
    () => {
      const all = members.flatMap((m) => m.owned());
      const ok =
        all.length === n &&
        new Set(all).size === n &&
        all.every((k) => k.startsWith(`${topic}:`)) &&
        members.every((m) => m.owned().length > 0);
      return ok || undefined;
    },
    { timeoutMs: 40000, what },
  );
}

test('consumer protocol: two members split the partitions; a third joins and leaves incrementally', {
  timeout: 150000,
}, async () => {
  const topic = uniqueName('k848inc');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 6);
  await env.producer.fill(topic, 6, 600, 'a');
  const a = member(groupId, topic);
  const b = member(groupId, topic);
  try {
    await settled([a, b], topic, 6, 'two members own all 6 partitions');
    await waitFor(() => (a.records.length + b.records.length >= 600 ? true : undefined), {
      timeoutMs: 30000,
      what: 'the first 600 records',
    });
    const aBefore = a.owned();
    const bBefore = b.owned();

    const c = member(groupId, topic);
    await settled([a, b, c], topic, 6, 'three members own all 6 partitions');
    // Incremental: A and B only gave partitions up (to C); what each kept it never stopped owning.
    for (const [m, before] of [
      [a, aBefore],
      [b, bBefore],
    ] as const) {
      const after = m.owned();
      assert.ok(
        after.every((k) => before.includes(k)),
        `a member kept a subset of what it had: ${before} → ${after}`,
      );
      const newEvents = m.events.filter((e) => e.startsWith('lost'));
      assert.deepEqual(newEvents, [], 'nothing lost');
    }
    const keptByA = a.owned().map((k) => Number(k.split(':')[1]));
    // The partitions A kept keep flowing while C is in the group.
    const aCount = a.records.length;
    await env.producer.fill(topic, 6, 600, 'b');
    await waitFor(
      () =>
        a.records.slice(aCount).filter((r) => keptByA.includes(r.partition)).length >= keptByA.length * 100
          ? true
          : undefined,
      { timeoutMs: 30000, what: 'records of the partitions A kept' },
    );

    const cOwned = c.owned();
    await c.consumer.close();
    await settled([a, b], topic, 6, 'two members own all 6 again after C left');
    assert.ok(
      cOwned.every((k) => a.owned().includes(k) || b.owned().includes(k)),
      "C's partitions went back to A and B",
    );
    // Everything produced was seen, nothing beyond the committed window twice: every offset once.
    await waitFor(
      () => {
        const seen = new Set([...a.records, ...b.records, ...c.records].map((r) => `${r.partition}:${r.offset}`));
        return seen.size >= 1200 ? true : undefined;
      },
      { timeoutMs: 30000, what: 'all 1200 records' },
    );
  } finally {
    await Promise.all([a.consumer.close(), b.consumer.close()]);
  }
});

test('consumer protocol: a regex subscription is resolved by the broker, including topics created later', {
  timeout: 90000,
}, async () => {
  const prefix = uniqueName('k848re');
  const groupId = uniqueName('g');
  await env.producer.createTopic(`${prefix}-one`, 2);
  await env.producer.createTopic(`${prefix}x-other`, 1);
  await env.producer.fill(`${prefix}-one`, 2, 100, 'one');
  await env.producer.fill(`${prefix}x-other`, 1, 50, 'other');
  const m = member(groupId, new RegExp(`^${prefix}-.*`));
  try {
    await waitFor(() => (m.records.length >= 100 ? true : undefined), { timeoutMs: 30000, what: 'topic one' });
    await env.producer.createTopic(`${prefix}-two`, 1);
    await env.producer.fill(`${prefix}-two`, 1, 30, 'two');
    // The broker refreshes its regex resolution periodically (group.consumer.regex.refresh.interval.ms).
    await waitFor(() => (m.records.length >= 130 ? true : undefined), { timeoutMs: 60000, what: 'topic two' });
    assert.ok(
      m.records.every((r) => r.topic.startsWith(`${prefix}-`)),
      'no record of the unmatched topic',
    );
    assert.equal(m.records.length, 130);
  } finally {
    await m.consumer.close();
  }
});

test('consumer protocol: a static member that restarts gets its partitions back; the other member sees nothing', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('k848st');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  const a = member(groupId, topic, { groupInstanceId: 'a' });
  let b = member(groupId, topic, { groupInstanceId: 'b' });
  try {
    await settled([a, b], topic, 4, 'two static members own all 4');
    const bOwned = b.owned();
    const aEvents = a.events.length;
    await b.consumer.close();
    b = member(groupId, topic, { groupInstanceId: 'b' });
    await settled([a, b], topic, 4, 'the restarted static member is back');
    assert.deepEqual(b.owned(), bOwned, 'same partitions after the restart');
    assert.deepEqual(a.events.slice(aEvents), [], 'the other member was not rebalanced');
  } finally {
    await Promise.all([a.consumer.close(), b.consumer.close()]);
  }
});

test('consumer protocol: a second process with a static member id in use fails with UNRELEASED_INSTANCE_ID', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('k848dup');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 2);
  const a = member(groupId, topic, { groupInstanceId: 'same' });
  try {
    await waitFor(() => (a.owned().length === 2 ? true : undefined), { timeoutMs: 30000, what: 'a owns both' });
    const b = new Consumer({ brokers: env.kafka.bootstrap, groupId, ...kip848, groupInstanceId: 'same' });
    b.subscribe(topic);
    await assert.rejects(
      b.run({ eachMessage: () => {} }),
      (err: unknown) =>
        err instanceof GroupFatalError && err.code === 'UNRELEASED_INSTANCE_ID' && /instance/i.test(err.message),
    );
    await b.close();
    assert.deepEqual(a.owned().length, 2, 'the running member keeps its partitions');
    assert.ok(!a.events.some((e) => e.startsWith('lost') || e.startsWith('revoked')));
  } finally {
    await a.consumer.close();
  }
});
