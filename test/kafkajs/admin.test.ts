// sluice/kafkajs admin against KafkaJS 2.2.4's admin on the same broker: every call's result is
// compared with what KafkaJS returns (deep-equal where it is deterministic), and so are the error
// classes. Where Sluice differs on purpose the test says so (docs/migrating-from-kafkajs.md lists it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as real from 'kafkajs';
import {
  AclOperationTypes,
  type Admin,
  ConfigResourceTypes,
  ConfigSource,
  Kafka,
  KafkaJSNotImplemented,
  logLevel,
  ResourcePatternTypes,
} from '../../src/kafkajs/index.js';
import { Producer } from '../../src/producer/producer.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let kafka: KafkaInfo;
let ours: Admin;
let theirs: real.Admin;
let brokers: string[];
/** A topic with records at known timestamps, read by both admins. */
let topic: string;

before(async () => {
  kafka = await sharedKafka();
  brokers = kafka.bootstrap.split(',');
  ours = new Kafka({ clientId: 'facade-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  const retry = { retries: 2, initialRetryTime: 100, maxRetryTime: 300 };
  theirs = new real.Kafka({ clientId: 'real-admin', brokers, logLevel: real.logLevel.NOTHING, retry }).admin();
  await ours.connect();
  await theirs.connect();
  topic = uniqueName('kjs-admin');
  assert.equal(
    await ours.createTopics({
      // A topic-level retention (describeConfigs checks its source), and an infinite one: the records
      // below are stamped in 1970, so any finite retention lets the broker's periodic retention check
      // delete them in the middle of the file (it did: offsets 2 where 0 was expected).
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '-1' }] }],
    }),
    true,
  );
  // Written by Sluice's idempotent producer: a KafkaJS producer (not idempotent by default) may write a
  // batch twice when it retries right after the topic is created, and the offsets below must be exact.
  const p = new Producer({ brokers: kafka.bootstrap });
  await p.send({
    topic,
    messages: [
      { value: 'a', partition: 0, timestamp: 1000 },
      { value: 'b', partition: 0, timestamp: 2000 },
      { value: 'c', partition: 1, timestamp: 3000 },
    ],
  });
  await p.close();
});
after(async () => {
  await ours?.disconnect();
  await theirs?.disconnect();
});

const byPartition = <T extends { partition: number }>(list: T[]) => [...list].sort((a, b) => a.partition - b.partition);

/** Both promises' outcomes: values, or errors reduced to what callers look at. */
async function outcome(p: Promise<unknown>) {
  try {
    return { value: await p };
  } catch (e) {
    const err = e as Error & Record<string, unknown>;
    return {
      error: {
        name: err.name,
        type: err.type,
        retriable: err.retriable,
        // KafkaJS's "retries exceeded" wraps the last error; Sluice's errors also carry Sluice's as `cause`.
        ...(err.name === 'KafkaJSNumberOfRetriesExceeded'
          ? { causeName: (err.cause as Error).name, causeType: (err.cause as { type?: string }).type }
          : {}),
      },
    };
  }
}

