import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiVersions, metadataBrokers, startKafka, waitFor } from './index.js';

const liveBrokers = async (port: number) =>
  (await metadataBrokers('127.0.0.1', port)).brokers.map((b) => b.nodeId).sort();

test('3-node cluster: SIGKILL one node, the other two keep serving; restart brings it back', async () => {
  const cluster = await startKafka({ nodes: 3 });
  try {
    const [one, two, three] = cluster.brokers;
    assert.ok(one && two && three);
    assert.equal(cluster.bootstrap, cluster.brokers.map((b) => `127.0.0.1:${b.port}`).join(','));
    assert.deepEqual(await liveBrokers(one.port), [1, 2, 3]);

    const pid = cluster.pid(2);
    assert.ok(pid);
    await cluster.kill(2);
    assert.equal(cluster.pid(2), undefined);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    for (const b of [one, three]) assert.equal((await apiVersions('127.0.0.1', b.port, 3)).errorCode, 0);
    // The controller fences node 2 once broker.session.timeout.ms (3 s in the harness) passes without a heartbeat.
    await waitFor(async () => (await liveBrokers(three.port)).join() === '1,3', { what: 'node 2 to be fenced' });

    await cluster.restart(2);
    assert.equal((await apiVersions('127.0.0.1', two.port, 3)).errorCode, 0);
    await waitFor(async () => (await liveBrokers(one.port)).join() === '1,2,3', { what: 'node 2 to rejoin' });
  } finally {
    await cluster.close();
  }
});
