// sluice-test-needs: kafka@3.9.1
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiVersions, startKafka } from './index.js';

// The last 3.x line: reload4j logging instead of log4j2, and KIP-848 behind a config switch.
test('Kafka 3.9.1 starts and answers ApiVersions', async () => {
  const cluster = await startKafka({ version: '3.9.1' });
  try {
    assert.equal(cluster.version, '3.9.1');
    const res = await apiVersions('127.0.0.1', cluster.brokers[0]!.port, 3);
    assert.equal(res.errorCode, 0);
    assert.equal(res.apiKeys.get(1)?.maxVersion, 17, 'Fetch v17 is the 3.9 maximum');
    assert.ok(res.apiKeys.has(68), 'ConsumerGroupHeartbeat (KIP-848) is enabled');
  } finally {
    await cluster.close();
  }
});
