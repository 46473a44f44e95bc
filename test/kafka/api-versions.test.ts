import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiVersions, metadataBrokers, sharedKafka, uniqueName } from './index.js';

test('the shared broker answers a hand-encoded ApiVersions v3 request over TCP', async () => {
  const kafka = await sharedKafka();
  const broker = kafka.brokers[0]!;
  const res = await apiVersions(broker.host, broker.port, 3);
  assert.equal(res.errorCode, 0);
  const own = res.apiKeys.get(18);
  assert.ok(own, 'ApiVersions (18) is listed');
  assert.equal(own.minVersion, 0);
  assert.ok(own.maxVersion >= 3 && own.maxVersion < 100, `ApiVersions max ${own.maxVersion}`);
  const fetch = res.apiKeys.get(1);
  assert.ok(fetch, 'Fetch (1) is listed');
  // Kafka 4.0 dropped Fetch v0–3 (KIP-896); 3.9 still has them. Every supported broker has v12+.
  assert.ok(fetch.minVersion >= 0 && fetch.minVersion <= 4, `Fetch min ${fetch.minVersion}`);
  assert.ok(fetch.maxVersion >= 12 && fetch.maxVersion < 100, `Fetch max ${fetch.maxVersion}`);
  assert.ok(res.finalizedFeatures.has('metadata.version'), 'v3 carries the finalized features');
});

test('ApiVersions v0 (non-flexible encoding) gets the same API list', async () => {
  const { brokers } = await sharedKafka();
  const [v0, v3] = await Promise.all([
    apiVersions('127.0.0.1', brokers[0]!.port, 0),
    apiVersions('127.0.0.1', brokers[0]!.port, 3),
  ]);
  assert.equal(v0.errorCode, 0);
  assert.deepEqual([...v0.apiKeys.entries()], [...v3.apiKeys.entries()]);
});

test('Metadata v12 lists the single broker at its advertised loopback address', async () => {
  const kafka = await sharedKafka();
  const md = await metadataBrokers('127.0.0.1', kafka.brokers[0]!.port);
  assert.deepEqual(
    md.brokers.map((b) => [b.nodeId, b.host, b.port]),
    [[1, '127.0.0.1', kafka.brokers[0]!.port]],
  );
  assert.ok(md.clusterId && md.clusterId.length === 22);
});

test('uniqueName gives distinct names that are valid Kafka topic names', () => {
  const names = new Set(Array.from({ length: 100 }, () => uniqueName('my topic/x')));
  assert.equal(names.size, 100);
  for (const n of names) assert.match(n, /^[A-Za-z0-9._-]{1,249}$/);
});

test('KIP-848 consumer groups and KIP-932 share groups are enabled where the version has them', async () => {
  const kafka = await sharedKafka();
  const res = await apiVersions('127.0.0.1', kafka.brokers[0]!.port, 3);
  const [major = 0, minor = 0] = kafka.version.split('.').map(Number);
  assert.ok(res.apiKeys.has(68), 'ConsumerGroupHeartbeat (68) is offered');
  if (major >= 4) assert.ok((res.finalizedFeatures.get('group.version')?.maxVersion ?? 0) >= 1, 'group.version ≥ 1');
  if (major > 4 || (major === 4 && minor >= 1)) {
    assert.ok((res.finalizedFeatures.get('share.version')?.maxVersion ?? 0) >= 1, 'share.version ≥ 1');
    assert.ok(res.apiKeys.has(76), 'ShareGroupHeartbeat (76) is offered');
  }
});
