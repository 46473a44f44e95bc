// admin.close() while calls are in flight, wherever they are: connecting, waiting for a response,
// backing off after a refused connection, waiting on a coordinator lookup. Each rejects at once with
// ClientClosedError (typed, stable code, not retriable); none hangs, none gets a plain Error.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { isRetriable } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { ClientClosedError } from '../../src/network/errors.js';
import { blackholeSocketFactory, type FakeBroker, metadataResponse, startFakeBroker } from '../cluster/fake-broker.js';
import { type Outcome, timed } from '../cluster/timed.js';

// Generous: the calls below would otherwise wait 30-60 s.
const PROMPT_MS = 1000;
const brokers: FakeBroker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
});

function closedTyped(o: Outcome, label: string, closedAt: number) {
  assert.ok(o.err instanceof ClientClosedError, `${label}: expected ClientClosedError, got ${String(o.err)}`);
  assert.equal((o.err as ClientClosedError).code, 'CLIENT_CLOSED');
  assert.equal(isRetriable(o.err), false);
  assert.ok(o.ms <= closedAt + PROMPT_MS, `${label}: settled ${o.ms - closedAt} ms after close()`);
}

test('admin.close(): calls connecting, waiting for answers and looking up coordinators reject at once', {
  timeout: 60_000,
}, async () => {
  // Metadata is answered; FindCoordinator, ListGroups and DescribeCluster are not.
  const b = await startFakeBroker({
    handle: (req) =>
      req.apiKey === 3 ? metadataResponse([{ nodeId: 1, host: '127.0.0.1', port: b.port }]) : undefined,
  });
  brokers.push(b);
  const silent = await startFakeBroker({ mode: 'silent' });
  brokers.push(silent);

  const a = new Admin({ brokers: b.address, logger: silentLogger });
  const connecting = new Admin({ brokers: silent.address, logger: silentLogger });
  const calls = [
    timed(() => a.describeCluster()),
    timed(() => a.describeGroups('g1')),
    timed(() => a.listGroups()),
    timed(() => a.listGroupOffsets('g2')),
  ];
  const stuck = [timed(() => connecting.listTopics()), timed(() => connecting.describeCluster())];
  await new Promise((r) => setTimeout(r, 500));
  a.close();
  connecting.close();
  const outcomes = await Promise.all([...calls, ...stuck]);
  for (const [i, o] of outcomes.entries()) closedTyped(o, `call ${i}`, 500);

  // And every later call.
  const later = await timed(() => a.listTopics());
  closedTyped(later, 'after close', 0);
});

test('admin.close(): a call backing off after refused connections, and one black-holed, reject at once', {
  timeout: 60_000,
}, async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const refused = new Admin({
    brokers: `127.0.0.1:${port}`,
    logger: silentLogger,
    reconnectBackoffMs: 5000,
    reconnectBackoffMaxMs: 5000,
    retryBackoffMs: 5000,
    retryBackoffMaxMs: 5000,
  });
  const hole = blackholeSocketFactory();
  const holed = new Admin({ brokers: '10.0.0.1:9092', logger: silentLogger, socketFactory: hole.factory });
  const calls = [timed(() => refused.listTopics()), timed(() => holed.listTopics())];
  await new Promise((r) => setTimeout(r, 500));
  refused.close();
  holed.close();
  const outcomes = await Promise.all(calls);
  for (const [i, o] of outcomes.entries()) closedTyped(o, `call ${i}`, 500);
});

test('cluster.close(): a metadata refresh shared by several callers rejects every one of them', {
  timeout: 60_000,
}, async () => {
  const b = await startFakeBroker({ mode: 'handshake' });
  brokers.push(b);
  const c = new Cluster(resolveClientOptions('Test', { brokers: b.address, logger: silentLogger }));
  const calls = [1, 2, 3].map(() => timed(() => c.refreshMetadata()));
  await new Promise((r) => setTimeout(r, 300));
  c.close();
  const outcomes = await Promise.all(calls);
  for (const [i, o] of outcomes.entries()) closedTyped(o, `refresh ${i}`, 300);
  // A direct request on a pooled connection fails the same way.
  await assert.rejects(
    c.pool.get({ host: '127.0.0.1', port: b.port }, 'general'),
    (err: unknown) => err instanceof ClientClosedError,
  );
});
