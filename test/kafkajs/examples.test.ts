// KafkaJS's own documented examples (test/kafkajs/examples/*.cjs, from the KafkaJS docs), run unchanged
// except for the import line and the broker address (see example-runner.ts), each as a child process on
// the test broker, and their effects checked with Sluice's own clients.
// The module under test is sluice/kafkajs by default; SLUICE_EXAMPLES_MODULE=kafkajs runs the same test
// against KafkaJS 2.2.4 itself (which proves the harness), SLUICE_EXAMPLES_MODULE=dist the built bundle.
// The examples use fixed topic and group names (topic-test, test-group, my-group, …), as documented; the
// checks only look at what was written after the test started, so a broker reused across runs is fine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { AdminError } from '../../src/admin/errors.js';
import { partitionForKey } from '../../src/producer/partitioner.js';
import { KafkaError } from '../../src/protocol/errors.js';
import { TestProducer } from '../helpers/produce.js';
import { sharedKafka } from '../kafka/index.js';
import { readTopic } from '../producer/read-back.js';
import { eventually, type RunningExample, startExample, stop, waitForOutput } from './example-runner.js';
import { endOffsets, readRecords } from './read-records.js';

let bootstrap = '';
let admin: Admin;
let producer: TestProducer;

const TOPICS: Record<string, number> = {
  'topic-test': 3, // ConsumerExample.md, ProducerExample.md
  'test-topic': 1, // GettingStarted.md
  'topic-A': 1, // Consuming.md
  'topic-B': 1,
  'topic-C': 1,
  'topic-D': 1,
  'topic-name': 2, // Producing.md (one fragment sends to partitions 0 and 1), Admin.md configs
  'topic-a': 1,
  'topic-b': 1,
  'topic-c': 1,
  'transactions-example': 1, // transactions.cjs
  topic1: 1, // Admin.md fetchOffsets
  topic2: 1,
};

before(async () => {
  const kafka = await sharedKafka();
  bootstrap = kafka.bootstrap;
  admin = new Admin({ brokers: bootstrap });
  producer = new TestProducer(bootstrap);
  const existing = new Set(await admin.listTopics());
  const missing = Object.entries(TOPICS).filter(([t]) => !existing.has(t));
  if (missing.length) await admin.createTopics(missing.map(([topic, numPartitions]) => ({ topic, numPartitions })));
});

after(() => {
  admin?.close();
  producer?.close();
});

