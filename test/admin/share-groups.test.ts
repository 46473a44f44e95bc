// Share groups (KIP-932) in the admin against the real 4.x broker: list with type, describe members and
// assignments, start offsets and lag, alter only while empty, delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { isKafkaError } from '../../src/protocol/errors.js';
import { testEnv } from '../helpers/env.js';
import { sharedKafka, uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember } from '../share/helpers.js';

const env = testEnv();
let admin: Admin;
before(async () => {
  // The same broker testEnv uses (started here first, so the test runner knows this file needs it).
  admin = new Admin({ brokers: (await sharedKafka()).bootstrap });
});
after(() => admin?.close());

test('share group admin: list (type share), describe members and assignment, start offsets and lag, alter only when empty, delete', {
  timeout: 120_000,
}, async () => {
  const topic = uniqueName('share-adm');
  const groupId = uniqueName('sg-adm');
  await env.producer.createTopic(topic, 2);
  await env.producer.fill(topic, 2, 100, 'first');
  await shareGroupConfig(env.kafka.bootstrap, groupId);

  const m = shareMember(env.kafka.bootstrap, groupId, topic);
  try {
    await waitFor(() => m.seen.length >= 100 || undefined, { timeoutMs: 60_000, what: 'all 100 records' });

    const listed = await admin.listGroups({ types: ['share'] });
    const mine = listed.find((g) => g.groupId === groupId);
    assert.ok(mine, 'listGroups({ types: [share] }) lists the group');
    assert.equal(mine.type, 'share');
    assert.ok(
      listed.every((g) => g.type === 'share'),
      'the type filter keeps only share groups',
    );
    assert.equal((await admin.listGroups()).find((g) => g.groupId === groupId)?.type, 'share');

    const group = await waitFor(
      async () => {
        const [g] = await admin.describeShareGroups(groupId);
        return g?.state === 'Stable' && g.members[0]?.assignment.length === 2 ? g : undefined;
      },
      { timeoutMs: 30_000, what: 'a stable group with both partitions assigned' },
    );
    assert.equal(group.type, 'share');
    assert.equal(group.members.length, 1);
    assert.equal(group.coordinator, env.kafka.brokers[0]!.nodeId);
    assert.ok(group.assignor, 'an assignor is named');
    const [member] = group.members;
    assert.deepEqual(member!.subscribedTopics, [topic]);
    assert.deepEqual(member!.assignment, [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    assert.ok(member!.memberEpoch > 0);
    // describeGroups is for classic and consumer groups: a share group is not one of them.
    await assert.rejects(admin.describeGroups(groupId), (err: unknown) => isKafkaError(err, 'GROUP_ID_NOT_FOUND'));

    // The group has state for both partitions while its member runs.
    const running = await waitFor(
      async () => {
        const o = await admin.listShareGroupOffsets(groupId);
        return o.length === 2 ? o : undefined;
      },
      { timeoutMs: 30_000, what: 'start offsets for both partitions' },
    );
    assert.deepEqual(
      running.map((o) => [o.topic, o.partition]),
      [
        [topic, 0],
        [topic, 1],
      ],
    );

    // Kafka moves a share group's start offsets only while it has no members.
    await assert.rejects(
      admin.alterShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 10 }]),
      (err: unknown) => isKafkaError(err, 'NON_EMPTY_GROUP') && err.retriable === false && err.groupId === groupId,
    );
  } finally {
    await m.consumer.close();
    await m.running;
  }

  await waitFor(async () => ((await admin.describeShareGroups(groupId))[0]!.members.length === 0 ? true : undefined), {
    timeoutMs: 30_000,
    what: 'the member gone',
  });
  // Everything accepted: nothing left to deliver. Kafka 4.4 reports it through the lag (records done past
  // the start offset are not counted); the start offset itself may stay behind (it is at most the end).
  const done = await waitFor(
    async () => {
      const o = await admin.listShareGroupOffsets(groupId);
      return o.length === 2 && o.every((x) => x.lag === 0) ? o : undefined;
    },
    { timeoutMs: 30_000, what: 'lag 0 on both partitions' },
  );
  for (const o of done) assert.ok(o.startOffset >= 0 && o.startOffset <= 50, `start offset ${o.startOffset}`);
  await env.producer.fill(topic, 2, 20, 'second');
  const lag = await admin.shareGroupLag(groupId);
  assert.deepEqual(
    lag.partitions.map((p) => [p.partition, p.logEndOffset, p.lag, p.lagSource]),
    [
      [0, 60, 10, 'broker'],
      [1, 60, 10, 'broker'],
    ],
  );
  assert.equal(lag.totalLag, 20);
  assert.deepEqual(lag.topics, { [topic]: 20 });

  await admin.alterShareGroupOffsets(groupId, [{ topic, partition: 0, offset: 55 }]);
  const moved = await admin.listShareGroupOffsets(groupId, [{ topic, partition: 0 }]);
  assert.deepEqual(
    moved.map((o) => [o.partition, o.startOffset]),
    [[0, 55]],
  );
  const lag2 = await admin.shareGroupLag(groupId);
  assert.equal(lag2.partitions[0]!.lag, 5);
  assert.equal(lag2.totalLag, 15);

  await admin.deleteShareGroupOffsets(groupId, topic);
  assert.deepEqual(await admin.listShareGroupOffsets(groupId), []);

  await assert.rejects(admin.describeShareGroups(uniqueName('no-such-share-group')), (err: unknown) =>
    isKafkaError(err, 'GROUP_ID_NOT_FOUND'),
  );
  await assert.rejects(admin.alterShareGroupOffsets(groupId, [{ topic, partition: 0, offset: -1 }]), {
    code: 'INVALID_CONFIG',
  });
});
