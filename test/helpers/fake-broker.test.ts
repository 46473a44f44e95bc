// The fake broker itself: Sluice's Consumer, Producer and Admin work against it end to end, its group
// coordinator behaves like Kafka's classic one, and its knobs (errors, delays, silence, raw frames) reach
// the client.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { Connection } from '../../src/network/connection.js';
import { Producer } from '../../src/producer/producer.js';
import { KafkaError } from '../../src/protocol/errors.js';
import {
  Fetch,
  FindCoordinator,
  Heartbeat,
  JoinGroup,
  Metadata,
  Produce,
  SyncGroup,
} from '../../src/protocol/generated/index.js';
import { ProtocolDecodeError } from '../../src/protocol/reader.js';
import { decodeRecordBatches } from '../../src/protocol/records/decode.js';
import { encodeRecordBatch } from '../../src/protocol/records/encode.js';
import { Writer } from '../../src/protocol/writer.js';
import { consumeUntil } from './env.js';
import { FakeCluster, type FakeClusterOptions, rawResponseFrame } from './fake-broker.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

async function fake(opts: FakeClusterOptions): Promise<FakeCluster> {
  const c = await FakeCluster.start(opts);
  open.push(c);
  return c;
}

function consumer(c: FakeCluster, opts: Partial<ConstructorParameters<typeof Consumer>[0]> = {}) {
  const x = new Consumer({
    brokers: c.bootstrap,
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 200,
    fetchMaxWaitMs: 200,
    logger: quiet,
    ...opts,
  });
  open.push(x);
  return x;
}

const values = (seen: ConsumerRecord[]) => seen.map((r) => r.value!.toString());

/** A connection to node 0 of `c`, connected (closed after the test). */
async function connectTo(c: FakeCluster, requestTimeoutMs: number): Promise<Connection> {
  const conn = new Connection({
    host: '127.0.0.1',
    port: c.node(0).port,
    clientId: 't',
    requestTimeoutMs,
    connectionTimeoutMs: 5000,
  });
  open.push(conn);
  await conn.connect();
  return conn;
}

test('a Producer writes and a Consumer with assign() reads every record back, in order', async () => {
  const c = await fake({ nodes: 2, topics: [{ name: 't', partitions: 3 }] });
  const producer = new Producer({ brokers: c.bootstrap, logger: quiet, lingerMs: 0 });
  open.push(producer);
  const sent = await producer.send({
    topic: 't',
    messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })),
  });
  assert.deepEqual(
    sent.map((m) => m.offset),
    Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)),
  );
  assert.equal(c.log('t', 0).endOffset, 10);
  // Partitions 0 and 2 are led by node 0, partition 1 by node 1: the produce went to each leader.
  assert.deepEqual(new Set(c.requestsOf('Produce').map((r) => r.nodeId)), new Set([0, 1]));

  const x = consumer(c);
  x.assign([0, 1, 2].map((partition) => ({ topic: 't', partition })));
  const seen = await consumeUntil(x, (s) => s.length >= 30, 20_000);
  for (const p of [0, 1, 2]) {
    const mine = seen.filter((r) => r.partition === p);
    assert.deepEqual(
      mine.map((r) => r.offset),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.deepEqual(
      values(mine),
      Array.from({ length: 10 }, (_, i) => `v${i * 3 + p}`),
    );
  }
});

test('a Consumer with subscribe() joins a group (KIP-394 member id first), consumes and commits', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 2 }] });
  for (let i = 0; i < 10; i++) c.append('t', i % 2, [{ key: `k${i}`, value: `v${i}` }]);
  const x = consumer(c, { groupId: 'g' });
  x.subscribe('t');
  const seen = await consumeUntil(x, (s) => s.length >= 10, 20_000);
  assert.equal(seen.length, 10);
  // Closing committed what was processed.
  assert.equal(c.committed('g', 't', 0), 5);
  assert.equal(c.committed('g', 't', 1), 5);
  const joins = c.requestsOf('JoinGroup');
  assert.equal(joins[0]!.req.memberId, '', 'the first join has no member id');
  assert.notEqual(joins[1]!.req.memberId, '', 'the second uses the one MEMBER_ID_REQUIRED handed out');
  assert.equal(c.group('g').state, 'Empty', 'the member left on close');
});

