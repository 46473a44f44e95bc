// sluice-test-needs: kafka@3.9.1
// Kafka 3.9 has no share groups (no ShareGroupHeartbeat): a ShareConsumer fails with a typed error
// saying which Kafka versions it needs, promptly, not after retrying.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { ShareConsumer } from '../../src/share/share-consumer.js';
import { startKafka, uniqueName } from '../kafka/index.js';

test('Kafka 3.9: a ShareConsumer is rejected with SHARE_GROUP_UNSUPPORTED, naming Kafka 4.2+', {
  timeout: 120000,
}, async () => {
  const cluster = await startKafka({ version: '3.9.1' });
  try {
    const consumer = new ShareConsumer({
      brokers: cluster.bootstrap,
      groupId: uniqueName('sg'),
      requestTimeoutMs: 10000,
      logger: silentLogger,
    });
    consumer.subscribe(uniqueName('t'));
    const started = Date.now();
    await assert.rejects(
      consumer.run({ eachMessage: () => {} }),
      (err: unknown) =>
        err instanceof SluiceError &&
        err.code === 'SHARE_GROUP_UNSUPPORTED' &&
        !err.retriable &&
        /Kafka 4\.2\+/.test(err.message),
    );
    assert.ok(Date.now() - started < 60000, 'fails promptly, not after retries');
    await consumer.close();
  } finally {
    await cluster.close();
  }
});
