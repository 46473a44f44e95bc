// sluice/kafkajs: the KafkaJS client code of kafkajs-consume.ts (its fetch sizes are the native Sluice
// client's defaults), with only the import changed.
import { Kafka, logLevel } from '../../src/kafkajs/index.js';
import { consumeArgs, Tally } from './consume-args.js';

const { bootstrap, topic, count, group, mode } = consumeArgs();
const kafka = new Kafka({ brokers: bootstrap.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: group, maxBytes: 52428800, maxBytesPerPartition: 1048576 });
const tally = new Tally();
consumer.on(consumer.events.GROUP_JOIN, () => tally.ready());
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await new Promise<void>((resolve, reject) => {
  const run =
    mode === 'eachBatch'
      ? consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            let finished = false;
            for (const m of batch.messages) finished = tally.add(m.value, count);
            if (finished) resolve();
          },
        })
      : consumer.run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            if (tally.add(message.value, count)) resolve();
          },
        });
  run.catch(reject);
});
await consumer.disconnect();
tally.print({ client: `sluice/kafkajs-${mode || 'eachMessage'}`, node: process.version });
