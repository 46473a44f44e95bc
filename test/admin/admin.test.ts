import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { AdminError } from '../../src/admin/errors.js';
import { ConfigError } from '../../src/errors.js';
import { Producer } from '../../src/producer/producer.js';
import { KafkaError } from '../../src/protocol/errors.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';

let kafka: KafkaInfo;
let admin: Admin;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

test('createTopics, describeTopics, listTopics, createPartitions, describeConfigs/alterConfigs, deleteTopics', async () => {
  const topic = uniqueName('adm');
  const [created] = await admin.createTopics([
    { topic, numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': 3600000 } },
  ]);
  assert.equal(created!.topic, topic);
  assert.equal(created!.numPartitions, 3);
  assert.equal(created!.replicationFactor, 1);
  assert.match(created!.topicId, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(created!.configs.find((c) => c.name === 'retention.ms')?.value, '3600000');

  const [d] = await admin.describeTopics(topic);
  assert.equal(d!.topicId, created!.topicId);
  assert.equal(d!.isInternal, false);
  assert.deepEqual(
    d!.partitions.map((p) => p.partition),
    [0, 1, 2],
  );
  for (const p of d!.partitions) {
    assert.equal(p.leader, kafka.brokers[0]!.nodeId);
    assert.deepEqual(p.replicas, [p.leader]);
    assert.deepEqual(p.isr, [p.leader]);
  }
  assert.ok((await admin.listTopics()).includes(topic));
  assert.ok(!(await admin.listTopics()).includes('__consumer_offsets'));

  await admin.createPartitions([{ topic, count: 5 }]);
  assert.equal((await admin.describeTopics(topic))[0]!.partitions.length, 5);

  await admin.alterConfigs([
    {
      type: 'topic',
      name: topic,
      changes: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'retention.ms', op: 'delete' },
      ],
    },
  ]);
  // The controller applied it; the broker answering describeConfigs learns it a moment later.
  let cfg: Awaited<ReturnType<Admin['describeConfigs']>>[number] | undefined;
  for (let i = 0; i < 100; i++) {
    [cfg] = await admin.describeConfigs([{ type: 'topic', name: topic, names: ['cleanup.policy', 'retention.ms'] }]);
    if (cfg!.configs['cleanup.policy']!.value === 'compact') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(cfg!.configs['cleanup.policy']!.value, 'compact');
  assert.equal(cfg!.configs['cleanup.policy']!.source, 'DYNAMIC_TOPIC_CONFIG');
  assert.equal(cfg!.configs['retention.ms']!.source, 'DEFAULT_CONFIG');

  const [broker] = await admin.describeConfigs([
    { type: 'broker', name: String(kafka.brokers[0]!.nodeId), names: ['num.partitions'] },
  ]);
  assert.equal(broker!.configs['num.partitions']!.value, '1');

  await admin.deleteTopics(topic);
  await assert.rejects(admin.describeTopics(topic), { code: 'UNKNOWN_TOPIC_OR_PARTITION' });
});

test('describeCluster: cluster id, controller and brokers', async () => {
  const c = await admin.describeCluster();
  assert.match(c.clusterId, /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(
    c.brokers.map((b) => [b.nodeId, b.port]),
    kafka.brokers.map((b) => [b.nodeId, b.port]),
  );
  assert.equal(c.controller?.nodeId, c.controllerId);
});

test('bad input gives typed errors with Kafka’s error names, per item', async () => {
  const existing = uniqueName('exists');
  await admin.createTopics([{ topic: existing }]);

  // One item: its own KafkaError.
  await assert.rejects(admin.createTopics([{ topic: existing }]), (err: unknown) => {
    assert.ok(err instanceof KafkaError);
    assert.equal(err.code, 'TOPIC_ALREADY_EXISTS');
    assert.equal(err.errorCode, 36);
    assert.equal(err.topic, existing);
    return true;
  });
  await assert.rejects(admin.createTopics([{ topic: 'bad name!' }]), { code: 'INVALID_TOPIC_EXCEPTION' });
  await assert.rejects(admin.describeGroups(uniqueName('no-such-group')), { code: 'GROUP_ID_NOT_FOUND' });
  await assert.rejects(admin.groupLag(uniqueName('no-such-group')), { code: 'GROUP_ID_NOT_FOUND' });
  await assert.rejects(admin.deleteGroups(uniqueName('no-such-group')), { code: 'GROUP_ID_NOT_FOUND' });
  await assert.rejects(admin.describeTopics(uniqueName('no-such-topic')), { code: 'UNKNOWN_TOPIC_OR_PARTITION' });

  // Several items: which failed, with which error, and which were created.
  const fresh = uniqueName('fresh');
  const t0 = Date.now();
  await assert.rejects(
    admin.createTopics([{ topic: existing }, { topic: fresh, numPartitions: 2 }, { topic: 'bad/name' }]),
    (err: unknown) => {
      assert.ok(err instanceof AdminError);
      assert.ok(err instanceof KafkaError);
      assert.equal(err.code, 'TOPIC_ALREADY_EXISTS');
      assert.deepEqual(
        err.failures.map((f) => [f.item, f.error.code]),
        [
          [existing, 'TOPIC_ALREADY_EXISTS'],
          ['bad/name', 'INVALID_TOPIC_EXCEPTION'],
        ],
      );
      assert.deepEqual(err.succeeded, [fresh]);
      assert.match(err.message, /CreateTopics: 2 of 3 failed/);
      return true;
    },
  );
  assert.ok(Date.now() - t0 < 10000, 'final errors are not retried until the deadline');
  assert.equal((await admin.describeTopics(fresh))[0]!.partitions.length, 2);

  assert.throws(() => admin.createTopics('t' as never), ConfigError);
  await assert.rejects(admin.listOffsets([{ topic: fresh, partition: 0, at: 'soon' as never }]), ConfigError);
  await admin.deleteTopics([existing, fresh]);
});

test('alterGroupOffsets, listGroupOffsets, groupLag (read_uncommitted vs read_committed), deleteGroupOffsets', async () => {
  const topic = uniqueName('lag');
  const groupId = uniqueName('lag-group');
  await admin.createTopics([{ topic, numPartitions: 2 }]);
  const producer = new Producer({ brokers: kafka.bootstrap, lingerMs: 0 });
  const txn = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('lag-tx') });
  try {
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}`, partition })),
      });
    }
    await admin.alterGroupOffsets(groupId, [
      { topic, partition: 0, offset: 30, metadata: 'set by admin' },
      { topic, partition: 1, offset: 100 },
    ]);
    assert.deepEqual(await admin.listGroupOffsets(groupId), [
      { topic, partition: 0, offset: 30, leaderEpoch: -1, metadata: 'set by admin' },
      { topic, partition: 1, offset: 100, leaderEpoch: -1, metadata: '' },
    ]);
    assert.deepEqual(
      (await admin.listGroupOffsets(groupId, [{ topic, partition: 1 }])).map((o) => o.offset),
      [100],
    );

    let lag = await admin.groupLag(groupId);
    assert.deepEqual(lag.partitions, [
      { topic, partition: 0, committedOffset: 30, logEndOffset: 100, lag: 70 },
      { topic, partition: 1, committedOffset: 100, logEndOffset: 100, lag: 0 },
    ]);
    assert.equal(lag.totalLag, 70);
    assert.deepEqual(lag.topics, { [topic]: 70 });

    // An open transaction: its records count for read_uncommitted, not for read_committed (LSO).
    await txn.beginTransaction();
    await txn.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `t${i}`, partition: 0 })) });
    lag = await admin.groupLag(groupId);
    assert.equal(lag.partitions[0]!.logEndOffset, 110);
    assert.equal(lag.totalLag, 80);
    lag = await admin.groupLag(groupId, { isolationLevel: 'read_committed' });
    assert.equal(lag.partitions[0]!.logEndOffset, 100);
    assert.equal(lag.totalLag, 70);
    await txn.commitTransaction();
    // The coordinator writes the commit marker after EndTxn returns: the LSO moves a moment later.
    for (let i = 0; i < 100; i++) {
      lag = await admin.groupLag(groupId, { isolationLevel: 'read_committed' });
      if (lag.partitions[0]!.logEndOffset === 111) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(lag.partitions[0]!.logEndOffset, 111); // 10 records + the commit marker
    assert.equal(lag.totalLag, 81);

    const [group] = await admin.describeGroups(groupId);
    assert.equal(group!.state, 'Empty');
    assert.equal(group!.members.length, 0);

    await admin.deleteGroupOffsets(groupId, [{ topic, partition: 0 }]);
    assert.deepEqual(
      (await admin.listGroupOffsets(groupId)).map((o) => o.partition),
      [1],
    );
    lag = await admin.groupLag(groupId);
    assert.equal(lag.partitions[0]!.committedOffset, null);
    assert.equal(lag.partitions[0]!.lag, null);
    await admin.deleteGroups(groupId);
  } finally {
    await txn.close();
    await producer.close();
  }
});

test('listOffsets: earliest, latest, by timestamp and maxTimestamp', async () => {
  const topic = uniqueName('offsets');
  await admin.createTopics([{ topic, numPartitions: 1 }]);
  const producer = new Producer({ brokers: kafka.bootstrap });
  try {
    const base = Date.now() - 10000;
    await producer.send({
      topic,
      messages: [
        { value: 'a', timestamp: base },
        { value: 'b', timestamp: base + 5000 },
        { value: 'c', timestamp: base + 1000 },
      ],
    });
    const got = await admin.listOffsets([
      { topic, partition: 0, at: 'earliest' },
      { topic, partition: 0 },
      { topic, partition: 0, at: base + 500 },
      { topic, partition: 0, at: 'maxTimestamp' },
      { topic, partition: 0, at: base + 60000 },
    ]);
    assert.deepEqual(
      got.map((o) => o.offset),
      [0, 3, 1, 1, -1],
    );
    assert.equal(got[2]!.timestamp, base + 5000);
    assert.equal(got[3]!.timestamp, base + 5000);
  } finally {
    await producer.close();
  }
});