test('two consumers share a group: the partitions are split, and the survivor takes all after one leaves', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 4 }] });
  const a = consumer(c, { groupId: 'g', clientId: 'a' });
  const b = consumer(c, { groupId: 'g', clientId: 'b' });
  const seen = new Map<string, ConsumerRecord[]>([
    ['a', []],
    ['b', []],
  ]);
  a.subscribe('t');
  b.subscribe('t');
  const runA = a.run({ eachMessage: (r) => void seen.get('a')!.push(r) });
  const runB = b.run({ eachMessage: (r) => void seen.get('b')!.push(r) });
  const group = c.group('g');
  await waitUntil(
    () => group.state === 'Stable' && group.members.size === 2 && a.assignment().length + b.assignment().length === 4,
    'both members to hold partitions',
  );
  assert.equal(a.assignment().length, 2);
  assert.equal(b.assignment().length, 2);
  for (let p = 0; p < 4; p++) c.append('t', p, [{ value: `p${p}` }]);
  await waitUntil(() => seen.get('a')!.length + seen.get('b')!.length === 4, 'every record to be consumed');
  const owner = (p: number) => (a.assignment().some((x) => x.partition === p) ? 'a' : 'b');
  for (let p = 0; p < 4; p++) assert.ok(seen.get(owner(p))!.some((r) => r.partition === p));

  await b.close();
  await runB;
  await waitUntil(() => a.assignment().length === 4, 'a to own every partition');
  assert.equal(group.members.size, 1);
  await a.close();
  await runA;
});

test('Admin: create, list, describe and delete topics; list offsets; describe the cluster and groups', async () => {
  const c = await fake({ nodes: 3 });
  const admin = new Admin({ brokers: c.bootstrap, logger: quiet });
  open.push(admin);
  const [created] = await admin.createTopics([{ topic: 'a', numPartitions: 3 }]);
  assert.equal(created!.topicId, c.topic('a').topicId);
  await assert.rejects(admin.createTopics([{ topic: 'a', numPartitions: 1 }]), /TOPIC_ALREADY_EXISTS/);
  assert.deepEqual(await admin.listTopics(), ['a']);
  const [described] = await admin.describeTopics('a');
  assert.deepEqual(
    described!.partitions.map((p) => p.leader),
    [0, 1, 2],
  );

  c.append('a', 1, [
    { value: 'x', timestamp: 1000 },
    { value: 'y', timestamp: 2000 },
  ]);
  c.append('a', 1, [{ value: 'z', timestamp: 3000 }]);
  c.log('a', 1).truncateBefore(1);
  const offsets = await admin.listOffsets([
    { topic: 'a', partition: 1, at: 'earliest' },
    { topic: 'a', partition: 1, at: 'latest' },
    { topic: 'a', partition: 1, at: 1500 },
    { topic: 'a', partition: 1, at: 'maxTimestamp' },
    { topic: 'a', partition: 1, at: 5000 },
  ]);
  assert.deepEqual(
    offsets.map((o) => o.offset),
    [1, 3, 1, 2, -1],
  );

  const cluster = await admin.describeCluster();
  assert.deepEqual(
    cluster.brokers.map((b) => b.port),
    c.nodes.map((n) => n.port),
  );

  const x = consumer(c, { groupId: 'g' });
  x.subscribe('a');
  const run = x.run({ eachMessage: () => {} });
  await waitUntil(() => x.assignment().length === 3, 'the assignment');
  const [group] = await admin.describeGroups('g');
  assert.equal(group!.state, 'Stable');
  assert.equal(group!.members.length, 1);
  assert.deepEqual(
    (await admin.listGroups()).map((g) => g.groupId),
    ['g'],
  );
  await x.close();
  await run;

  await admin.deleteTopics('a');
  assert.deepEqual(await admin.listTopics(), []);
});