test('createTopics: true, false when they exist, KafkaJSAggregateError of KafkaJSCreateTopicError', async () => {
  const [a, b] = [uniqueName('kjs-ct'), uniqueName('kjs-ct')];
  assert.equal(
    await ours.createTopics({ topics: [{ topic: a }] }),
    await theirs.createTopics({ topics: [{ topic: b }] }),
  );
  assert.equal(await ours.createTopics({ topics: [{ topic: a }] }), false);
  assert.equal(await theirs.createTopics({ topics: [{ topic: b }] }), false);
  // Existing plus new: false (the new one is created), as in KafkaJS.
  const [c, d] = [uniqueName('kjs-ct'), uniqueName('kjs-ct')];
  assert.equal(await ours.createTopics({ topics: [{ topic: a }, { topic: c }] }), false);
  assert.equal(await theirs.createTopics({ topics: [{ topic: b }, { topic: d }] }), false);
  assert.ok((await ours.listTopics()).includes(c));

  const invalid = async (admin: { createTopics: Admin['createTopics'] }) => {
    try {
      await admin.createTopics({ topics: [{ topic: 'bad topic!' }] });
      return assert.fail('created an invalid topic');
    } catch (e) {
      const err = e as real.KafkaJSAggregateError;
      return {
        name: err.name,
        message: err.message,
        errors: err.errors.map((x) => {
          const c = x as Error & { type?: string; topic?: string; retriable?: boolean };
          return { name: c.name, type: c.type, topic: c.topic, retriable: c.retriable };
        }),
      };
    }
  };
  assert.deepEqual(await invalid(ours), await invalid(theirs));
  assert.equal((await invalid(ours)).errors[0]!.type, 'INVALID_TOPIC_EXCEPTION');
  // validateOnly creates nothing. (KafkaJS 2.2.4 then waits for the leaders of the topic it did not
  // create and fails; Sluice does not wait for leaders with validateOnly.)
  const e = uniqueName('kjs-ct');
  assert.equal(await ours.createTopics({ validateOnly: true, topics: [{ topic: e }] }), true);
  assert.ok(!(await ours.listTopics()).includes(e));
});

test('listTopics, fetchTopicMetadata, describeCluster: the same as KafkaJS', async () => {
  const [a, b] = [await ours.listTopics(), await theirs.listTopics()];
  assert.ok(a.includes(topic) && b.includes(topic));
  assert.equal(a.includes('__consumer_offsets'), b.includes('__consumer_offsets'));
  assert.deepEqual(
    await ours.fetchTopicMetadata({ topics: [topic] }),
    await theirs.fetchTopicMetadata({ topics: [topic] }),
  );
  const all = await ours.fetchTopicMetadata();
  assert.deepEqual(
    all.topics.find((t) => t.name === topic),
    (await theirs.fetchTopicMetadata()).topics.find((t) => t.name === topic),
  );
  const internal = (r: { topics: Array<{ name: string }> }) => r.topics.some((t) => t.name === '__consumer_offsets');
  assert.equal(internal(all), internal(await theirs.fetchTopicMetadata()));
  assert.deepEqual(await ours.describeCluster(), await theirs.describeCluster());
  const missing = uniqueName('kjs-missing');
  assert.deepEqual(
    await outcome(ours.fetchTopicMetadata({ topics: [missing] })),
    await outcome(theirs.fetchTopicMetadata({ topics: [missing] })),
  );
});

test('fetchTopicOffsets and fetchTopicOffsetsByTimestamp: the same as KafkaJS', async () => {
  assert.deepEqual(
    byPartition(await ours.fetchTopicOffsets(topic)),
    byPartition(await theirs.fetchTopicOffsets(topic)),
  );
  assert.deepEqual(byPartition(await ours.fetchTopicOffsets(topic)), [
    { partition: 0, offset: '2', high: '2', low: '0' },
    { partition: 1, offset: '1', high: '1', low: '0' },
    { partition: 2, offset: '0', high: '0', low: '0' },
  ]);
  for (const ts of [1500, undefined, 9e12]) {
    assert.deepEqual(
      byPartition(await ours.fetchTopicOffsetsByTimestamp(topic, ts)),
      byPartition(await theirs.fetchTopicOffsetsByTimestamp(topic, ts)),
      `timestamp ${ts}`,
    );
  }
  const missing = uniqueName('kjs-missing');
  const [a, b] = [await outcome(ours.fetchTopicOffsets(missing)), await outcome(theirs.fetchTopicOffsets(missing))];
  assert.deepEqual(a, b);
  assert.equal(a.error?.name, 'KafkaJSNumberOfRetriesExceeded');
});

