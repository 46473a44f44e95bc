// @confluentinc/kafka-javascript through its standard (node-rdkafka style) API: the API confluent
// recommends for throughput, so the confluent-js goal is judged against it. A `consume(10000)` loop
// in flowing callbacks. Loaded from CONFLUENT_KAFKA (installed on demand by the bench).
import { createRequire } from 'node:module';
import { consumeArgs, Tally } from './consume-args.js';

interface RdMessage {
  value: Buffer | null;
}
interface RdConsumer {
  connect(): void;
  on(event: 'ready', cb: () => void): void;
  on(event: 'event.error', cb: (e: Error) => void): void;
  subscribe(topics: string[]): void;
  assign(a: unknown): void;
  unassign(): void;
  consume(n: number, cb: (err: Error | null, messages: RdMessage[]) => void): void;
  disconnect(cb: () => void): void;
}

const { bootstrap, topic, count, group } = consumeArgs();
const { KafkaConsumer, CODES } = createRequire(import.meta.url)(process.env.CONFLUENT_KAFKA!) as {
  KafkaConsumer: new (conf: Record<string, unknown>, topicConf: Record<string, unknown>) => RdConsumer;
  CODES: { ERRORS: { ERR__ASSIGN_PARTITIONS: number } };
};
const tally = new Tally();
const consumer: RdConsumer = new KafkaConsumer(
  {
    'metadata.broker.list': bootstrap,
    'group.id': group,
    'enable.auto.commit': false,
    // As confluent's own performance example (examples/performance/performance-primitives.js in
    // confluentinc/confluent-kafka-javascript): a shorter backoff on a full fetch queue than the 1 s default.
    'fetch.queue.backoff.ms': 100,
    // librdkafka's prefetch queue per partition (default 100000 messages); raised so the fetcher
    // thread never waits for the JS loop to drain it (librdkafka CONFIGURATION.md, queued.min.messages).
    'queued.min.messages': 1_000_000,
    rebalance_cb: (err: { code: number }, assignment: unknown) => {
      if (err.code === CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
        consumer.assign(assignment);
        tally.ready();
      } else consumer.unassign();
    },
  },
  { 'auto.offset.reset': 'earliest' },
);
await new Promise<void>((resolve, reject) => {
  consumer.on('event.error', reject);
  consumer.on('ready', () => {
    consumer.subscribe([topic]);
    // consume(n) hands back up to n messages per call; the next call starts once they are counted.
    const next = (): void =>
      consumer.consume(10_000, (err, messages) => {
        if (err) return reject(err);
        for (const m of messages) if (tally.add(m.value, count)) return resolve();
        next();
      });
    next();
  });
  consumer.connect();
});
await new Promise<void>((resolve) => consumer.disconnect(resolve));
tally.print({ client: 'confluent-standard', node: process.version });
