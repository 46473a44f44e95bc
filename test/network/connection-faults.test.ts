import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { Connection } from '../../src/network/connection.js';
import { ConnectionError, RequestTimeoutError } from '../../src/network/errors.js';
import { ApiVersions, Metadata } from '../../src/protocol/generated/index.js';
import { Writer } from '../../src/protocol/writer.js';

// A tiny in-process server speaking just enough Kafka: it answers ApiVersions, then does whatever
// the test wants with the next requests (stay silent, hang up, send garbage).
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

function apiVersionsResponse(correlationId: number): Buffer {
  const w = new Writer(256);
  const size = w.reserveInt32();
  w.int32(correlationId); // response header v0
  ApiVersions.encodeResponse(w, 3, {
    errorCode: 0,
    apiKeys: [
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
    ],
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  });
  w.patchInt32(size, w.pos - 4);
  return Buffer.from(w.view());
}

async function fakeBroker(onRequest: (socket: Socket, apiKey: number, correlationId: number) => void) {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const correlationId = frame.readInt32BE(4);
        if (apiKey === 18) socket.write(apiVersionsResponse(correlationId));
        else onRequest(socket, apiKey, correlationId);
      }
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function connection(port: number, requestTimeoutMs = 5000) {
  return new Connection({ host: '127.0.0.1', port, clientId: 't', requestTimeoutMs, connectionTimeoutMs: 2000 });
}

test('a request with no answer fails with RequestTimeoutError, and the connection closes', async () => {
  const port = await fakeBroker(() => {});
  const conn = connection(port, 300);
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
  let pending = 0;
  const port = await fakeBroker((socket) => {
    if (++pending === 3) socket.destroy();
  });
  const conn = connection(port);
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
  const port = await fakeBroker((socket, _key, correlationId) =>
    socket.write(apiVersionsResponse(correlationId + 1000)),
  );
  const conn = connection(port);
  await conn.connect();
  await assert.rejects(
    conn.request(Metadata, { topics: [] }),
    (err: unknown) => err instanceof ConnectionError && err.code === 'PROTOCOL_VIOLATION',
  );
});

test('an aborted request rejects at once; its late response is read and dropped', async () => {
  let sock: Socket | undefined;
  let cid = 0;
  const port = await fakeBroker((socket, _key, correlationId) => {
    sock = socket;
    cid = correlationId;
  });
  const conn = connection(port);
  await conn.connect();
  const ac = new AbortController();
  const p = conn.request(Metadata, { topics: [] }, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await assert.rejects(p, (err: unknown) => (err as { code?: string }).code === 'ABORTED');
  // The answer arrives after all: the connection stays usable.
  sock!.write(apiVersionsResponse(cid));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!conn.isClosed);
  conn.close();
});

test('requests with no response (acks=0) resolve once written', async () => {
  const port = await fakeBroker(() => {});
  const conn = connection(port);
  await conn.connect();
  const res = await conn.request(Metadata, { topics: [] }, { expectResponse: false });
  assert.equal(res, undefined);
  assert.equal(conn.inFlight, 0);
  conn.close();
});