test('fetchOffsets, setOffsets, resetOffsets: the same as KafkaJS (reset commits real offsets)', async () => {
  const [g1, g2] = [uniqueName('kjs-g'), uniqueName('kjs-g')];
  const sort = (r: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>) =>
    r.map((t) => ({ ...t, partitions: byPartition(t.partitions) }));
  assert.deepEqual(
    sort(await ours.fetchOffsets({ groupId: g1, topics: [topic] })),
    sort(await theirs.fetchOffsets({ groupId: g2, topics: [topic] })),
  );
  await ours.setOffsets({ groupId: g1, topic, partitions: [{ partition: 0, offset: '1' }] });
  await theirs.setOffsets({ groupId: g2, topic, partitions: [{ partition: 0, offset: '1' }] });
  // Each admin reads both groups: the same answers.
  for (const g of [g1, g2]) {
    const mine = sort(await ours.fetchOffsets({ groupId: g, topics: [topic] }));
    assert.deepEqual(mine, sort(await theirs.fetchOffsets({ groupId: g, topics: [topic] })));
    assert.deepEqual(mine, [
      {
        topic,
        partitions: [
          { partition: 0, offset: '1', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
          { partition: 2, offset: '-1', metadata: null },
        ],
      },
    ]);
    assert.deepEqual(await ours.fetchOffsets({ groupId: g }), await theirs.fetchOffsets({ groupId: g }));
  }
  // KafkaJS commits -2 (a marker it resolves later); Sluice commits the earliest offset itself.
  await ours.resetOffsets({ groupId: g1, topic, earliest: true });
  await theirs.resetOffsets({ groupId: g2, topic, earliest: true });
  assert.deepEqual(
    sort(await ours.fetchOffsets({ groupId: g1, topics: [topic] }))[0]!.partitions.map((p) => p.offset),
    ['0', '0', '0'],
  );
  assert.deepEqual(
    sort(await theirs.fetchOffsets({ groupId: g2, topics: [topic] }))[0]!.partitions.map((p) => p.offset),
    ['-2', '-2', '-2'],
  );
  // resolveOffsets turns both into the same real offsets.
  assert.deepEqual(
    sort(await ours.fetchOffsets({ groupId: g2, topics: [topic], resolveOffsets: true })),
    sort(await theirs.fetchOffsets({ groupId: g1, topics: [topic], resolveOffsets: true })),
  );
  await ours.resetOffsets({ groupId: g1, topic });
  assert.deepEqual(
    sort(await theirs.fetchOffsets({ groupId: g1, topics: [topic] }))[0]!.partitions.map((p) => p.offset),
    ['2', '1', '0'],
  );
});

test('describeGroups, listGroups, deleteGroups: the same as KafkaJS, members included', async () => {
  const groupId = uniqueName('kjs-live');
  const consumer = new real.Kafka({ brokers, logLevel: real.logLevel.NOTHING }).consumer({ groupId });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  try {
    await joined;
    const unknown = uniqueName('kjs-nogroup');
    const mine = await ours.describeGroups([groupId, unknown]);
    // The broker may answer groups in any order (KafkaJS passes its order on; Sluice keeps the order asked).
    const sorted = (r: { groups: Array<{ groupId: string }> }) =>
      [...r.groups].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
    assert.deepEqual(sorted(mine), sorted(await theirs.describeGroups([groupId, unknown])));
    assert.equal(mine.groups[0]!.state, 'Stable');
    assert.equal(mine.groups[0]!.members.length, 1);
    assert.ok(Buffer.isBuffer(mine.groups[0]!.members[0]!.memberAssignment));
    const decoded = real.AssignerProtocol.MemberAssignment.decode(mine.groups[0]!.members[0]!.memberAssignment);
    assert.deepEqual(decoded?.assignment, { [topic]: [0, 1, 2] });
    assert.equal(mine.groups[1]!.state, 'Dead');

    const listed = (r: { groups: Array<{ groupId: string; protocolType: string }> }) =>
      r.groups.filter((g) => g.groupId === groupId);
    assert.deepEqual(listed(await ours.listGroups()), listed(await theirs.listGroups()));
    assert.deepEqual(listed(await ours.listGroups()), [{ groupId, protocolType: 'consumer' }]);

    // A group with members cannot have its offsets set, in either.
    const set = (a: Pick<Admin, 'setOffsets'>) =>
      outcome(a.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }));
    assert.deepEqual(await set(ours), await set(theirs));
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(await ours.deleteGroups([groupId]), [{ groupId, errorCode: 0 }]);
  const other = uniqueName('kjs-g');
  await theirs.setOffsets({ groupId: other, topic, partitions: [{ partition: 0, offset: '0' }] });
  assert.deepEqual(await theirs.deleteGroups([other]), [{ groupId: other, errorCode: 0 }]);

  const failure = async (a: Pick<Admin, 'deleteGroups'>) => {
    try {
      await a.deleteGroups(['kjs-never-was']);
      return assert.fail('deleted a group that does not exist');
    } catch (e) {
      const err = e as real.KafkaJSDeleteGroupsError;
      return {
        name: err.name,
        retriable: err.retriable,
        groups: err.groups.map((g) => ({
          groupId: g.groupId,
          errorCode: g.errorCode,
          error: { name: g.error?.name, type: (g.error as real.KafkaJSProtocolError).type },
        })),
      };
    }
  };
  const f = await failure(ours);
  assert.deepEqual(f, await failure(theirs));
  assert.equal(f.groups[0]!.error.type, 'GROUP_ID_NOT_FOUND');
});

