import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Connection } from '../../src/network/connection.js';
import { AuthenticationError, ConnectionError } from '../../src/network/errors.js';
import type { SaslOptions } from '../../src/network/sasl/index.js';
import { ApiVersions, Fetch, Heartbeat, Metadata } from '../../src/protocol/generated/index.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';

let kafka: KafkaInfo;
const open: Connection[] = [];

before(async () => {
  kafka = await sharedKafka();
});

after(() => {
  for (const c of open) c.close();
});

function address(listener: keyof KafkaInfo['bootstraps']) {
  const [host, port] = kafka.bootstraps[listener]!.split(',')[0]!.split(':');
  return { host: host!, port: Number(port) };
}

async function connect(listener: keyof KafkaInfo['bootstraps'], extra: { sasl?: SaslOptions; tls?: boolean } = {}) {
  const conn = new Connection({
    ...address(listener),
    clientId: 'sluice-test',
    requestTimeoutMs: 10000,
    connectionTimeoutMs: 5000,
    sasl: extra.sasl,
    tls: extra.tls ? { ca: kafka.caPem! } : undefined,
  });
  open.push(conn);
  await conn.connect();
  return conn;
}

test('negotiates the highest common version of every API with the broker', async () => {
  const conn = await connect('PLAINTEXT');
  const v = conn.apiVersions;
  assert.equal(v.pick(ApiVersions), Math.min(ApiVersions.maxVersion, v.brokerRanges.get(18)![1]));
  assert.equal(v.pick(Metadata), Math.min(Metadata.maxVersion, v.brokerRanges.get(3)![1]));
  assert.ok(v.pick(Fetch) >= 12, `fetch v${v.pick(Fetch)}`);
  const res = await conn.request(Metadata, { topics: [] });
  assert.equal(res.brokers.length, kafka.brokers.length);
});

test('1,000 pipelined Metadata requests on one connection are each answered with their own response', async () => {
  const conn = await connect('PLAINTEXT');
  const names = Array.from({ length: 1000 }, (_, i) => `${uniqueName('nope')}-${i}`);
  const responses = await Promise.all(
    names.map((name) => conn.request(Metadata, { topics: [{ name }], allowAutoTopicCreation: false })),
  );
  assert.equal(responses.length, 1000);
  responses.forEach((res, i) => {
    assert.equal(res.topics.length, 1);
    assert.equal(res.topics[0]!.name, names[i], `response ${i} belongs to request ${i}`);
    assert.equal(res.topics[0]!.errorCode, 3); // UNKNOWN_TOPIC_OR_PARTITION: it was never created
  });
});

test('TLS with a test CA, SASL/PLAIN, SCRAM-SHA-256/512 and SCRAM over TLS all authenticate', async () => {
  const user = kafka.users![0]!;
  const tls = await connect('SSL', { tls: true });
  assert.ok((await tls.request(Metadata, { topics: [] })).brokers.length > 0);
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const conn = await connect('SASL_PLAINTEXT', {
      sasl: { mechanism, username: user.username, password: user.password },
    });
    assert.ok((await conn.request(Metadata, { topics: [] })).brokers.length > 0, mechanism);
  }
  const scramTls = await connect('SASL_SSL', {
    tls: true,
    sasl: { mechanism: 'SCRAM-SHA-512', username: user.username, password: user.password },
  });
  assert.ok((await scramTls.request(Metadata, { topics: [] })).brokers.length > 0);
});

test('a wrong password is an AuthenticationError, not a hang or a retry loop', async () => {
  const user = kafka.users![0]!;
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256'] as const) {
    const started = Date.now();
    await assert.rejects(
      connect('SASL_PLAINTEXT', { sasl: { mechanism, username: user.username, password: 'wrong' } }),
      (err: unknown) => err instanceof AuthenticationError && err.code === 'AUTHENTICATION_FAILED' && !err.retriable,
    );
    // A hang or a retry loop would run into the 30 s test timeout; this only has to catch that.
    assert.ok(Date.now() - started < 15_000);
  }
});

test('TLS against an untrusted certificate fails with a typed, non-retriable error', async () => {
  const conn = new Connection({
    ...address('SSL'),
    clientId: 'sluice-test',
    requestTimeoutMs: 5000,
    connectionTimeoutMs: 5000,
    tls: { ca: [] as unknown as string },
  });
  open.push(conn);
  await assert.rejects(conn.connect(), (err: unknown) => err instanceof ConnectionError && err.code === 'TLS_FAILED');
});

// The fetch parks for 10 s so that a loaded machine cannot blur "answered at once" and "answered after the fetch".
test('a group request is answered while a 10 s fetch is parked on the fetch connection to the same broker', async () => {
  const fetchConn = await connect('PLAINTEXT');
  const groupConn = await connect('PLAINTEXT');
  const topic = uniqueName('parked');
  // Auto-create an empty topic so the fetch has something to wait on.
  await fetchConn.request(Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: true });
  let meta = await fetchConn.request(Metadata, { topics: [{ name: topic }] });
  for (let i = 0; i < 50 && meta.topics[0]!.partitions[0]?.leaderId !== kafka.brokers[0]!.nodeId; i++) {
    await new Promise((r) => setTimeout(r, 100));
    meta = await fetchConn.request(Metadata, { topics: [{ name: topic }] });
  }
  const topicId = meta.topics[0]!.topicId;
  const started = Date.now();
  let fetchDoneAt = 0;
  const fetch = fetchConn
    .request(
      Fetch,
      {
        maxWaitMs: 10_000,
        minBytes: 1,
        topics: [{ topic, topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
      },
      { timeoutMs: 30_000 },
    )
    .then(() => {
      fetchDoneAt = Date.now();
    });
  await new Promise((r) => setTimeout(r, 200));
  const hb = await groupConn.request(Heartbeat, { groupId: uniqueName('g'), generationId: 1, memberId: 'm' });
  const heartbeatAt = Date.now();
  assert.notEqual(hb.errorCode, 0); // the group does not exist; what matters is that it answered now
  assert.ok(heartbeatAt - started < 8000, `heartbeat answered after ${heartbeatAt - started} ms`);
  assert.equal(fetchDoneAt, 0, 'the fetch is still parked');
  await fetch;
  assert.ok(fetchDoneAt - started >= 9000, `fetch returned after ${fetchDoneAt - started} ms`);
});
