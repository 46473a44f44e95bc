// sluice-test-needs: kafka@3.9.1
// Kafka 3.9 has only the early-access KIP-848 (ConsumerGroupHeartbeat v0, even when enabled as the
// harness does): `groupProtocol: 'consumer'` fails with a typed error saying to use 'classic'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { SluiceError } from '../../src/errors.js';
import { startKafka, uniqueName } from '../kafka/index.js';

test("Kafka 3.9: groupProtocol 'consumer' is rejected with GROUP_PROTOCOL_UNSUPPORTED, naming 'classic'", {
  timeout: 120000,
}, async () => {
  const cluster = await startKafka({ version: '3.9.1' });
  try {
    const consumer = new Consumer({
      brokers: cluster.bootstrap,
      groupId: uniqueName('g'),
      groupProtocol: 'consumer',
      requestTimeoutMs: 10000,
    });
    consumer.subscribe(uniqueName('t'));
    const started = Date.now();
    await assert.rejects(
      consumer.run({ eachMessage: () => {} }),
      (err: unknown) =>
        err instanceof SluiceError &&
        err.code === 'GROUP_PROTOCOL_UNSUPPORTED' &&
        !err.retriable &&
        /groupProtocol: 'classic'/.test(err.message),
    );
    assert.ok(Date.now() - started < 60000, 'fails promptly, not after retries');
    await consumer.close();
  } finally {
    await cluster.close();
  }
});
