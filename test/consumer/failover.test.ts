import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaCluster, startKafka, uniqueName } from '../kafka/index.js';

// One 3-node cluster for the file; the failover test (last) kills a node of it.
let kafka: KafkaCluster;
before(async () => {
  kafka = await startKafka({ nodes: 3 });
});
after(() => kafka?.close());

test('a consumer started the moment its topic is created (metadata not yet on every broker) waits and consumes it', async () => {
  const admin = new Admin({ brokers: kafka.bootstrap });
  const producer = new TestProducer(kafka.bootstrap);
  const topic = uniqueName('fresh');
  const consumer = new Consumer({
    brokers: kafka.bootstrap,
    groupId: uniqueName('g'),
    autoOffsetReset: 'earliest',
    assignors: ['cooperative-sticky'],
    heartbeatIntervalMs: 500,
  });
  try {
    // No waiting for leaders: the consumer starts while the topic's metadata spreads. On Kafka 3.9.1 this
    // used to stop the consumer with UNKNOWN_TOPIC_OR_PARTITION before it had joined.
    await admin.createTopics([{ topic, numPartitions: 6, replicationFactor: 3 }]);
    consumer.subscribe(topic);
    const seen = new Set<string>();
    const done = consumer.run({
      eachMessage: (r) => {
        seen.add(String(r.value));
        if (seen.size === 60) setImmediate(() => consumer.close());
      },
      signal: AbortSignal.timeout(60000),
    });
    for (let p = 0; p < 6; p++)
      await producer.send(
        topic,
        p,
        Array.from({ length: 10 }, (_, i) => ({ value: `${p}-${i}` })),
      );
    await done;
    assert.equal(seen.size, 60);
  } finally {
    await consumer.close();
    producer.close();
    admin.close();
  }
});

test('a 3-node cluster loses the leader of a partition mid-stream: the consumer moves to the new leader and loses nothing', async () => {
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
  }
});
