// Kafka's own Java consumer (kafka-clients, through runJava) reads what Sluice's producer wrote.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Producer } from '../../src/producer/producer.js';
import type { Message } from '../../src/producer/types.js';
import { type KafkaInfo, runJava, sharedKafka, uniqueName } from '../kafka/index.js';

let kafka: KafkaInfo;
let admin: Admin;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

interface JavaRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

async function javaRead(topics: string[], isolation: 'read_committed' | 'read_uncommitted'): Promise<JavaRecord[]> {
  const { stdout, stderr } = await runJava({
    source: 'test/interop/java/ReadTopic.java',
    args: [kafka.bootstrap, topics.join(','), isolation],
  });
  // Every caller wrote records first: an empty answer is a failure of the reader, reported with its log.
  if (stdout === '')
    throw new Error(`ReadTopic printed no records; its log:\n${stderr.trim().split('\n').slice(-20).join('\n')}`);
  const bytes = (s: string) => (s === '~' ? null : Buffer.from(s, 'base64'));
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [topic, partition, offset, timestamp, key, value, ...headers] = line.split('\t');
      return {
        topic: topic!,
        partition: Number(partition),
        offset: Number(offset),
        timestamp: Number(timestamp),
        key: bytes(key!),
        value: bytes(value!),
        headers: headers.map((h) => {
          const i = h.indexOf('=');
          return [h.slice(0, i), bytes(h.slice(i + 1))] as [string, Buffer | null];
        }),
      };
    });
}

/** Record i of the test data: text and binary values, null values, repeated and null headers. */
function message(i: number): Message {
  return {
    key: i % 10 === 0 ? null : `key-${i}`,
    value:
      i % 7 === 0
        ? null
        : i % 3 === 0
          ? Buffer.from(Array.from({ length: 50 + (i % 200) }, (_, k) => (k * i) & 0xff))
          : `value ${i} ${'é✓'.repeat(i % 5)} ${'x'.repeat(i % 300)}`,
    headers:
      i % 4 === 0
        ? undefined
        : [
            { key: 'index', value: String(i) },
            { key: 'bin', value: Buffer.from([i & 0xff, 0, 255]) },
            ...(i % 2 === 0
              ? [
                  { key: 'index', value: 'repeated' },
                  { key: 'nil', value: null },
                ]
              : []),
          ],
    timestamp: 1_700_000_000_000 + i,
  };
}

const asBuffer = (v: Message['value'] | undefined) => (v === null || v === undefined ? null : Buffer.from(v as string));

test('Kafka’s Java consumer reads Sluice’s batches with every codec: keys, values, headers, timestamps', async () => {
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  const N = 600;
  const topics = codecs.map((c) => uniqueName(`codec-${c}`));
  await admin.createTopics(topics.map((topic) => ({ topic, numPartitions: 2 })));
  await Promise.all(
    codecs.map(async (compression, c) => {
      const p = new Producer({ brokers: kafka.bootstrap, compression, batchSize: 8192 });
      try {
        await p.send({ topic: topics[c]!, messages: Array.from({ length: N }, (_, i) => message(i)) });
      } finally {
        await p.close();
      }
    }),
  );
  const records = await javaRead(topics, 'read_uncommitted');
  for (const [c, topic] of topics.entries()) {
    const mine = records.filter((r) => r.topic === topic);
    assert.equal(mine.length, N, `${codecs[c]}: the Java consumer read every record`);
    for (const r of mine) {
      const i = r.timestamp - 1_700_000_000_000;
      const m = message(i);
      assert.deepEqual(r.key, asBuffer(m.key), `${codecs[c]} key of ${i}`);
      assert.deepEqual(r.value, asBuffer(m.value), `${codecs[c]} value of ${i}`);
      const headers = (m.headers ?? []) as Array<{ key: string; value: string | Buffer | null }>;
      assert.deepEqual(
        r.headers,
        headers.map((h) => [h.key, asBuffer(h.value)]),
        `${codecs[c]} headers of ${i}`,
      );
    }
    assert.equal(new Set(mine.map((r) => r.timestamp)).size, N);
  }
});

test('Kafka’s Java consumer with isolation.level=read_committed sees committed transactions only', async () => {
  const topic = uniqueName('txn-java');
  await admin.createTopics([{ topic, numPartitions: 3 }]);
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx-java'), compression: 'lz4' });
  try {
    for (let t = 0; t < 6; t++) {
      await p.beginTransaction();
      await p.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `txn${t}-${i}` })),
      });
      if (t % 2 === 1) await p.abortTransaction();
      else await p.commitTransaction();
    }
    // One left open: its records are beyond the last stable offset.
    await p.beginTransaction();
    await p.send({ topic, messages: [{ value: 'open' }] });
    await new Promise((r) => setTimeout(r, 200));
    const committed = await javaRead([topic], 'read_committed');
    const values = committed.map((r) => r.value!.toString());
    assert.equal(values.length, 150);
    assert.ok(
      values.every((v) => /^txn[024]-/.test(v)),
      'only transactions 0, 2 and 4',
    );
    const uncommitted = await javaRead([topic], 'read_uncommitted');
    assert.equal(uncommitted.length, 301, 'read_uncommitted sees aborted and open records too');
    await p.abortTransaction();
  } finally {
    await p.close();
  }
});
