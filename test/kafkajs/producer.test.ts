// sluice/kafkajs producer against the real broker, and against KafkaJS 2.2.4 itself where the result
// must be the same: what is written (read back with bare fetches), the result shape, partitioners,
// compression, acks, errors and events.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as real from 'kafkajs';
import { Admin } from '../../src/admin/admin.js';
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  KafkaJSError,
  KafkaJSNonRetriableError,
  logLevel,
  Partitioners,
} from '../../src/kafkajs/index.js';
import { partitionForKey } from '../../src/producer/partitioner.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { readTopic } from '../producer/read-back.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let kafka: KafkaInfo;
let admin: Admin;
let brokers: string[];

before(async () => {
  kafka = await sharedKafka();
  brokers = kafka.bootstrap.split(',');
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueName('kjs-p');
  await admin.createTopics([{ topic, numPartitions: partitions }]);
  return topic;
}

const facade = (clientId = 'facade') => new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
const realKafka = () => new real.Kafka({ clientId: 'real', brokers, logLevel: real.logLevel.NOTHING });

const messages = () => [
  {
    key: 'k1',
    value: 'v1',
    partition: 0,
    headers: { h: 'x', multi: ['a', Buffer.from('b')] },
    timestamp: '1700000000000',
  },
  { key: Buffer.from('k2'), value: Buffer.from([0, 1, 2]), partition: 0, timestamp: '1700000000001' },
  { key: null, value: null, partition: 1 },
];

test('send writes what KafkaJS writes and resolves with the same RecordMetadata shape', async () => {
  const ours = await topicWith(2);
  const theirs = await topicWith(2);
  const p = facade().producer();
  // Idempotent, so a retry of KafkaJS's right after the topic was created cannot write a batch twice.
  const rp = realKafka().producer({ idempotent: true });
  await p.connect();
  await rp.connect();
  try {
    const a = await p.send({ topic: ours, messages: messages() });
    const b = await rp.send({ topic: theirs, messages: messages() });
    // logStartOffset: Sluice's producer does not report it (documented); the rest is identical.
    const strip = (r: real.RecordMetadata[], topic: string) =>
      r
        .map(({ logStartOffset, ...rest }) => ({ ...rest, topicName: rest.topicName === topic ? 'T' : rest.topicName }))
        .sort((x, y) => x.partition - y.partition);
    assert.deepEqual(strip(a, ours), strip(b, theirs));
    assert.deepEqual(strip(a, ours), [
      { topicName: 'T', partition: 0, errorCode: 0, baseOffset: '0', logAppendTime: '-1' },
      { topicName: 'T', partition: 1, errorCode: 0, baseOffset: '0', logAppendTime: '-1' },
    ]);
    for (const r of a) assert.equal(typeof r.logStartOffset, 'string');

    // Both wrote the same records: keys, values, headers (array values as repeated headers), timestamps.
    const shape = (parts: Awaited<ReturnType<typeof readTopic>>) =>
      parts.map((recs) =>
        recs.map((r) => ({
          key: r.key?.toString('hex') ?? null,
          value: r.value?.toString('hex') ?? null,
          headers: r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
          offset: r.offset,
        })),
      );
    const mine = await readTopic(kafka.bootstrap, ours);
    const real2 = await readTopic(kafka.bootstrap, theirs);
    assert.deepEqual(shape(mine), shape(real2));
    assert.deepEqual(
      mine[0]![0]!.headers.map((h) => [h.key, h.value?.toString()]),
      [
        ['h', 'x'],
        ['multi', 'a'],
        ['multi', 'b'],
      ],
    );
    assert.equal(mine[0]![0]!.timestamp, 1700000000000);
    assert.equal(mine[0]![1]!.timestamp, 1700000000001);
    assert.equal(mine[1]![0]!.key, null);
    assert.equal(mine[1]![0]!.value, null);
    // KafkaJS's default (idempotent unset) still gets Sluice's idempotent producer for acks -1.
    assert.equal(p.isIdempotent(), false);
    assert.ok(mine.flat().every((r) => r.producerId >= 0));
  } finally {
    await p.disconnect();
    await rp.disconnect();
  }
});

test('sendBatch merges topics, acks 1 and acks 0 work (acks 0 resolves with [])', async () => {
  const t1 = await topicWith(1);
  const t2 = await topicWith(1);
  const p = facade().producer();
  await p.connect();
  try {
    const r = await p.sendBatch({
      topicMessages: [
        { topic: t1, messages: [{ value: 'a' }] },
        { topic: t2, messages: [{ value: 'b' }] },
        { topic: t1, messages: [{ value: 'c' }] },
      ],
    });
    assert.deepEqual(
      r.map((x) => [x.topicName, x.partition, x.baseOffset]),
      [
        [t1, 0, '0'],
        [t2, 0, '0'],
      ],
    );
    const plain = facade().producer({ idempotent: false });
    await plain.connect();
    await plain.send({ topic: t2, messages: [{ value: 'plain' }] });
    await plain.disconnect();
    const one = await p.send({ topic: t1, acks: 1, messages: [{ value: 'd' }] });
    assert.equal(one[0]!.baseOffset, '2');
    assert.deepEqual(await p.send({ topic: t1, acks: 0, messages: [{ value: 'e' }] }), []);
    const read = await readTopic(kafka.bootstrap, t1);
    assert.deepEqual(
      read[0]!.map((x) => x.value!.toString()),
      ['a', 'c', 'd', 'e'],
    );
    // acks -1: idempotent (a producer id); acks 1 and 0 cannot be, and neither can `idempotent: false`.
    assert.deepEqual(
      read[0]!.map((x) => x.producerId >= 0),
      [true, true, false, false],
    );
    const read2 = (await readTopic(kafka.bootstrap, t2))[0]!;
    assert.deepEqual(
      read2.map((x) => [x.value!.toString(), x.producerId >= 0]),
      [
        ['b', true],
        ['plain', false],
      ],
    );
  } finally {
    await p.disconnect();
  }
});

test('DefaultPartitioner: keyed records land where Java/Sluice and KafkaJS 2.2.4 put them', async () => {
  const topic = await topicWith(7);
  const keys = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? Buffer.from([i, 255, i * 7]) : `key-${i}-é`));
  const p = facade().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  try {
    await p.send({ topic, messages: keys.map((key, i) => ({ key, value: String(i) })) });
  } finally {
    await p.disconnect();
  }
  const theirs = real.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 7 }, (_, p) => ({
    partitionErrorCode: 0,
    partitionId: p,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  const read = await readTopic(kafka.bootstrap, topic);
  let seen = 0;
  for (const [partition, recs] of read.entries()) {
    for (const r of recs) {
      const key = keys[Number(r.value!.toString())]!;
      assert.equal(partition, partitionForKey(Buffer.from(key), 7));
      assert.equal(partition, theirs({ topic, partitionMetadata, message: { key, value: null } }));
      seen++;
    }
  }
  assert.equal(seen, keys.length);
});