test('an injected error code reaches the client: fatal ones as typed errors, retriable ones are retried', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 1 }] });
  const admin = new Admin({ brokers: c.bootstrap, logger: quiet });
  open.push(admin);
  c.failNext('CreateTopics', 'POLICY_VIOLATION', { topic: 'b' });
  await assert.rejects(admin.createTopics([{ topic: 'b', numPartitions: 1 }]), (err: unknown) => {
    assert.ok(err instanceof KafkaError, String(err));
    assert.equal(err.errorCode, 44);
    return true;
  });

  // A retriable one on a partition's fetch, as when leadership moves: the consumer refreshes its
  // metadata, finds the new leader and goes on.
  const c2 = await fake({ nodes: 2, topics: [{ name: 'm', partitions: 1 }] });
  c2.append('m', 0, [{ value: 'a' }, { value: 'b' }]);
  const unhook = c2.on('Fetch', async (_req, ctx) => {
    unhook();
    c2.setLeader('m', 0, 1);
    return ctx.next(); // node 0 is no longer the leader: NOT_LEADER_OR_FOLLOWER, naming node 1 (KIP-951)
  });
  const x = consumer(c2);
  x.assign([{ topic: 'm', partition: 0 }]);
  const seen = await consumeUntil(x, (s) => s.length >= 2, 20_000);
  assert.deepEqual(values(seen), ['a', 'b']);
  assert.ok(c2.requestsOf('Fetch', 0).length >= 1 && c2.requestsOf('Fetch', 1).length >= 1);
});

test('a retriable fetch error with no leader change is retried after the partition backoff', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 1 }] });
  c.append('t', 0, [{ value: 'a' }, { value: 'b' }]);
  c.failNext('Fetch', 'NOT_LEADER_OR_FOLLOWER', { topic: 't', partition: 0 });
  const x = consumer(c);
  x.assign([{ topic: 't', partition: 0 }]);
  const seen = await consumeUntil(x, (s) => s.length >= 2, 5000);
  assert.deepEqual(values(seen), ['a', 'b']);
});

test('a delayed response arrives late; a silenced API makes the client time out', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 1 }] });
  const conn = await connectTo(c, 300);
  c.delay('Metadata', 100, { times: 1 });
  const t0 = Date.now();
  const res = await conn.request(Metadata, { topics: [{ name: 't' }] }, { timeoutMs: 10_000 });
  assert.ok(Date.now() - t0 >= 95, 'the answer waited for the delay');
  assert.equal(res.topics[0]!.partitions.length, 1);

  const unsilence = c.silence('Metadata');
  await assert.rejects(conn.request(Metadata, { topics: [] }), { code: 'REQUEST_TIMEOUT' });
  unsilence();

  // The call's own deadline holds, the first connection and metadata included.
  const admin = new Admin({
    brokers: c.bootstrap,
    logger: quiet,
    requestTimeoutMs: 200,
    retryBackoffMs: 10,
    defaultApiTimeoutMs: 1000,
  });
  open.push(admin);
  c.silence('all');
  const started = Date.now();
  await assert.rejects(admin.listTopics({ timeoutMs: 1000 }), { code: 'TIMEOUT' });
  assert.ok(Date.now() - started < 1000 + 5000, 'gave up by its deadline');
});

