// @confluentinc/kafka-javascript (librdkafka binding) through its KafkaJS-compatible API — its
// migration API for KafkaJS users (rows labelled so); confluent-standard-consume.ts measures its
// standard API, which the confluent goal is judged against. Loaded from CONFLUENT_KAFKA (installed
// on demand by the bench, never a dependency of Sluice).
import { createRequire } from 'node:module';
import { consumeArgs, Tally } from './consume-args.js';

interface ConfluentMessage {
  value: Buffer | null;
}
interface ConfluentConsumer {
  connect(): Promise<void>;
  subscribe(o: { topics: string[] }): Promise<void>;
  run(o: {
    eachMessage?: (p: { message: ConfluentMessage }) => Promise<void>;
    eachBatch?: (p: { batch: { messages: ConfluentMessage[] } }) => Promise<void>;
  }): Promise<void>;
  disconnect(): Promise<void>;
}

const { bootstrap, topic, count, group, mode } = consumeArgs();
const { KafkaJS } = createRequire(import.meta.url)(process.env.CONFLUENT_KAFKA!) as {
  KafkaJS: {
    Kafka: new (o: unknown) => { consumer(o: unknown): ConfluentConsumer };
    logLevel: { NOTHING: number };
  };
};
const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
const tally = new Tally();
// librdkafka's rebalance callback; -175 is ERR__ASSIGN_PARTITIONS.
const consumer = kafka.consumer({
  kafkaJS: { groupId: group, fromBeginning: true, autoCommit: false },
  // As confluent's own performance example (examples/performance/performance-primitives.js).
  'fetch.queue.backoff.ms': 100,
  // js.consumer.max.batch.size stays at its default (32): -1 (whole fetched batches) measured ~150 MB
  // more RSS for no gain in records/s (issue 19).
  rebalance_cb: (err: { code: number }) => {
    if (err.code === -175) tally.ready();
  },
});
await consumer.connect();
await consumer.subscribe({ topics: [topic] });
await new Promise<void>((resolve, reject) => {
  const run =
    mode === 'eachBatch'
      ? consumer.run({
          eachBatch: async ({ batch }) => {
            let finished = false;
            for (const m of batch.messages) finished = tally.add(m.value, count);
            if (finished) resolve();
          },
        })
      : consumer.run({
          eachMessage: async ({ message }) => {
            if (tally.add(message.value, count)) resolve();
          },
        });
  run.catch(reject);
});
await consumer.disconnect();
tally.print({ client: `confluent-${mode || 'eachMessage'}`, node: process.version });
