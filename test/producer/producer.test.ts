import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { NotDeliveredError, RecordTooLargeError } from '../../src/producer/errors.js';
import { partitionForKey } from '../../src/producer/partitioner.js';
import { Producer } from '../../src/producer/producer.js';
import { type KafkaInfo, runJava, sharedKafka, uniqueName } from '../kafka/index.js';
import { readTopic } from './read-back.js';

let kafka: KafkaInfo;
let admin: Admin;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

async function topicWith(partitions: number, configs: Record<string, string> = {}, prefix = 'p'): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics([{ topic, numPartitions: partitions, configs }]);
  return topic;
}

test('send resolves each record’s partition, offset and timestamp in input order; the broker stores exactly that', async () => {
  const topic = await topicWith(3);
  const p = new Producer({ brokers: kafka.bootstrap });
  try {
    const ts = Date.now() - 60_000;
    const messages = [
      { key: 'k1', value: 'v1', headers: { trace: 'abc', empty: null } },
      { key: Buffer.from([0, 1, 2]), value: Buffer.from('bytes'), partition: 2, timestamp: ts },
      {
        key: null,
        value: null,
        headers: [
          { key: 'dup', value: 'a' },
          { key: 'dup', value: Buffer.from('b') },
        ],
      },
      { value: new Uint8Array([9, 8, 7]), partition: 0 },
      { key: 'k1', value: 'same key, same partition' },
    ];
    const res = await p.send({ topic, messages });
    assert.equal(res.length, 5);
    assert.equal(res[1]!.partition, 2);
    assert.equal(res[1]!.timestamp, ts);
    assert.equal(res[3]!.partition, 0);
    assert.equal(res[4]!.partition, res[0]!.partition);
    assert.ok(res[4]!.offset > res[0]!.offset);
    const stored = (await readTopic(kafka.bootstrap, topic)).flat();
    assert.equal(stored.length, 5);
    for (const [i, r] of res.entries()) {
      assert.equal(r.topic, topic);
      const s = stored.find((x) => x.partition === r.partition && x.offset === r.offset)!;
      assert.ok(s, `record ${i} is where send said`);
      assert.equal(s.timestamp, r.timestamp);
      const m = messages[i]!;
      const bytes = (v: unknown) => (v === null || v === undefined ? null : Buffer.from(v as string));
      assert.deepEqual(s.key, bytes(m.key));
      assert.deepEqual(s.value, bytes(m.value));
      assert.ok(s.producerId >= 0, 'idempotent by default');
    }
    const h0 = stored.find((x) => x.offset === res[0]!.offset && x.partition === res[0]!.partition)!.headers;
    assert.deepEqual(
      h0.map((h) => [h.key, h.value?.toString() ?? null]),
      [
        ['trace', 'abc'],
        ['empty', null],
      ],
    );
    const h2 = stored.find((x) => x.offset === res[2]!.offset && x.partition === res[2]!.partition)!.headers;
    assert.deepEqual(
      h2.map((h) => [h.key, h.value?.toString()]),
      [
        ['dup', 'a'],
        ['dup', 'b'],
      ],
    );
  } finally {
    await p.close();
  }
});

test('keyed records land on the partitions Kafka’s Java producer picks (end to end)', async () => {
  const partitions = 7;
  const topic = await topicWith(partitions);
  const { stdout } = await runJava({
    source: 'test/producer/java/PartitionVectors.java',
    args: ['strings', 'key-', '1000', String(partitions)],
  });
  const javaPartition = new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([key, , p]) => [key!, Number(p)]),
  );
  assert.equal(javaPartition.size, 1000);
  const p = new Producer({ brokers: kafka.bootstrap });
  try {
    const res = await p.send({
      topic,
      messages: [...javaPartition.keys()].map((key) => ({ key, value: `value of ${key}` })),
    });
    const keys = [...javaPartition.keys()];
    for (const [i, r] of res.entries()) assert.equal(r.partition, javaPartition.get(keys[i]!), keys[i]);
  } finally {
    await p.close();
  }
  const stored = await readTopic(kafka.bootstrap, topic);
  let count = 0;
  for (const [partition, records] of stored.entries()) {
    for (const r of records) {
      assert.equal(javaPartition.get(r.key!.toString()), partition, `${r.key} stored in partition ${partition}`);
      count++;
    }
  }
  assert.equal(count, 1000);
  assert.ok(
    stored.every((list) => list.length > 0),
    'every partition got keys',
  );
});

