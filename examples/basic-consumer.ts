// Joins consumer group `my_group`, reads topic `my_topic` and prints `topic: value` for each record.
// Run:  npm run kafka   (in another terminal)   then   node --import tsx examples/basic-consumer.ts
// Ctrl-C stops it gracefully: processed offsets are committed and the consumer leaves the group.
import { Consumer } from '../src/index.js';

const consumer = new Consumer({
  brokers: [process.env.KAFKA_BROKERS ?? 'localhost:9092'],
  groupId: process.env.KAFKA_GROUP ?? 'my_group',
  autoOffsetReset: 'earliest',
});
// The topic does not need to exist yet: the consumer waits for it (set KAFKA_TOPIC to read another).
consumer.subscribe(process.env.KAFKA_TOPIC ?? 'my_topic');

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void consumer.close());

await consumer.run({
  eachMessage: (record) => {
    console.log(`${record.topic}: ${record.value?.toString() ?? '<null>'}`);
  },
});