test('a raw frame reaches the decoder: a truncated body is a typed decode error, a garbled frame a protocol violation', async () => {
  const c = await fake({});
  const conn = await connectTo(c, 5000);
  // A valid Metadata response cut in the middle, with a length prefix that matches the cut.
  const remove = c.raw('Metadata', (_frame, ctx) => {
    const good = ctx.encode({
      throttleTimeMs: 0,
      brokers: [{ nodeId: 0, host: '127.0.0.1', port: 1, rack: null }],
      clusterId: 'x',
      controllerId: 0,
      topics: [],
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    });
    const cut = good.subarray(0, good.length - 6);
    cut.writeInt32BE(cut.length - 4, 0);
    return cut;
  });
  await assert.rejects(conn.request(Metadata, { topics: [] }), ProtocolDecodeError);
  assert.ok(!conn.isClosed, 'a bad body fails only its request');
  remove();
  assert.equal((await conn.request(Metadata, { topics: [] })).clusterId, c.clusterId);

  c.raw('Metadata', (_frame, ctx) => rawResponseFrame(ctx.correlationId + 7, Buffer.from([1, 2, 3])));
  await assert.rejects(conn.request(Metadata, { topics: [] }), { code: 'PROTOCOL_VIOLATION' });
  assert.ok(conn.isClosed);
});

test('a long-poll fetch is answered as soon as data is appended, and follows a leader move', async () => {
  const c = await fake({ nodes: 2, topics: [{ name: 't', partitions: 1 }] });
  const x = consumer(c, { fetchMaxWaitMs: 20_000 });
  x.assign([{ topic: 't', partition: 0 }]);
  const seen: ConsumerRecord[] = [];
  const run = x.run({ eachMessage: (r) => void seen.push(r) });
  await c.nextRequest('Fetch', { where: (req) => req.maxWaitMs === 20_000 });
  const appendedAt = Date.now();
  c.append('t', 0, [{ value: 'first' }]);
  await waitUntil(() => seen.length === 1, 'the first record');
  assert.ok(Date.now() - appendedAt < 10_000, 'answered on append, not after maxWaitMs');

  c.setLeader('t', 0, 1);
  c.append('t', 0, [{ value: 'second' }]);
  await waitUntil(() => seen.length === 2, 'the record after the leader moved');
  assert.deepEqual(values(seen), ['first', 'second']);
  assert.ok(c.requestsOf('Fetch', 1).length > 0, 'fetched from the new leader');
  await x.close();
  await run;
});

test('Fetch honours fetchOffset and the byte limits as Kafka does; Produce with acks=0 gets no answer', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 2 }] });
  const big = 'x'.repeat(1000);
  for (let i = 0; i < 3; i++) c.append('t', 0, [{ value: `${i}${big}` }]);
  const batch = c.log('t', 0).read(0, Number.MAX_SAFE_INTEGER, true).length / 3;
  const conn = await connectTo(c, 5000);
  const topicId = c.topic('t').topicId;
  const fetch = async (
    partitions: { partition: number; fetchOffset: number; partitionMaxBytes: number }[],
    maxBytes = 1e7,
  ) => {
    const res = await conn.request(Fetch, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      topics: [{ topicId, partitions: partitions.map((p) => ({ ...p, fetchOffset: BigInt(p.fetchOffset) })) }],
    });
    return res.responses[0]!.partitions;
  };
  const offsets = (records: Buffer | null) =>
    decodeRecordBatches(records!, { topic: 't', partition: 0 }).batches.flatMap((b) => b.records.map((r) => r.offset));

  // From the batch holding the offset; cut at partitionMaxBytes, leaving a partial batch at the end.
  let [p] = await fetch([{ partition: 0, fetchOffset: 1, partitionMaxBytes: batch + 10 }]);
  assert.equal(p!.records!.length, batch + 10);
  assert.deepEqual(offsets(p!.records), [1]);
  assert.equal(p!.highWatermark, 3n);
  // KIP-74: a first batch larger than the limit comes whole.
  [p] = await fetch([{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 }]);
  assert.equal(p!.records!.length, batch);
  // maxBytes is shared: the second partition gets what is left (a cut batch: only the first is whole).
  c.append('t', 1, [{ value: big }]);
  const both = await fetch(
    [
      { partition: 0, fetchOffset: 0, partitionMaxBytes: batch },
      { partition: 1, fetchOffset: 0, partitionMaxBytes: 1e6 },
    ],
    batch + 5,
  );
  assert.deepEqual(
    both.map((x) => x.records!.length),
    [batch, 5],
  );
  // Out of range below the log start and above the end.
  c.log('t', 0).truncateBefore(1);
  [p] = await fetch([{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1e6 }]);
  assert.equal(p!.errorCode, 1);
  assert.equal(p!.logStartOffset, 1n);
  [p] = await fetch([{ partition: 0, fetchOffset: 4, partitionMaxBytes: 1e6 }]);
  assert.equal(p!.errorCode, 1);

  const w = new Writer(64);
  encodeRecordBatch(w, { records: [{ value: Buffer.from('fire-and-forget') }] });
  const sent = await conn.request(
    Produce,
    {
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ topicId, name: 't', partitionData: [{ index: 1, records: Buffer.from(w.view()) }] }],
    },
    { expectResponse: false },
  );
  assert.equal(sent, undefined);
  await waitUntil(() => c.log('t', 1).endOffset === 2, 'the acks=0 record');
  // The connection is still in step: the next request gets its own answer.
  assert.equal((await conn.request(Metadata, { topics: [] })).clusterId, c.clusterId);
});

