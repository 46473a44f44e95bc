// KIP-345 against the real broker: a static member (groupInstanceId) that goes away and comes back
// within the session timeout gets its partitions back without a rebalance — the other member sees no
// callbacks and stays in its generation.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerOptions } from '../../src/consumer/options.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { GroupProbe, Member, sleep } from './fixtures/children.js';

const env = testEnv('sluice-static-');

const groupOptions = {
  autoOffsetReset: 'earliest',
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 10000,
  autoCommitIntervalMs: 500,
} satisfies Partial<ConsumerOptions>;

/** An in-process member that records its callbacks and records. */
function member(groupId: string, topic: string, instance: string) {
  const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId, groupInstanceId: instance, ...groupOptions });
  const callbacks: string[] = [];
  const records: ConsumerRecord[] = [];
  let owned: number[] = [];
  consumer.subscribe(topic, {
    onPartitionsAssigned: (ps) => {
      callbacks.push(`assigned ${ps.map((p) => p.partition)}`);
      owned = [...owned, ...ps.map((p) => p.partition)].sort();
    },
    onPartitionsRevoked: (ps) => {
      callbacks.push(`revoked ${ps.map((p) => p.partition)}`);
      owned = owned.filter((p) => !ps.some((x) => x.partition === p));
    },
    onPartitionsLost: (ps) => {
      callbacks.push(`lost ${ps.map((p) => p.partition)}`);
      owned = owned.filter((p) => !ps.some((x) => x.partition === p));
    },
  });
  const running = consumer.run({ eachMessage: (r) => void records.push(r) });
  return {
    consumer,
    callbacks,
    records,
    running,
    owned: () => owned,
    /** Test-only peek at the classic member's generation. */
    generation: () =>
      (consumer as unknown as { core: { membership: { generationId: number } } }).core.membership.generationId,
  };
}

/** Waits until the group is Stable with exactly `n` members that all have partitions. */
async function stable(probe: GroupProbe, n: number) {
  return waitFor(
    async () => {
      const d = await probe.describe();
      return d.state === 'Stable' && d.members.length === n && d.members.every((m) => m.assignment.length > 0)
        ? d
        : undefined;
    },
    { timeoutMs: 30000, what: `group stable with ${n} members` },
  );
}

test('static member closes and restarts within the session timeout: no rebalance for the other member', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('static');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 400, 'before');
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const a = member(groupId, topic, 'a');
  let b = member(groupId, topic, 'b');
  const consumers = [a.consumer, b.consumer];
  try {
    const before = await stable(probe, 2);
    await waitFor(() => a.records.length + b.records.length >= 400, { timeoutMs: 30000, what: 'first records' });
    const aCallbacks = [...a.callbacks];
    const aGeneration = a.generation();
    const bOwned = b.owned();
    const aMember = before.members.find((m) => m.groupInstanceId === 'a')!;
    const bMember = before.members.find((m) => m.groupInstanceId === 'b')!;

    await b.consumer.close();
    await b.running;
    const closedAt = Date.now();
    b = member(groupId, topic, 'b');
    consumers.push(b.consumer);
    const restarted = b;
    await waitFor(() => restarted.owned().length > 0, { timeoutMs: 30000, what: 'restarted b assigned' });
    assert.ok(Date.now() - closedAt < groupOptions.sessionTimeoutMs, 'restarted within the session timeout');
    assert.deepEqual(b.owned(), bOwned, 'the restarted member gets its partitions back');

    // New records reach both members; give a rebalance, if one were coming, time to show.
    await env.producer.fill(topic, 4, 400, 'after');
    await waitFor(
      () => [...a.records, ...b.records].filter((r) => r.value!.toString().startsWith('after')).length >= 400,
      {
        timeoutMs: 30000,
        what: 'records after the restart',
      },
    );
    await sleep(3 * groupOptions.heartbeatIntervalMs);

    assert.deepEqual(a.callbacks, aCallbacks, 'the other member saw no revoke/assign callbacks');
    assert.equal(a.generation(), aGeneration, 'the other member kept its generation');
    const after = await probe.describe();
    assert.equal(after.state, 'Stable');
    assert.equal(after.members.find((m) => m.groupInstanceId === 'a')?.memberId, aMember.memberId);
    assert.deepEqual(after.members.find((m) => m.groupInstanceId === 'a')?.assignment, aMember.assignment);
    const bNow = after.members.find((m) => m.groupInstanceId === 'b')!;
    assert.notEqual(bNow.memberId, bMember.memberId, 'b rejoined as a new member id under the same instance id');
    assert.deepEqual(bNow.assignment, bMember.assignment);
    // Nothing was read twice: b committed on close and the restart resumed there.
    const keys = [...a.records, ...b.records].map((r) => `${r.partition}/${r.offset}`);
    assert.equal(new Set(keys).size, keys.length, 'no record delivered twice');
  } finally {
    await Promise.all(consumers.map((c) => c.close().catch(() => {})));
    probe.close();
  }
});

test('static member kill -9 and restart within the session timeout: no rebalance for the other member', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('static-kill');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  await env.producer.fill(topic, 4, 400);
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const a = member(groupId, topic, 'a');
  const children: Member[] = [];
  const start = (name: string) => {
    const m = new Member(name, {
      bootstrap: env.kafka.bootstrap,
      groupId,
      topic,
      log: path.join(env.dir, `${groupId}-${name}.jsonl`),
      options: { ...groupOptions, groupInstanceId: 'b' },
    });
    children.push(m);
    return m;
  };
  try {
    const b1 = start('b1');
    const before = await stable(probe, 2);
    await b1.until('b1 assigned', () => b1.owned().size > 0);
    const aCallbacks = [...a.callbacks];
    const aGeneration = a.generation();
    const bOwned = [...b1.owned()].sort();
    await b1.kill9();
    const b2 = start('b2');
    await b2.until('b2 assigned', () => b2.owned().size > 0, 30000);
    assert.ok(b2.events.find((e) => e.ev === 'assigned')!.t - b1.killedAt! < groupOptions.sessionTimeoutMs);
    assert.deepEqual([...b2.owned()].sort(), bOwned, 'the restarted member gets its partitions back');
    await sleep(3 * groupOptions.heartbeatIntervalMs);

    assert.deepEqual(a.callbacks, aCallbacks, 'the other member saw no revoke/assign callbacks');
    assert.equal(a.generation(), aGeneration, 'the other member kept its generation');
    const after = await probe.describe();
    assert.equal(after.state, 'Stable');
    const aBefore = before.members.find((m) => m.groupInstanceId === 'a')!;
    assert.deepEqual(
      after.members.map((m) => [m.groupInstanceId, m.assignment]).sort(),
      before.members.map((m) => [m.groupInstanceId, m.assignment]).sort(),
    );
    assert.equal(after.members.find((m) => m.groupInstanceId === 'a')?.memberId, aBefore.memberId);
    await b2.close();
  } finally {
    await a.consumer.close().catch(() => {});
    await Promise.all(children.map((c) => c.destroy()));
    probe.close();
  }
});
