import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { TestProducer } from '../helpers/produce.js';
import { startKafka, uniqueName } from '../kafka/index.js';

test('a 3-node cluster loses the leader of a partition mid-stream: the consumer moves to the new leader and loses nothing', async () => {
  const kafka = await startKafka({ nodes: 3 });
  const producer = new TestProducer(kafka.bootstrap);
  let consumer: Consumer | undefined;
  try {
    const topic = uniqueName('failover');
    await producer.createTopic(topic, 3);
    await producer.fill(topic, 3, 3000, 'a');
    const seen = new Map<string, number>();
    consumer = new Consumer({
      brokers: kafka.bootstrap,
      groupId: uniqueName('g'),
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 10000,
      heartbeatIntervalMs: 500,
      autoCommitIntervalMs: 500,
    });
    consumer.subscribe(topic);
    let killed = false;
    const c = consumer;
    const done = c.run({
      eachMessage: async (r) => {
        seen.set(r.value!.toString(), (seen.get(r.value!.toString()) ?? 0) + 1);
        if (!killed && seen.size >= 1000) {
          killed = true;
          const leader = producer.cluster.metadata.partition(topic, 0)!.leader;
          // Kill the partition's leader while this handler runs; then write more through the new leaders.
          setImmediate(async () => {
            await kafka.kill(leader);
            await producer.fill(topic, 3, 3000, 'b');
          });
        }
        if (seen.size >= 6000) setImmediate(() => c.close());
      },
    });
    const timer = setTimeout(() => c.close(), 90000);
    await done;
    clearTimeout(timer);
    assert.equal(seen.size, 6000, `all records consumed (got ${seen.size})`);
  } finally {
    await consumer?.close();
    producer.close();
    await kafka.close();
  }
});
