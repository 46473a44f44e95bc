// The KIP-848 heartbeat as sent to the real broker (recorded by wrapping Connection.request in this
// process): the full request on joining, then only what changed (the owned partitions, to acknowledge
// a reconciliation), at the broker's interval — and it keeps going while a handler blocks.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { Connection } from '../../src/network/connection.js';
import type { ConsumerHeartbeatEvent, ConsumerJoinEvent } from '../../src/observability/channels.js';
import type { ConsumerGroupHeartbeatRequest } from '../../src/protocol/generated/consumer-group-heartbeat.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName, waitFor } from '../kafka/index.js';

const env = testEnv();

test('consumer protocol heartbeats: full on join, then only changes; never held up by a blocked handler', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('k848hb');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 10, 'x');
  const sent: { t: number; req: ConsumerGroupHeartbeatRequest }[] = [];
  const original = Connection.prototype.request;
  Connection.prototype.request = function (this: Connection, api, body, opts) {
    if (api.key === 68 && (body as ConsumerGroupHeartbeatRequest).groupId === groupId)
      sent.push({ t: Date.now(), req: structuredClone(body as ConsumerGroupHeartbeatRequest) });
    return original.call(this, api, body, opts) as never;
  } as typeof original;
  let release: () => void = () => {};
  let blockedAt = 0;
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    groupId,
    groupProtocol: 'consumer',
    autoOffsetReset: 'earliest',
  });
  try {
    consumer.subscribe(topic);
    const running = consumer.run({
      eachMessage: async () => {
        if (blockedAt) return;
        blockedAt = Date.now();
        // Ignores its signal on purpose: a handler stuck for a while.
        await new Promise<void>((r) => {
          release = r;
          setTimeout(r, 4000);
        });
      },
    });
    running.catch(() => {});
    await waitFor(() => (blockedAt ? true : undefined), { timeoutMs: 30000, what: 'the handler to block' });
    await waitFor(() => (Date.now() - blockedAt > 3500 ? true : undefined), { timeoutMs: 10000, what: '3.5 s' });
    const during = sent.filter((s) => s.t > blockedAt && s.t < blockedAt + 3500).length;
    // The harness broker asks for a heartbeat every 1000 ms.
    assert.ok(during >= 2, `heartbeats went on while the handler was blocked (${during} in 3.5 s)`);
    assert.ok(during <= 8, `at the broker's interval, not in a tight loop (${during} in 3.5 s)`);

    const [first, ...rest] = sent.map((s) => s.req);
    assert.equal(first!.memberEpoch, 0, 'joins with epoch 0');
    assert.deepEqual(first!.subscribedTopicNames, [topic], 'the join carries the subscription');
    assert.ok((first!.rebalanceTimeoutMs ?? -1) > 0, 'and the rebalance timeout');
    assert.deepEqual(first!.topicPartitions, [], 'and what it owns: nothing');
    const acks = rest.filter((r) => r.topicPartitions != null);
    assert.equal(acks.length, 1, 'one heartbeat acknowledges the assignment');
    assert.equal(acks[0]!.topicPartitions![0]!.partitions.length, 2);
    for (const r of rest) {
      assert.ok(r.memberEpoch > 0, 'later heartbeats carry the member epoch');
      assert.equal(r.subscribedTopicNames ?? null, null, 'an unchanged subscription is left out');
      assert.equal(r.rebalanceTimeoutMs ?? -1, -1, 'an unchanged rebalance timeout is left out');
    }
  } finally {
    release();
    await consumer.close();
    Connection.prototype.request = original;
  }
});

test('consumer protocol diagnostics: sluice:consumer:join for each reconciled assignment (epoch, whole assignment), sluice:consumer:heartbeat per accepted heartbeat', {
  timeout: 60000,
}, async () => {
  const topic = uniqueName('k848dc');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, 4);
  const joins: ConsumerJoinEvent[] = [];
  const beats: ConsumerHeartbeatEvent[] = [];
  const onJoin = (e: unknown) => (e as ConsumerJoinEvent).groupId === groupId && joins.push(e as ConsumerJoinEvent);
  const onBeat = (e: unknown) =>
    (e as ConsumerHeartbeatEvent).groupId === groupId && beats.push(e as ConsumerHeartbeatEvent);
  diagnostics_channel.subscribe('sluice:consumer:join', onJoin);
  diagnostics_channel.subscribe('sluice:consumer:heartbeat', onBeat);
  const member = () => {
    const c = new Consumer({ brokers: env.kafka.bootstrap, groupId, groupProtocol: 'consumer' });
    c.subscribe(topic);
    const running = c.run({ eachMessage: () => {} });
    return { c, running };
  };
  const a = member();
  try {
    await waitFor(() => joins.some((j) => j.assignment.length === 4) || undefined, {
      timeoutMs: 30000,
      what: 'a join event with all 4 partitions',
    });
    const b = member();
    try {
      // The first member gives two partitions away: a new join event with its smaller assignment.
      await waitFor(
        () =>
          joins.some(
            (j) => j.memberId === joins.find((f) => f.assignment.length === 4)!.memberId && j.assignment.length === 2,
          ) || undefined,
        { timeoutMs: 30000, what: 'the first member reconciled down to 2 partitions' },
      );
      await waitFor(() => new Set(beats.map((h) => h.memberId)).size === 2 || undefined, {
        timeoutMs: 30000,
        what: 'heartbeats of both members',
      });
    } finally {
      await b.c.close();
      await b.running;
    }
  } finally {
    diagnostics_channel.unsubscribe('sluice:consumer:join', onJoin);
    diagnostics_channel.unsubscribe('sluice:consumer:heartbeat', onBeat);
    await a.c.close();
    await a.running;
  }
  // The first reconciled target may be empty (the broker answers the join before it has assigned).
  const first = joins.find((j) => j.assignment.length === 4)!;
  assert.equal(first.isLeader, false);
  assert.equal(first.leaderId, '');
  assert.ok(first.generationId > 0, 'the member epoch');
  assert.deepEqual(
    first.assignment.map((p) => `${p.topic}-${p.partition}`),
    [0, 1, 2, 3].map((p) => `${topic}-${p}`),
  );
  const later = joins.filter((j) => j.memberId === first.memberId).at(-1)!;
  // Revocations happen within the epoch: the broker bumps it once they are acknowledged.
  assert.ok(later.generationId >= first.generationId);
  assert.deepEqual(
    later.assignment.map((p) => p.topic),
    [topic, topic],
  );
  assert.ok(beats.every((h) => h.generationId > 0));
});