test('LegacyPartitioner agrees with KafkaJS 2.2.4 for the same keys and partition counts', () => {
  const ours = Partitioners.LegacyPartitioner();
  const theirs = real.Partitioners.LegacyPartitioner();
  const keys: Array<string | Buffer> = [''];
  for (let len = 1; len <= 40; len++) {
    keys.push('x'.repeat(len), `key-${len}`, `ключ-${len}`);
    keys.push(Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + len * 11) & 255)));
  }
  let differsFromJava = 0;
  for (let count = 1; count <= 13; count++) {
    const partitionMetadata = Array.from({ length: count }, (_, p) => ({
      partitionErrorCode: 0,
      partitionId: p,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
    for (const key of keys) {
      const message = { key, value: null };
      const expected = theirs({ topic: 't', partitionMetadata, message });
      assert.equal(ours({ topic: 't', partitionMetadata, message }), expected, `key ${String(key)} of ${count}`);
      if (expected !== partitionForKey(Buffer.from(key), count)) differsFromJava++;
    }
  }
  // The legacy hash is not Java's (the reason KafkaJS 2.0 changed its default): the test is not vacuous.
  assert.ok(differsFromJava > 100, `legacy differs from Java for ${differsFromJava} keys`);
});

test('a producer with LegacyPartitioner or a custom partitioner writes where they say', async () => {
  const topic = await topicWith(5);
  const legacy = facade().producer({ createPartitioner: Partitioners.LegacyPartitioner });
  const seenByCustom: unknown[] = [];
  const custom = facade().producer({
    createPartitioner:
      () =>
      ({ partitionMetadata, message }) => {
        seenByCustom.push(message.key);
        return Number(message.headers && (message.headers as { p: string }).p) % partitionMetadata.length;
      },
  });
  await legacy.connect();
  await custom.connect();
  const keys = Array.from({ length: 20 }, (_, i) => `legacy-${i}`);
  try {
    await legacy.send({ topic, messages: keys.map((key) => ({ key, value: `L:${key}` })) });
    await custom.send({
      topic,
      messages: [0, 1, 2, 3, 4, 8].map((n) => ({ key: `c${n}`, value: `C:${n}`, headers: { p: String(n) } })),
    });
  } finally {
    await legacy.disconnect();
    await custom.disconnect();
  }
  // The custom partitioner saw the message as given (string key, headers).
  assert.deepEqual(seenByCustom, ['c0', 'c1', 'c2', 'c3', 'c4', 'c8']);
  const theirs = real.Partitioners.LegacyPartitioner();
  const partitionMetadata = Array.from({ length: 5 }, (_, p) => ({
    partitionErrorCode: 0,
    partitionId: p,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  const read = await readTopic(kafka.bootstrap, topic);
  let count = 0;
  for (const [partition, recs] of read.entries()) {
    for (const r of recs) {
      const v = r.value!.toString();
      const key = r.key!.toString();
      if (v.startsWith('L:')) {
        assert.equal(partition, theirs({ topic, partitionMetadata, message: { key, value: v } }), key);
      } else {
        assert.equal(partition, Number(v.slice(2)) % 5);
      }
      count++;
    }
  }
  assert.equal(count, 26);
});

test('every CompressionTypes value writes batches with that codec; unknown codecs are a KafkaJS error', async () => {
  const topic = await topicWith(1);
  // Registering a codec plug-in is accepted (Sluice has them built in).
  CompressionCodecs[CompressionTypes.Snappy] = () => ({});
  const p = facade().producer();
  await p.connect();
  try {
    for (const [name, type] of Object.entries(CompressionTypes)) {
      await p.send({
        topic,
        compression: type,
        messages: Array.from({ length: 5 }, (_, i) => ({ key: name, value: `${name}-${i}-${'z'.repeat(200)}` })),
      });
    }
    await assert.rejects(
      p.send({ topic, compression: 9 as never, messages: [{ value: 'x' }] }),
      (e: Error) => e instanceof KafkaJSNonRetriableError && /Unsupported compression codec 9/.test(e.message),
    );
  } finally {
    await p.disconnect();
  }
  const read = (await readTopic(kafka.bootstrap, topic))[0]!;
  assert.equal(read.length, 25);
  for (const r of read) {
    const name = r.key!.toString() as keyof typeof CompressionTypes;
    assert.equal(r.compression, CompressionTypes[name], name);
    assert.match(r.value!.toString(), new RegExp(`^${name}-\\d-z+$`));
  }
});

test('KafkaJS errors: not connected, no value, acks with idempotence, unknown topic (same class as KafkaJS)', async () => {
  const topic = await topicWith(1);
  const p = facade().producer();
  await assert.rejects(p.send({ topic, messages: [{ value: 'x' }] }), (e: Error) => {
    assert.ok(e instanceof KafkaJSError);
    assert.equal(e.message, 'The producer is disconnected');
    return true;
  });
  await p.connect();
  try {
    await assert.rejects(
      p.send({ topic, messages: [{ key: 'k' } as never] }),
      (e: Error) => e instanceof KafkaJSNonRetriableError && /Invalid message without value/.test(e.message),
    );
    await assert.rejects(p.send({ topic: '', messages: [] }), (e: Error) => e.message === 'Invalid topic');
    await assert.rejects(
      p.send({ topic, messages: [{ key: 5 as never, value: 'x' }] }),
      (e: Error) => e instanceof KafkaJSNonRetriableError && /key must be a Buffer, a string or null/.test(e.message),
    );
  } finally {
    await p.disconnect();
  }
  // A setting Sluice rejects is a KafkaJS error too (Sluice's ConfigError is its cause).
  await assert.rejects(facade().producer({ maxInFlightRequests: 0 }).connect(), (e: Error) => {
    assert.ok(e instanceof KafkaJSNonRetriableError);
    assert.match(e.message, /maxInFlightRequestsPerConnection/);
    return true;
  });
  const idem = facade().producer({ idempotent: true });
  assert.equal(idem.isIdempotent(), true);
  await idem.connect();
  try {
    await assert.rejects(
      idem.send({ topic, acks: 1, messages: [{ value: 'x' }] }),
      /invalidates the idempotent producer's EoS guarantees/,
    );
    const r = await idem.send({ topic, messages: [{ value: 'idempotent' }] });
    assert.equal(r[0]!.baseOffset, '0');
  } finally {
    await idem.disconnect();
  }

  // A topic that does not exist, auto-creation off: both give up after their retries with the same error class.
  const missing = uniqueName('kjs-missing');
  const retry = { retries: 2, initialRetryTime: 100, maxRetryTime: 200 };
  const ours = facade().producer({ allowAutoTopicCreation: false, retry });
  const theirs = realKafka().producer({ allowAutoTopicCreation: false, retry });
  await ours.connect();
  await theirs.connect();
  try {
    const a = await ours.send({ topic: missing, messages: [{ value: 'x' }] }).then(
      () => assert.fail('sent to a missing topic'),
      (e) => e,
    );
    const b = await theirs.send({ topic: missing, messages: [{ value: 'x' }] }).then(
      () => assert.fail('sent to a missing topic'),
      (e) => e,
    );
    assert.equal(a.name, b.name);
    assert.equal(a.retriable, b.retriable);
    assert.equal(a.cause?.name, b.cause?.name);
    assert.equal(a.cause?.type, b.cause?.type);
  } finally {
    await ours.disconnect();
    await theirs.disconnect();
  }
});

test('CONNECT and DISCONNECT events; unknown event names are rejected as KafkaJS does', async () => {
  const p = facade().producer();
  const seen: string[] = [];
  p.on(p.events.CONNECT, (e) => {
    seen.push(e.type);
  });
  const remove = p.on(p.events.DISCONNECT, (e) => {
    seen.push(e.type);
  });
  assert.throws(() => p.on('producer.nope', () => {}), /Event name should be one of producer.events.CONNECT/);
  await p.connect();
  await p.disconnect();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['producer.connect', 'producer.disconnect']);
  remove();
  assert.equal(typeof p.logger().info, 'function');
});