test('hostile data: appendRaw keeps bytes as given, rawBody sends a body after a correct header', async () => {
  const c = await fake({ topics: [{ name: 't', partitions: 1 }] });
  // A batch whose header claims offset 1000: stored as is, covering one offset at the log end.
  const w = new Writer(64);
  encodeRecordBatch(w, { baseOffset: 1000, records: [{ value: Buffer.from('odd') }] });
  assert.equal(c.appendRaw('t', 0, Buffer.from(w.view()), 1), 0);
  assert.equal(c.log('t', 0).endOffset, 1);
  const stored = c.log('t', 0).read(0, 1e6, true);
  assert.equal(stored.readBigInt64BE(0), 1000n, 'not rewritten');
  // append() of whole batches assigns offsets, as a broker does; a compression name is accepted.
  assert.equal(c.append('t', 0, Buffer.from(w.view())), 1);
  assert.equal(c.log('t', 0).read(1, 1e6, true).readBigInt64BE(0), 1n);
  assert.equal(c.append('t', 0, [{ value: 'z' }], 'gzip'), 2);

  const conn = new Connection({
    host: '127.0.0.1',
    port: c.port(0),
    clientId: 't',
    requestTimeoutMs: 5000,
    connectionTimeoutMs: 5000,
  });
  open.push(conn);
  await conn.connect();
  c.rawBody('Metadata', () => Buffer.from([0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]));
  await assert.rejects(conn.request(Metadata, { topics: [] }), ProtocolDecodeError);
  c.off('Metadata');
  assert.equal((await conn.request(Metadata, { topics: [] })).clusterId, c.clusterId);
});

test('auto-creation, when enabled, creates a topic on Metadata (LEADER_NOT_AVAILABLE first, as Kafka)', async () => {
  const c = await fake({ autoCreateTopics: true, defaultPartitions: 2 });
  const producer = new Producer({ brokers: c.bootstrap, logger: quiet, lingerMs: 0 });
  open.push(producer);
  const [sent] = await producer.send({ topic: 'new', messages: [{ value: 'v', partition: 1 }] });
  assert.equal(sent!.offset, 0);
  assert.equal(c.topic('new').partitions.length, 2);
  assert.equal(c.log('new', 1).endOffset, 1);
});