test('records without a key stick to one partition per batch, and move between batches (KIP-480)', async () => {
  const topic = await topicWith(4);
  const p = new Producer({ brokers: kafka.bootstrap, batchSize: 2000, lingerMs: 20 });
  try {
    const calls = [];
    for (let i = 0; i < 400; i++) calls.push(p.send({ topic, messages: [{ value: `keyless-${i}`.padEnd(90, '.') }] }));
    const res = (await Promise.all(calls)).flat();
    assert.equal(res.length, 400);
  } finally {
    await p.close();
  }
  const stored = await readTopic(kafka.bootstrap, topic);
  const used = stored.filter((l) => l.length > 0).length;
  assert.ok(used >= 3, `keyless records spread over ${used} partitions`);
  for (const list of stored) {
    const batches = new Map<number, number>();
    for (const r of list) batches.set(r.batchOffset, (batches.get(r.batchOffset) ?? 0) + 1);
    // ~2000-byte batches of ~100-byte records: full batches, not one record per batch.
    if (list.length > 40)
      assert.ok(list.length / batches.size >= 10, `${list.length} records in ${batches.size} batches`);
  }
});

test('lingerMs batches records of many send calls into few batches; acks 0 and 1 work', async () => {
  const topic = await topicWith(1);
  const p = new Producer({ brokers: kafka.bootstrap, lingerMs: 50 });
  const acks1 = new Producer({ brokers: kafka.bootstrap, acks: 1, compression: 'gzip' });
  const acks0 = new Producer({ brokers: kafka.bootstrap, acks: 0 });
  try {
    const res = await Promise.all(
      Array.from({ length: 200 }, (_, i) => p.send({ topic, messages: [{ value: `r${i}` }] })),
    );
    assert.deepEqual(
      res.map((r) => r[0]!.offset),
      Array.from({ length: 200 }, (_, i) => i),
    );
    const r1 = await acks1.send({ topic, messages: [{ value: 'acks=1' }] });
    assert.equal(r1[0]!.offset, 200);
    const r0 = await acks0.send({ topic, messages: [{ value: 'acks=0' }] });
    assert.equal(r0[0]!.offset, -1, 'acks=0: the broker does not say');
    await acks0.flush();
  } finally {
    await Promise.all([p.close(), acks1.close(), acks0.close()]);
  }
  let stored = (await readTopic(kafka.bootstrap, topic))[0]!;
  for (let i = 0; i < 50 && stored.length < 202; i++) {
    await new Promise((r) => setTimeout(r, 100));
    stored = (await readTopic(kafka.bootstrap, topic))[0]!;
  }
  assert.equal(stored.length, 202);
  const batches = new Set(stored.slice(0, 200).map((r) => r.batchOffset));
  assert.ok(batches.size <= 3, `200 sends in ${batches.size} batches`);
  assert.equal(stored[200]!.compression, 1);
  assert.equal(stored[200]!.producerId, -1, 'acks=1 turns idempotence off');
  assert.equal(stored[201]!.value!.toString(), 'acks=0');
});

test('a custom partitioner decides; undefined falls back to the default', async () => {
  const topic = await topicWith(3);
  const p = new Producer({
    brokers: kafka.bootstrap,
    partitioner: ({ key, partitionCount }) => (key?.toString() === 'last' ? partitionCount - 1 : undefined),
  });
  try {
    const res = await p.send({
      topic,
      messages: [
        { key: 'last', value: '1' },
        { key: 'other', value: '2' },
      ],
    });
    assert.equal(res[0]!.partition, 2);
    assert.equal(res[1]!.partition, partitionForKey(Buffer.from('other'), 3));
    const bad = new Producer({ brokers: kafka.bootstrap, partitioner: () => 7 });
    await assert.rejects(bad.send({ topic, messages: [{ value: 'x' }] }), {
      code: 'INVALID_CONFIG',
      option: 'partitioner',
    });
    await assert.rejects(p.send({ topic, messages: [{ value: 'x', partition: 3 }] }), {
      option: 'messages[0].partition',
    });
    await bad.close();
  } finally {
    await p.close();
  }
});

