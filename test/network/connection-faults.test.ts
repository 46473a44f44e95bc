import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Connection } from '../../src/network/connection.js';
import { ConnectionError, RequestTimeoutError } from '../../src/network/errors.js';
import { Metadata } from '../../src/protocol/generated/index.js';
import { FakeCluster, rawResponseFrame } from '../helpers/fake-broker.js';

// Faults on one connection, against the in-process fake broker: it answers ApiVersions, and each test
// makes it stay silent, hang up or send what no broker should.
let cluster: FakeCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function fakeBroker(): Promise<FakeCluster> {
  cluster = await FakeCluster.start({});
  return cluster;
}

function connection(c: FakeCluster, requestTimeoutMs = 5000) {
  return new Connection({
    host: '127.0.0.1',
    port: c.node(0).port,
    clientId: 't',
    requestTimeoutMs,
    connectionTimeoutMs: 2000,
  });
}

test('a request with no answer fails with RequestTimeoutError, and the connection closes', async () => {
  const c = await fakeBroker();
  c.silence('Metadata');
  const conn = connection(c, 300);
  await conn.connect();
  const started = Date.now();
  await assert.rejects(conn.request(Metadata, { topics: [] }), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.code, 'REQUEST_TIMEOUT');
    assert.ok(err.retriable);
    return true;
  });
  assert.ok(Date.now() - started < 2000);
  assert.ok(conn.isClosed);
});

test('the broker hanging up fails every pending request with a retriable CONNECTION_CLOSED', async () => {
  const c = await fakeBroker();
  let pending = 0;
  // Take the requests without answering; hang up when the third arrives.
  c.raw('Metadata', () => {
    if (++pending === 3) c.disconnect();
    return null;
  });
  const conn = connection(c);
  await conn.connect();
  const results = await Promise.allSettled([1, 2, 3].map(() => conn.request(Metadata, { topics: [] })));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof ConnectionError && err.code === 'CONNECTION_CLOSED' && err.retriable, String(err));
  }
  await assert.rejects(conn.request(Metadata, { topics: [] }), ConnectionError);
});

test('a response for an unknown correlation id is a protocol violation that closes the connection', async () => {
  const c = await fakeBroker();
  c.raw('Metadata', (_frame, ctx) => rawResponseFrame(ctx.correlationId + 1000, Buffer.alloc(16)));
  const conn = connection(c);
  await conn.connect();
  await assert.rejects(
    conn.request(Metadata, { topics: [] }),
    (err: unknown) => err instanceof ConnectionError && err.code === 'PROTOCOL_VIOLATION',
  );
  assert.ok(conn.isClosed);
});

test('an aborted request rejects at once; its late response is read and dropped', async () => {
  const c = await fakeBroker();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const unhold = c.on('Metadata', async (_req, ctx) => {
    unhold();
    await held;
    return ctx.next();
  });
  const conn = connection(c);
  await conn.connect();
  const ac = new AbortController();
  const arrived = c.nextRequest('Metadata');
  const p = conn.request(Metadata, { topics: [] }, { signal: ac.signal });
  await arrived;
  ac.abort();
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === 'ABORTED');
  // The answer arrives after all: it is dropped, and the connection stays usable.
  release();
  const next = await conn.request(Metadata, { topics: [] });
  assert.equal(next.clusterId, c.clusterId);
  assert.ok(!conn.isClosed);
  conn.close();
});

test('requests with no response (acks=0) resolve once written', async () => {
  const c = await fakeBroker();
  c.silence('Metadata');
  const conn = connection(c);
  await conn.connect();
  const res = await conn.request(Metadata, { topics: [] }, { expectResponse: false });
  assert.equal(res, undefined);
  assert.equal(conn.inFlight, 0);
  conn.close();
});
