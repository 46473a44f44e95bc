// One produce-benchmark client, run as a child process by bench/produce.ts (under GNU time):
//   node produce-client.js --client sluice|platformatic|kafkajs|confluent --bootstrap h:p --topic t --count n
//        [--size 100] [--compression none] [--per-send 100] [--in-flight 64] [--partitions 1]
// Every client sends the same data the same way: `count` keyless records whose value is one
// `size`-byte payload of random letters (as Kafka's ProducerPerformance), `per-send` records per send()
// call, at most `in-flight` calls outstanding, acks=all. Idempotence: on for Sluice (its default, which
// pipelines); off for @platformatic/kafka 1.x and KafkaJS, whose idempotent modes cannot overlap sends.
// It prints one JSON line: records, value bytes, and ms from the first send to the last acknowledgement.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    bootstrap: { type: 'string' },
    topic: { type: 'string' },
    count: { type: 'string' },
    size: { type: 'string', default: '100' },
    compression: { type: 'string', default: 'none' },
    'per-send': { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '64' },
    partitions: { type: 'string', default: '1' },
  },
});
const client = values.client ?? 'sluice';
const bootstrap = values.bootstrap!;
const topic = values.topic!;
const count = Number(values.count);
const size = Number(values.size);
const compression = values.compression!;
const perSend = Number(values['per-send']);
const inFlight = Number(values['in-flight']);
const partitions = Number(values.partitions);
const payload = Buffer.from(Array.from({ length: size }, () => 65 + Math.floor(Math.random() * 26)));

type SendBatch = (n: number) => Promise<unknown>;

/** Sends `count` records through `send`, keeping at most `inFlight` calls outstanding. */
async function drive(send: SendBatch): Promise<number> {
  const t0 = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (let sent = 0; sent < count; ) {
    const n = Math.min(perSend, count - sent);
    const p = send(n).then(() => {
      pending.delete(p);
    });
    pending.add(p);
    sent += n;
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  return performance.now() - t0;
}

async function sluice(): Promise<number> {
  const { Producer } = await import('../../src/index.js');
  const producer = new Producer({
    brokers: bootstrap,
    clientId: 'bench',
    compression: compression as 'none',
    // Room for every call in flight (in-flight × per-send records) without send() waiting.
    bufferMemory: 64 * 1024 * 1024,
  });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: payload }] }); // warm-up: metadata and producer id
  const ms = await drive((n) => {
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { value: payload };
    return producer.send({ topic, messages });
  });
  await producer.close();
  return ms;
}

async function platformatic(): Promise<number> {
  const mod = (await import(
    process.env.PLATFORMATIC_KAFKA ?? '@platformatic/kafka'
  )) as typeof import('@platformatic/kafka');
  const codes: Record<string, unknown> = { none: undefined, gzip: 'gzip', snappy: 'snappy', lz4: 'lz4', zstd: 'zstd' };
  const producer = new mod.Producer({
    clientId: 'bench',
    bootstrapBrokers: bootstrap.split(','),
    acks: -1,
    // Its idempotent mode fails with OUT_OF_ORDER_SEQUENCE_NUMBER when sends overlap (1.35), so off.
    idempotent: false,
    compression: codes[compression] as never,
  });
  await producer.send({ messages: [{ topic, value: payload }] });
  // Sticky, as the other clients batch keyless records: each call goes to one partition, the next
  // call to the next one. Without it platformatic spreads every call over all partitions, i.e. many
  // small batches per call (a keyless record goes round robin, record by record: #assignPartition in
  // its dist/clients/producer/producer.js).
  let call = 0;
  const ms = await drive((n) => {
    const partition = call++ % partitions;
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { topic, value: payload, partition };
    return producer.send({ messages });
  });
  await producer.close();
  return ms;
}

async function kafkajs(): Promise<number> {
  const require = createRequire(import.meta.url);
  const { Kafka, CompressionTypes, logLevel } = require('kafkajs') as typeof import('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });
  // Idempotence off: KafkaJS allows it only with maxInFlightRequests 1, which would not be a throughput test.
  const producer = kafka.producer({ idempotent: false });
  await producer.connect();
  const codec = compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  await producer.send({ topic, messages: [{ value: payload }], acks: -1 });
  const ms = await drive((n) => {
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { value: payload };
    return producer.send({ topic, messages, acks: -1, compression: codec });
  });
  await producer.disconnect();
  return ms;
}

interface ConfluentProducer {
  connect(): Promise<void>;
  send(o: { topic: string; messages: { value: Buffer }[] }): Promise<unknown>;
  disconnect(): Promise<void>;
}

/** @confluentinc/kafka-javascript through its KafkaJS-compatible API (idempotent, acks=all). */
async function confluent(): Promise<number> {
  const { KafkaJS } = createRequire(import.meta.url)(process.env.CONFLUENT_KAFKA!) as {
    KafkaJS: {
      Kafka: new (o: unknown) => { producer(o: unknown): ConfluentProducer };
      logLevel: { NOTHING: number };
      CompressionTypes: Record<string, string>;
    };
  };
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: bootstrap.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
  const producer = kafka.producer({
    kafkaJS: { acks: -1, idempotent: true, ...(compression === 'none' ? {} : { compression }) },
  });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: payload }] });
  const ms = await drive((n) => {
    const messages = new Array(n);
    for (let i = 0; i < n; i++) messages[i] = { value: payload };
    return producer.send({ topic, messages });
  });
  await producer.disconnect();
  return ms;
}

const run = { sluice, platformatic, kafkajs, confluent }[client];
if (!run) throw new Error(`unknown client ${client}`);
const ms = await run();
console.log(JSON.stringify({ records: count, bytes: count * size, ms, client, node: process.version }));
process.exit(0);
