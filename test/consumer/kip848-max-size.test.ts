// GROUP_MAX_SIZE_REACHED with the KIP-848 protocol, on a broker of its own whose
// group.consumer.max.size is 1: the second member stops with a typed, non-retriable error, and the
// first keeps consuming untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { GroupFatalError } from '../../src/consumer/group/errors.js';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaCluster, startKafka, uniqueName, waitFor } from '../kafka/index.js';

let kafka: KafkaCluster;
before(async () => {
  kafka = await startKafka({ config: { 'group.consumer.max.size': 1 } });
});
after(() => kafka?.close());

test('consumer protocol: a member beyond group.consumer.max.size fails with GROUP_MAX_SIZE_REACHED', {
  timeout: 90000,
}, async () => {
  const producer = new TestProducer(kafka.bootstrap);
  const topic = uniqueName('k848max');
  const groupId = uniqueName('g');
  const opts = { brokers: kafka.bootstrap, groupId, groupProtocol: 'consumer', autoOffsetReset: 'earliest' } as const;
  const a = new Consumer(opts);
  const b = new Consumer(opts);
  try {
    await producer.createTopic(topic, 2);
    await producer.fill(topic, 2, 50, 'x');
    let seenA = 0;
    a.subscribe(topic);
    const runA = a.run({ eachMessage: () => void seenA++ });
    runA.catch(() => {});
    await waitFor(() => (seenA >= 50 ? true : undefined), { timeoutMs: 30000, what: 'the first member consumes' });
    b.subscribe(topic);
    await assert.rejects(
      b.run({ eachMessage: () => {} }),
      (err: unknown) => err instanceof GroupFatalError && err.code === 'GROUP_MAX_SIZE_REACHED' && !err.retriable,
    );
    await producer.fill(topic, 2, 50, 'y');
    await waitFor(() => (seenA >= 100 ? true : undefined), { timeoutMs: 30000, what: 'the first member goes on' });
  } finally {
    await Promise.all([a.close(), b.close()]);
    producer.close();
  }
});