test('describeConfigs and alterConfigs: the same shapes as KafkaJS; alter changes only the named configs', async () => {
  const query = (includeSynonyms: boolean) => ({
    includeSynonyms,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }],
  });
  for (const syn of [false, true]) {
    assert.deepEqual(await ours.describeConfigs(query(syn)), await theirs.describeConfigs(query(syn)));
  }
  const broker = {
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.BROKER, name: '1', configNames: ['num.partitions', 'log.retention.hours'] },
    ],
  };
  assert.deepEqual(await ours.describeConfigs(broker), await theirs.describeConfigs(broker));
  const retention = (await ours.describeConfigs(query(false))).resources[0]!.configEntries.find(
    (c) => c.configName === 'retention.ms',
  );
  assert.equal(retention?.configSource, ConfigSource.TOPIC_CONFIG);

  const [a, b] = [uniqueName('kjs-cfg'), uniqueName('kjs-cfg')];
  const entries = [{ name: 'retention.ms', value: '3600000' }];
  await ours.createTopics({
    topics: [
      { topic: a, configEntries: entries },
      { topic: b, configEntries: entries },
    ],
  });
  const alter = (name: string) => ({
    validateOnly: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  const [ra, rb] = [await ours.alterConfigs(alter(a)), await theirs.alterConfigs(alter(b))];
  assert.deepEqual({ ...ra.resources[0], resourceName: 'x' }, { ...rb.resources[0], resourceName: 'x' });
  const values = async (name: string) =>
    Object.fromEntries(
      (
        await ours.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'cleanup.policy'] }],
        })
      ).resources[0]!.configEntries.map((c) => [c.configName, c.configValue]),
    );
  // Sluice (incremental): retention.ms kept. KafkaJS (AlterConfigs): every unnamed config reset to its default.
  assert.deepEqual(await values(a), { 'cleanup.policy': 'compact', 'retention.ms': '3600000' });
  assert.deepEqual(await values(b), { 'cleanup.policy': 'compact', 'retention.ms': '604800000' });
});