/** A hand-driven group member on its own connection, to test the coordinator step by step. */
async function member(
  c: FakeCluster,
  opts: { nodeId?: number; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; instance?: string } = {},
) {
  const groupInstanceId = opts.instance ?? null;
  const conn = new Connection({
    host: '127.0.0.1',
    port: c.node(opts.nodeId ?? 0).port,
    clientId: 'm',
    requestTimeoutMs: 20_000,
    connectionTimeoutMs: 5000,
  });
  open.push(conn);
  await conn.connect();
  const m = {
    id: '',
    generation: -1,
    join: async (protocols: string[]) => {
      const res = await conn.request(JoinGroup, {
        groupId: 'g',
        sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
        rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 10_000,
        memberId: m.id,
        groupInstanceId,
        protocolType: 'consumer',
        protocols: protocols.map((name) => ({ name, metadata: Buffer.from(name) })),
      });
      if (res.errorCode === 79 || res.errorCode === 0) m.id = res.memberId;
      if (res.errorCode === 0) m.generation = res.generationId;
      return res;
    },
    sync: (assignments: Record<string, string> = {}) =>
      conn.request(SyncGroup, {
        groupId: 'g',
        generationId: m.generation,
        memberId: m.id,
        groupInstanceId,
        assignments: Object.entries(assignments).map(([memberId, a]) => ({ memberId, assignment: Buffer.from(a) })),
      }),
    heartbeat: async () =>
      (await conn.request(Heartbeat, { groupId: 'g', generationId: m.generation, memberId: m.id, groupInstanceId }))
        .errorCode,
  };
  return m;
}

test('group coordinator: KIP-394 ids, REBALANCE_IN_PROGRESS on heartbeat, protocol vote, leader and assignments', async () => {
  const c = await fake({});
  const m1 = await member(c);
  assert.equal((await m1.join(['range', 'roundrobin'])).errorCode, 79, 'MEMBER_ID_REQUIRED');
  assert.notEqual(m1.id, '');
  const j1 = await m1.join(['range', 'roundrobin']);
  assert.deepEqual([j1.errorCode, j1.generationId, j1.leader, j1.protocolName], [0, 1, m1.id, 'range']);
  assert.deepEqual(
    j1.members.map((x) => x.memberId),
    [m1.id],
  );
  assert.equal((await m1.sync({ [m1.id]: 'A' })).assignment.toString(), 'A');
  assert.equal(await m1.heartbeat(), 0);

  const m2 = await member(c);
  await m2.join(['roundrobin']);
  const parked = m2.join(['roundrobin']); // waits for m1 to rejoin
  await waitUntil(() => c.group('g').state === 'PreparingRebalance', 'the rebalance to start');
  assert.equal(await m1.heartbeat(), 27, 'REBALANCE_IN_PROGRESS');
  const j2 = await m1.join(['range', 'roundrobin']);
  const j2b = await parked;
  assert.deepEqual([j2.generationId, j2b.generationId], [2, 2]);
  assert.equal(j2.protocolName, 'roundrobin', 'the only protocol every member supports');
  assert.equal(j2.leader, m1.id, 'the leader stays');
  assert.equal(j2.members.length, 2);
  assert.deepEqual(j2b.members, [], 'followers get no member list');
  const follower = m2.sync(); // parks until the leader's assignment
  const leader = await m1.sync({ [m1.id]: 'A', [m2.id]: 'B' });
  assert.deepEqual([leader.assignment.toString(), (await follower).assignment.toString()], ['A', 'B']);
  assert.equal(c.group('g').state, 'Stable');

  const m3 = await member(c);
  assert.equal((await m3.join(['sticky'])).errorCode, 23, 'INCONSISTENT_GROUP_PROTOCOL, before any member id');
});