const unique = () => `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** The group has no members left: the example's disconnect left the group. */
async function assertLeft(groupId: string, ex: RunningExample) {
  const [group] = await admin.describeGroups(groupId);
  assert.equal(group?.members.length, 0, `${groupId} has no members after SIGTERM\n${ex.describe()}`);
}

/**
 * Runs `checks` while the example runs, then sends SIGTERM (always). Unless a check failed, asserts that the
 * process ended on the SIGTERM its own trap re-raises after disconnecting (not on a kill after a hang).
 */
async function whileRunning(ex: RunningExample, checks: () => Promise<void>) {
  try {
    await checks();
  } catch (err) {
    await stop(ex);
    throw err;
  }
  const how = await stop(ex);
  assert.deepEqual(how, { code: null, signal: 'SIGTERM' }, `ends on its re-raised SIGTERM\n${ex.describe()}`);
}

async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.listGroupOffsets(groupId);
  return new Map(offsets.filter((o) => o.topic === topic).map((o) => [o.partition, o.offset]));
}

async function assertCommittedToEnd(groupId: string, topic: string, ex: RunningExample) {
  const ends = await endOffsets(admin, topic);
  const ok = await eventually(async () => {
    const c = await committed(groupId, topic);
    return [...ends].every(([p, end]) => end === 0 || c.get(p) === end);
  }, 15_000);
  assert.ok(ok, `${groupId} committed ${topic} up to its end ${JSON.stringify([...ends])}\n${ex.describe()}`);
}

test('ProducerExample.md: its records arrive, gzip-compressed sends printed as RecordMetadata', async () => {
  const from = await endOffsets(admin, 'topic-test');
  const ex = startExample('producer-example.cjs', { bootstrap });
  const sent = () =>
    [...ex.out().matchAll(/\{[^{}]*topicName: 'topic-test'[^{}]*\}/g)].map((m) => ({
      partition: Number(/partition: (\d+)/.exec(m[0])?.[1]),
      errorCode: Number(/errorCode: (\d+)/.exec(m[0])?.[1]),
      baseOffset: /baseOffset: '(\d+)'/.exec(m[0])?.[1],
    }));
  await whileRunning(ex, async () => {
    await waitForOutput(ex, () => sent().length > 0, 'printed the RecordMetadata of a send', 20_000);
  });
  const records = await readRecords(admin, bootstrap, 'topic-test', { from });
  assert.ok(records.length > 0, 'records arrived');
  for (const r of records) {
    const m = /^key-(\d+)$/.exec(r.key ?? '');
    assert.ok(m, `key of ${JSON.stringify(r)}`);
    assert.match(r.value ?? '', new RegExp(`^value-${m[1]}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$`));
  }
  // The batches as stored (bare Fetch, test/producer/read-back.ts): `compression: CompressionTypes.GZIP`.
  const stored = new Map(
    (await readTopic(bootstrap, 'topic-test')).flat().map((r) => [`${r.partition}/${r.offset}`, r]),
  );
  for (const s of sent()) {
    assert.equal(s.errorCode, 0);
    assert.ok(s.baseOffset !== undefined, 'baseOffset is a string');
    assert.ok(
      records.some((r) => r.partition === s.partition && r.offset === Number(s.baseOffset)),
      `a record at ${s.partition}/${s.baseOffset}`,
    );
    assert.equal(stored.get(`${s.partition}/${s.baseOffset}`)?.compression, 1, 'gzip');
  }
});

test('ConsumerExample.md: prints "- topic[partition | offset] / timestamp key#value" for records the test produced', async () => {
  const id = unique();
  const produced = await Promise.all(
    [0, 1, 2].map(async (partition) => {
      const record = { key: `k${partition}-${id}`, value: `v${partition}-${id}` };
      return { ...record, partition, offset: await producer.send('topic-test', partition, [record]) };
    }),
  );
  const t0 = Date.now();
  const ex = startExample('consumer-example.cjs', { bootstrap });
  await whileRunning(ex, async () => {
    await waitForOutput(ex, (out) => produced.every((r) => out.includes(`${r.key}#${r.value}\n`)), 'printed them all');
    for (const r of produced) {
      const line = new RegExp(`^- topic-test\\[(\\d+) \\| (\\d+)\\] / (\\d+) ${r.key}#${r.value}$`, 'm').exec(ex.out());
      assert.ok(line, `the line of ${r.key}\n${ex.describe()}`);
      assert.equal(Number(line[1]), r.partition);
      assert.equal(Number(line[2]), r.offset);
      assert.ok(Math.abs(Number(line[3]) - t0) < 10 * 60_000, 'timestamp in ms');
    }
  });
  await assertLeft('test-group', ex);
  const c = await committed('test-group', 'topic-test');
  for (const r of produced)
    assert.ok((c.get(r.partition) ?? -1) > r.offset, `committed past ${r.partition}/${r.offset}`);
});

test('GettingStarted.md: produces "Hello KafkaJS user!" and the consumer prints it', async () => {
  const from = await endOffsets(admin, 'test-topic');
  const ex = startExample('getting-started.cjs', { bootstrap });
  await whileRunning(ex, async () => {
    await waitForOutput(ex, (out) => out.includes("{ value: 'Hello KafkaJS user!' }\n"), 'printed the message');
  });
  await assertLeft('test-group', ex);
  const records = await readRecords(admin, bootstrap, 'test-topic', { from });
  assert.deepEqual(
    records.map((r) => r.value),
    ['Hello KafkaJS user!'],
  );
});

/** The objects the eachBatch fragment prints (util.inspect of its object literal), by value. */
function printedBatches(out: string) {
  const re =
    /\{\s*topic: '([^']*)',\s*partition: (\d+),\s*highWatermark: '(\d+)',\s*message: \{\s*offset: '(\d+)',\s*key: '([^']*)',\s*value: '([^']*)',\s*headers: (\{[^}]*\})\s*\}\s*\}/g;
  return new Map(
    [...out.matchAll(re)].map((m) => [
      m[6]!,
      {
        topic: m[1],
        partition: Number(m[2]),
        highWatermark: Number(m[3]),
        offset: Number(m[4]),
        key: m[5],
        headers: m[7],
      },
    ]),
  );
}

