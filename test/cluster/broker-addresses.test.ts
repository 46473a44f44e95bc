// Brokers advertise their own addresses (Metadata, FindCoordinator). One that advertises a port
// outside 1-65535 or an empty host must give a typed error naming it, and the client must carry on
// with the good brokers: not a RangeError out of net.connect.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { TimeoutError } from '../../src/cluster/deadline.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import type { Logger } from '../../src/logger.js';
import { silentLogger } from '../../src/logger.js';
import { ConnectionError } from '../../src/network/errors.js';
import { type FakeBroker, metadataResponse, startFakeBroker } from './fake-broker.js';

const brokers: FakeBroker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
});

/** A broker whose metadata lists itself (node 1) and three brokers no one can connect to. */
async function brokenCluster(coordinator?: { host: string; port: number }) {
  const b = await startFakeBroker({
    handle: (req) => {
      if (req.apiKey === 3) {
        return metadataResponse([
          { nodeId: 1, host: '127.0.0.1', port: b.port },
          { nodeId: 2, host: '127.0.0.1', port: 70000 },
          { nodeId: 3, host: '', port: 9092 },
          { nodeId: 4, host: 'kafka-4', port: 0 },
        ]);
      }
      if (req.apiKey === 10 && coordinator) {
        const keys = (req.body as { coordinatorKeys: string[] }).coordinatorKeys;
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          nodeId: 0,
          host: '',
          port: 0,
          coordinators: keys.map((key) => ({ key, nodeId: 2, ...coordinator, errorCode: 0, errorMessage: null })),
        };
      }
      return undefined;
    },
  });
  brokers.push(b);
  return b;
}

test('metadata with a port outside 1-65535 or an empty host: those brokers are skipped, named in a typed error', async () => {
  const b = await brokenCluster();
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  const c = new Cluster(resolveClientOptions('Test', { brokers: b.address, logger }));
  try {
    await c.connect({ timeoutMs: 5000 });
    assert.deepEqual([...c.metadata.brokers.keys()], [1]);
    assert.deepEqual([...c.metadata.invalidBrokers.keys()], [2, 3, 4]);
    // Picking "any broker" never lands on a broken one (it used to throw a RangeError, at random).
    for (let i = 0; i < 20; i++) assert.equal((await c.anyConnection('general')).broker, b.address);
    for (const [id, pattern] of [
      [2, /Broker 2 is advertised at "127\.0\.0\.1:70000" \(port 70000 is outside 1-65535\)/],
      [3, /Broker 3 is advertised at ":9092" \(empty host ""\)/],
      [4, /Broker 4 is advertised at "kafka-4:0" \(port 0 is outside 1-65535\)/],
    ] as const) {
      await assert.rejects(c.connectionTo(id, 'general'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError, String(err));
        assert.equal(err.code, 'INVALID_BROKER_ADDRESS');
        assert.ok(err.retriable, 'the next metadata may carry a good address');
        assert.match(err.message, pattern);
        return true;
      });
    }
    // Said once, not on every refresh.
    await c.refreshMetadata({ timeoutMs: 5000 });
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /broker 2 at "127\.0\.0\.1:70000".*broker 3.*broker 4/);
  } finally {
    c.close();
  }
});

test('a coordinator advertised with a bad port: the lookup retries to its deadline and names it', async () => {
  const b = await brokenCluster({ host: '127.0.0.1', port: 65536 });
  const a = new Admin({ brokers: b.address, logger: silentLogger, retryBackoffMs: 50 });
  try {
    await assert.rejects(a.describeGroups('g', { timeoutMs: 1000 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, String(err));
      assert.match(
        err.message,
        /last error: The group coordinator for "g" is broker 2 at "127\.0\.0\.1:65536", which cannot be connected to: port 65536 is outside 1-65535/,
      );
      assert.equal((err.cause as ConnectionError).code, 'INVALID_BROKER_ADDRESS');
      return true;
    });
  } finally {
    a.close();
  }
});

test('a Connection to a bad address rejects with a typed error (no RangeError from net.connect)', async () => {
  const c = new Cluster(resolveClientOptions('Test', { brokers: '127.0.0.1:9092', logger: silentLogger }));
  try {
    for (const addr of [
      { host: '127.0.0.1', port: 70000 },
      { host: '127.0.0.1', port: -1 },
      { host: '', port: 9092 },
    ]) {
      await assert.rejects(
        c.pool.get(addr, 'general'),
        (err: unknown) => err instanceof ConnectionError && err.code === 'INVALID_BROKER_ADDRESS',
        JSON.stringify(addr),
      );
    }
  } finally {
    c.close();
  }
});