test('group coordinator: members that stop heartbeating or do not rejoin are removed', async () => {
  const c = await fake({ minSessionTimeoutMs: 100 });
  const m1 = await member(c, { sessionTimeoutMs: 400, rebalanceTimeoutMs: 400 });
  const m2 = await member(c, { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000 });
  await m1.join(['range']);
  await m1.join(['range']);
  await m1.sync({ [m1.id]: 'A' });
  // m2 joins; m1 never rejoins: after m1's rebalance timeout the join completes without it.
  await m2.join(['range']);
  const j = await m2.join(['range']);
  assert.deepEqual([j.errorCode, j.leader, j.members.length], [0, m2.id, 1]);
  assert.equal(await m1.heartbeat(), 25, 'UNKNOWN_MEMBER_ID');
  await m2.sync({ [m2.id]: 'B' });

  // A member of a stable group whose session expires is removed, and the others rebalance.
  const m3 = await member(c, { sessionTimeoutMs: 1500, rebalanceTimeoutMs: 30_000 });
  await m3.join(['range']);
  const j3 = m3.join(['range']);
  await waitUntil(() => c.group('g').state === 'PreparingRebalance', 'the rebalance to start');
  await m2.join(['range']);
  await j3;
  await Promise.all([m2.sync({ [m2.id]: 'B', [m3.id]: 'C' }), m3.sync()]);
  assert.equal(c.group('g').members.size, 2);
  let code = 0;
  await waitUntil(() => {
    void m2.heartbeat().then(
      (x) => (code = x),
      () => {},
    );
    return code === 27;
  }, 'm2 to hear of the rebalance after m3 went quiet');
  assert.ok(!c.group('g').members.has(m3.id));
});

test('group coordinator: a static member that rejoins gets its assignment back without a rebalance', async () => {
  const c = await fake({});
  const m1 = await member(c, { instance: 'instance-1' });
  const first = await m1.join(['range']);
  assert.equal(first.errorCode, 0, 'static members skip MEMBER_ID_REQUIRED');
  await m1.sync({ [m1.id]: 'A' });
  // The same instance restarts: a new member id, the same generation and assignment.
  const m1b = await member(c, { instance: 'instance-1' });
  const again = await m1b.join(['range']);
  assert.equal(again.errorCode, 0);
  assert.notEqual(m1b.id, m1.id);
  assert.equal(again.generationId, 1, 'no new generation');
  assert.equal((await m1b.sync()).assignment.toString(), 'A');
  assert.equal(await m1.heartbeat(), 82, 'the old member id is fenced (FENCED_INSTANCE_ID)');
  assert.equal(await m1b.heartbeat(), 0);
});

test('the coordinator is the configured node; other nodes answer NOT_COORDINATOR', async () => {
  const c = await fake({ nodes: 3, coordinator: 2 });
  const m = await member(c, { nodeId: 0 });
  const conn = await connectTo(c, 5000);
  const found = await conn.request(FindCoordinator, { keyType: 0, coordinatorKeys: ['g'] });
  assert.deepEqual(
    found.coordinators.map((x) => [x.nodeId, x.port, x.errorCode]),
    [[2, c.node(2).port, 0]],
  );
  assert.equal((await m.join(['range'])).errorCode, 16, 'NOT_COORDINATOR');
  c.setCoordinator(0, 'g');
  assert.equal((await m.join(['range'])).errorCode, 79);
});

test('ApiVersions advertises capped versions, and a client asking too high is answered in v0 (KIP-511)', async () => {
  const c = await fake({ versions: { Metadata: 9, ApiVersions: 2, DescribeCluster: null } });
  const conn = await connectTo(c, 5000);
  assert.equal(conn.apiVersions.highest(Metadata), 9);
  assert.equal(conn.apiVersions.brokerRanges.has(60), false, 'DescribeCluster is not offered');
  const versions = c.requestsOf('ApiVersions').map((r) => r.version);
  assert.deepEqual(versions, [5, 2], 'the client retried with the version the fake offers');
  await conn.request(Metadata, { topics: [] });
  assert.equal(c.requestsOf('Metadata')[0]!.version, 9);
});

/** Polls `check` every 20 ms; fails after `timeoutMs` (only catches hangs). */
async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