test('Consuming.md eachBatch: prints each message of its batches, with string offsets, and commits them', async () => {
  const id = unique();
  const header = { 'trace-id': 'abc' };
  const d = [0, 1].map((i) => ({ key: `key-${i}-${id}`, value: `D-${i}-${id}`, headers: header }));
  const dOffset = await producer.send('topic-D', 0, d);
  const ex = startExample('each-batch.cjs', { bootstrap });
  await whileRunning(ex, async () => {
    await waitForOutput(
      ex,
      (out) => d.every((r) => printedBatches(out).has(r.value)),
      'printed topic-D (fromBeginning)',
    );
    // Subscribed without fromBeginning: topic-A is read from when the consumer started.
    const a = { key: `key-A-${id}`, value: `A-${id}` };
    const aOffset = await producer.send('topic-A', 0, [a]);
    await waitForOutput(ex, (out) => printedBatches(out).has(a.value), 'printed topic-A');
    const printed = printedBatches(ex.out());
    d.forEach((r, i) => {
      const p = printed.get(r.value)!;
      assert.deepEqual(
        { ...p, highWatermark: undefined },
        {
          topic: 'topic-D',
          partition: 0,
          highWatermark: undefined,
          offset: dOffset + i,
          key: r.key,
          headers: "{ 'trace-id': <Buffer 61 62 63> }",
        },
      );
      assert.ok(p.highWatermark >= dOffset + 2, 'highWatermark as a string, past the batch');
    });
    assert.equal(printed.get(a.value)?.offset, aOffset);
    assert.equal(printed.get(a.value)?.topic, 'topic-A');
    await assertCommittedToEnd('my-group', 'topic-D', ex);
    await assertCommittedToEnd('my-group', 'topic-A', ex);
  });
  await assertLeft('my-group', ex);
});

test('Consuming.md eachBatch "Example": resolves and commits what it processed', async () => {
  const id = unique();
  const records = [0, 1, 2].map((i) => ({ key: `key-${i}-${id}`, value: `E-${i}-${id}` }));
  const offset = await producer.send('topic-D', 0, records);
  const ex = startExample('each-batch-example.cjs', { bootstrap });
  await whileRunning(ex, async () => {
    await waitForOutput(
      ex,
      (out) => records.every((r, i) => out.includes(`processed ${offset + i} ${r.key}#${r.value}\n`)),
      'processed each message, with its offset',
    );
    await assertCommittedToEnd('my-group', 'topic-D', ex);
  });
  await assertLeft('my-group', ex);
});

test('Producing.md: send, send to a partition, headers and sendBatch all arrive', async () => {
  const topics = ['topic-name', 'topic-a', 'topic-b', 'topic-c'];
  const from = new Map(await Promise.all(topics.map(async (t) => [t, await endOffsets(admin, t)] as const)));
  const ex = startExample('producing.cjs', { bootstrap });
  const how = await ex.exited;
  assert.deepEqual(how, { code: 0, signal: null }, `runs to the end\n${ex.describe()}`);
  const read = async (t: string) =>
    (await readRecords(admin, bootstrap, t, { from: from.get(t)! })).map((r) => ({
      partition: r.partition,
      key: r.key,
      value: r.value,
      headers: r.headers,
    }));
  // KafkaJS's default partitioner hashes the key as Java's does: murmur2, positive, modulo partitions.
  const p = (key: string) => partitionForKey(Buffer.from(key), 2);
  const correlation = { 'correlation-id': '2bfb68bb-893a-423b-a7fa-7b568cad5b67' };
  const expected = [
    { partition: p('key1'), key: 'key1', value: 'hello world', headers: {} },
    { partition: p('key2'), key: 'key2', value: 'hey hey!', headers: {} },
    { partition: 0, key: 'key1', value: 'hello world', headers: {} },
    { partition: 1, key: 'key2', value: 'hey hey!', headers: {} },
    { partition: p('key1'), key: 'key1', value: 'hello world', headers: { ...correlation, 'system-id': 'my-system' } },
  ];
  // read() is in partition order; within a partition, in the order sent.
  const byPartition = (list: typeof expected) => [0, 1].flatMap((n) => list.filter((r) => r.partition === n));
  assert.deepEqual(await read('topic-name'), byPartition(expected));
  for (const t of ['a', 'b', 'c']) {
    assert.deepEqual(await read(`topic-${t}`), [
      { partition: 0, key: 'key', value: `hello topic-${t}`, headers: t === 'c' ? correlation : {} },
    ]);
  }
});

test('Transactions.md: the committed transaction is read_committed-visible, the aborted one is not, offsets sent', async () => {
  const topic = 'transactions-example';
  await admin.deleteGroups('transactions-example-group').catch((err) => {
    if (!(err instanceof KafkaError && err.code === 'GROUP_ID_NOT_FOUND')) throw err;
  });
  const from = await endOffsets(admin, topic);
  const ex = startExample('transactions.cjs', { bootstrap });
  assert.deepEqual(await ex.exited, { code: 0, signal: null }, `runs to the end\n${ex.describe()}`);
  const values = async (isolationLevel: 'read_committed' | 'read_uncommitted') =>
    (await readRecords(admin, bootstrap, topic, { from, isolationLevel })).map((r) => `${r.key}:${r.value}`);
  const visible = [
    'committed:committed message 1',
    'committed:committed message 2',
    'transformed:derived from messages 1 and 2',
  ];
  assert.deepEqual(await values('read_committed'), visible);
  assert.deepEqual(
    await values('read_uncommitted'),
    [...visible, 'aborted:aborted message'],
    'the aborted message was written, then aborted',
  );
  assert.deepEqual([...(await committed('transactions-example-group', topic))], [[0, 2]], 'sendOffsets committed');
});