test('createPartitions, deleteTopicRecords, deleteTopics, and their errors', async () => {
  const [a, b] = [uniqueName('kjs-cp'), uniqueName('kjs-cp')];
  await ours.createTopics({
    topics: [
      { topic: a, numPartitions: 1 },
      { topic: b, numPartitions: 1 },
    ],
  });
  assert.deepEqual(
    await outcome(ours.createPartitions({ topicPartitions: [{ topic: a, count: 3 }] })),
    await outcome(theirs.createPartitions({ topicPartitions: [{ topic: b, count: 3 }] })),
  );
  assert.equal((await ours.fetchTopicOffsets(a)).length, 3);
  const fewer = await outcome(ours.createPartitions({ topicPartitions: [{ topic: a, count: 1 }] }));
  assert.deepEqual(fewer, await outcome(theirs.createPartitions({ topicPartitions: [{ topic: b, count: 1 }] })));
  assert.equal(fewer.error?.type, 'INVALID_PARTITIONS');

  // deleteTopicRecords (KafkaJS 2.2.4's own call fails on this broker, so only the error shape of a
  // partition without a leader is compared).
  await ours.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] });
  assert.deepEqual(byPartition(await ours.fetchTopicOffsets(topic))[0], {
    partition: 0,
    offset: '2',
    high: '2',
    low: '1',
  });
  const noLeader = async (adm: Pick<Admin, 'deleteTopicRecords'>) => {
    try {
      await adm.deleteTopicRecords({ topic, partitions: [{ partition: 9, offset: '1' }] });
      return assert.fail('deleted records of a partition that does not exist');
    } catch (e) {
      const err = e as Error & { partitions: Array<{ partition: number; offset: string; error: Error }> };
      return { name: err.name, partitions: err.partitions.map((p) => ({ ...p, error: p.error.name })) };
    }
  };
  assert.deepEqual(await noLeader(ours), await noLeader(theirs));
  const beyond = await ours
    .deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '100' }] })
    .catch((e) => e);
  assert.equal(beyond.name, 'KafkaJSDeleteTopicRecordsError');
  assert.equal(beyond.partitions[0].error.type, 'OFFSET_OUT_OF_RANGE');

  assert.deepEqual(
    await outcome(ours.deleteTopics({ topics: [a] })),
    await outcome(theirs.deleteTopics({ topics: [b] })),
  );
  assert.ok(!(await ours.listTopics()).includes(a));
  const missing = uniqueName('kjs-missing');
  const gone = await outcome(ours.deleteTopics({ topics: [missing], timeout: 2000 }));
  assert.deepEqual(gone, await outcome(theirs.deleteTopics({ topics: [missing], timeout: 2000 })));
  assert.equal(gone.error?.name, 'KafkaJSNumberOfRetriesExceeded');
});

test('ACL calls are KafkaJSNotImplemented; events; constants are KafkaJS values', async () => {
  await assert.rejects(
    ours.createAcls({
      acl: [
        {
          resourceType: 2,
          resourceName: 't',
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: 'User:x',
          host: '*',
          operation: AclOperationTypes.READ,
          permissionType: 3,
        },
      ],
    }),
    (e: Error) => e instanceof KafkaJSNotImplemented && /createAcls/.test(e.message),
  );
  for (const k of [
    'ConfigResourceTypes',
    'ConfigSource',
    'AclResourceTypes',
    'AclOperationTypes',
    'AclPermissionTypes',
    'ResourcePatternTypes',
  ] as const) {
    const mine = (await import('../../src/kafkajs/index.js'))[k];
    const theirs = (real as unknown as { default: Record<string, object> }).default[k];
    assert.deepEqual({ ...mine }, { ...theirs }, k);
    assert.ok(Object.keys(mine).length > 3);
  }
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  const seen: string[] = [];
  admin.on(admin.events.CONNECT, (e) => void seen.push(e.type));
  admin.on(admin.events.DISCONNECT, (e) => void seen.push(e.type));
  await admin.connect();
  await admin.disconnect();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['admin.connect', 'admin.disconnect']);
});
