import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Cluster } from '../../src/cluster/cluster.js';
import { TimeoutError } from '../../src/cluster/deadline.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { Fetch, Metadata } from '../../src/protocol/generated/index.js';
import { sharedKafka, startKafka } from '../kafka/index.js';

function cluster(brokers: string, extra: Record<string, unknown> = {}) {
  return new Cluster(resolveClientOptions('Test', { brokers, ...extra }));
}

test('bootstrap: any reachable broker in the list will do', async () => {
  const kafka = await sharedKafka();
  // A closed port first: the client moves on to the next address.
  const dead = await closedPort();
  const c = cluster(`127.0.0.1:${dead},${kafka.bootstrap}`, { defaultApiTimeoutMs: 10000 });
  try {
    await c.connect();
    assert.equal(c.metadata.brokers.size, kafka.brokers.length);
    assert.ok(c.metadata.clusterId);
  } finally {
    c.close();
  }
});

test('a broker down at bootstrap: retried with backoff, then a clear error within the configured timeout', async () => {
  const dead = await closedPort();
  const c = cluster(`127.0.0.1:${dead}`, { defaultApiTimeoutMs: 1500, reconnectBackoffMs: 50, retryBackoffMs: 50 });
  const started = Date.now();
  try {
    await assert.rejects(c.connect(), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, String(err));
      assert.match(err.message, /Fetching metadata did not complete within 1500 ms; last error: Connection refused/);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${dead}`));
      return true;
    });
    const elapsed = Date.now() - started;
    // Not before the deadline; after it only by what a loaded 2-core machine adds (a hang would be 30 s+).
    assert.ok(elapsed >= 1400 && elapsed < 1500 + 5000, `gave up after ${elapsed} ms`);
  } finally {
    c.close();
  }
});

test('the broker restarted mid-use: the client reconnects and the next request succeeds', async () => {
  const kafka = await startKafka();
  const c = cluster(kafka.bootstrap, { defaultApiTimeoutMs: 60000, reconnectBackoffMaxMs: 500 });
  try {
    await c.connect();
    const before = await c.anyConnection('general');
    await kafka.restart(kafka.brokers[0]!.nodeId);
    // The old connection is dead; refreshMetadata goes through the retry loop and reconnects.
    await c.refreshMetadata();
    const after = await c.anyConnection('general');
    assert.notEqual(after, before);
    assert.ok(before.isClosed);
    const res = await after.request(Metadata, { topics: [] });
    assert.equal(res.brokers.length, 1);
  } finally {
    c.close();
    await kafka.close();
  }
});

test('versions are negotiated against Kafka 3.9.1 too', async () => {
  const kafka = await startKafka({ version: '3.9.1' });
  const c = cluster(kafka.bootstrap);
  try {
    await c.connect();
    const conn = await c.anyConnection('general');
    assert.equal(conn.apiVersions.pick(Metadata), 12, 'Metadata v12 is the 3.9 maximum');
    assert.equal(conn.apiVersions.pick(Fetch), 17, 'Fetch v17 is the 3.9 maximum');
  } finally {
    c.close();
    await kafka.close();
  }
});

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