test('Admin.md: topics created, listed, grown and deleted; offsets set and reset; configs; groups; records deleted', async () => {
  // A fresh start for what the fragments create or expect.
  const existing = new Set(await admin.listTopics());
  const stale = ['custom-topic', 'admin-example-topic', 'admin-example-deleted'].filter((t) => existing.has(t));
  if (stale.length) await admin.deleteTopics(stale);
  await admin.createTopics([{ topic: 'custom-topic', numPartitions: 4 }]);
  for (const [partition, count] of [40, 5, 5, 25].entries()) {
    await producer.send(
      'custom-topic',
      partition,
      Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
  }
  await admin.deleteGroups(['admin-example-group', 'my-consumer-group', 'group-test']).catch((err) => {
    if (!(err instanceof AdminError && err.failures.every((f) => f.error.code === 'GROUP_ID_NOT_FOUND'))) throw err;
  });
  await admin.alterGroupOffsets('group-test', [{ topic: 'custom-topic', partition: 0, offset: 1 }]);

  const ex = startExample('admin.cjs', { bootstrap });
  assert.deepEqual(await ex.exited, { code: 0, signal: null }, `runs to the end\n${ex.describe()}`);
  const results = (name: string): unknown[] =>
    [...ex.out().matchAll(new RegExp(`^${name} (.*)$`, 'gm'))].map((m) => JSON.parse(m[1]!));
  const msg = ex.describe();

  assert.ok((results('listTopics')[0] as string[]).includes('custom-topic'), `listTopics\n${msg}`);
  assert.deepEqual(results('createTopics'), [true], msg);
  const topics = await admin.listTopics();
  assert.ok(topics.includes('admin-example-topic') && !topics.includes('admin-example-deleted'), 'created, deleted');
  const [grown] = await admin.describeTopics('admin-example-topic');
  assert.equal(grown?.partitions.length, 3, 'createPartitions grew it to 3');
  const [metadata] = results('fetchTopicMetadata') as Array<{ topics: Array<{ name: string; partitions: unknown[] }> }>;
  assert.deepEqual(
    metadata?.topics.map((t) => [t.name, t.partitions.length]),
    [['admin-example-topic', 3]],
  );
  const byPartition = <T extends { partition: number }>(list: T[]) =>
    [...list].sort((a, b) => a.partition - b.partition);
  assert.deepEqual(
    results('fetchTopicOffsets').map((r) => byPartition(r as Array<{ partition: number }>)),
    [
      [
        { partition: 0, offset: '40', high: '40', low: '0' },
        { partition: 1, offset: '5', high: '5', low: '0' },
        { partition: 2, offset: '5', high: '5', low: '0' },
        { partition: 3, offset: '25', high: '25', low: '0' },
      ],
    ],
  );
  const fetched = results('fetchOffsets') as Array<Array<{ topic: string; partitions: unknown[] }>>;
  assert.equal(fetched.length, 3, msg);
  assert.deepEqual(
    fetched[0]?.map((t) => t.topic),
    ['topic1', 'topic2'],
  );
  const offsetsOf = (list: unknown) =>
    byPartition(list as Array<{ partition: number; offset: string }>).map(({ partition, offset }) => ({
      partition,
      offset,
    }));
  assert.deepEqual(offsetsOf(fetched[2]?.[0]?.partitions), [
    { partition: 0, offset: '40' },
    { partition: 1, offset: '5' },
    { partition: 2, offset: '5' },
    { partition: 3, offset: '25' },
  ]);
  const set = new Map((await admin.listGroupOffsets('my-consumer-group')).map((o) => [o.partition, o.offset]));
  assert.deepEqual([set.get(0), set.get(3)], [35, 19], 'setOffsets');
  const [cluster] = results('describeCluster') as Array<{ brokers: Array<{ nodeId: number; port: number }> }>;
  assert.ok(cluster && cluster.brokers.length > 0 && cluster.brokers.every((b) => b.port > 0), msg);
  const [topicName] = await admin.describeConfigs([{ type: 'topic', name: 'topic-name', names: ['cleanup.policy'] }]);
  assert.equal(topicName?.configs['cleanup.policy']?.value, 'compact', 'alterConfigs');
  const groups = (await admin.listGroups()).map((g) => g.groupId);
  assert.ok(!groups.includes('admin-example-group') && !groups.includes('group-test'), 'deleteGroups');
  const low = await admin.listOffsets(
    [0, 3].map((partition) => ({ topic: 'custom-topic', partition, at: 'earliest' })),
  );
  assert.deepEqual(
    low.map((o) => o.offset),
    [30, 25],
    'deleteTopicRecords',
  );
});