test('MESSAGE_TOO_LARGE: the batch is split so only the oversized record fails, with a typed error naming its size', async () => {
  const topic = await topicWith(1, { 'max.message.bytes': '2000' });
  const p = new Producer({ brokers: kafka.bootstrap, lingerMs: 20 });
  try {
    // Same partition, same linger window: one batch, which the broker refuses as a whole.
    const before = p.send({ topic, messages: [{ value: 'small, sent before' }] });
    const big = p.send({ topic, messages: [{ value: Buffer.alloc(5000, 1) }] });
    const after = p.send({ topic, messages: [{ value: 'small, sent after' }] });
    await assert.rejects(big, (err: unknown) => {
      assert.ok(err instanceof RecordTooLargeError);
      assert.equal(err.code, 'MESSAGE_TOO_LARGE');
      assert.ok(err.size > 5000);
      assert.match(
        err.message,
        /of 50\d\d bytes for topic .* partition 0 was rejected by the broker \(MESSAGE_TOO_LARGE\)/,
      );
      return true;
    });
    assert.equal((await before)[0]!.offset, 0);
    assert.equal((await after)[0]!.offset, 1);
    // The failed record had a sequence number; later batches must not be stuck behind the gap.
    const res = await p.send({ topic, messages: [{ value: 'later' }, { value: 'also later' }] });
    assert.deepEqual(
      res.map((r) => r.offset),
      [2, 3],
    );
  } finally {
    await p.close();
  }
  const stored = (await readTopic(kafka.bootstrap, topic))[0]!.map((r) => r.value!.toString());
  assert.deepEqual(stored, ['small, sent before', 'small, sent after', 'later', 'also later']);
});

test('flush() sends without lingering; close() delivers what is buffered and rejects what it cannot', async () => {
  const good = await topicWith(1);
  const p = new Producer({ brokers: kafka.bootstrap, lingerMs: 1000, allowAutoCreateTopics: false, maxBlockMs: 30000 });
  const a = p.send({ topic: good, messages: [{ value: 'flushed' }] });
  await p.flush();
  assert.equal((await a)[0]!.offset, 0, 'flush sent it without waiting for lingerMs');
  const b = p.send({ topic: good, messages: [{ value: 'delivered on close' }] });
  const d = p.send({ topic: uniqueName('missing'), messages: [{ value: 'no such topic' }] });
  const t0 = Date.now();
  await p.close({ timeoutMs: 1500 });
  assert.ok(Date.now() - t0 < 1500 + 5000); // timeoutMs plus a loaded machine's slack
  assert.equal((await b)[0]!.offset, 1);
  await assert.rejects(d, (err: unknown) => err instanceof NotDeliveredError && !err.maybeWritten);
  await assert.rejects(p.send({ topic: good, messages: [{ value: 'late' }] }), { code: 'PRODUCER_CLOSED' });
  assert.equal((await readTopic(kafka.bootstrap, good))[0]!.length, 2);
});

test('bufferMemory bounds what is held: send waits for room', async () => {
  const topic = await topicWith(2);
  const p = new Producer({ brokers: kafka.bootstrap, bufferMemory: 20_000, batchSize: 4000 });
  // Peek at the producer's accounting while it runs.
  const memory = (p as unknown as { accumulator: { memory: { used: number } } }).accumulator.memory;
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, memory.used)), 1);
  try {
    // 2000 records of ~130 bytes: more than 10x the buffer, so most sends wait for earlier batches.
    const calls = [];
    for (let i = 0; i < 200; i++) {
      calls.push(
        p.send({
          topic,
          messages: Array.from({ length: 10 }, (_, k) => ({ key: `k${i}-${k}`, value: 'x'.repeat(100) })),
        }),
      );
    }
    const res = (await Promise.all(calls)).flat();
    assert.equal(res.length, 2000);
    assert.ok(most > 0 && most <= 20_000, `at most ${most} bytes held`);
    assert.equal(memory.used, 0);
    const stored = await readTopic(kafka.bootstrap, topic);
    assert.equal(stored[0]!.length + stored[1]!.length, 2000);
  } finally {
    clearInterval(sampler);
    await p.close();
  }
});

test('a topic that does not exist: auto-created by default (as Java’s producer), else a timeout after maxBlockMs', async () => {
  const auto = uniqueName('auto');
  const p = new Producer({ brokers: kafka.bootstrap });
  const q = new Producer({ brokers: kafka.bootstrap, allowAutoCreateTopics: false, maxBlockMs: 700 });
  try {
    const res = await p.send({ topic: auto, messages: [{ value: 'created' }] });
    assert.equal(res[0]!.offset, 0);
    await assert.rejects(
      q.send({ topic: uniqueName('absent'), messages: [{ value: 'x' }] }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TIMEOUT');
        assert.match(err.message, /UNKNOWN_TOPIC_OR_PARTITION/);
        return true;
      },
    );
  } finally {
    await Promise.all([p.close(), q.close()]);
  }
});
