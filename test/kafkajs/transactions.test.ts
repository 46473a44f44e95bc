// sluice/kafkajs transactions on the real broker: KafkaJS's transaction() object; committed records and
// offsets are visible (read_committed), aborted ones are not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Kafka, KafkaJSNonRetriableError, logLevel } from '../../src/kafkajs/index.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { readTopic } from '../producer/read-back.js';

let kafka: KafkaInfo;
let admin: Admin;
let brokers: string[];

before(async () => {
  kafka = await sharedKafka();
  brokers = kafka.bootstrap.split(',');
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

const facade = () => new Kafka({ clientId: 'facade-txn', brokers, logLevel: logLevel.NOTHING });

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueName('kjs-txn');
  await admin.createTopics([{ topic, numPartitions: partitions }]);
  return topic;
}

/** read_committed reads stop at the LSO, which moves once the coordinator has written the markers. */
async function readCommitted(topic: string, expected: number): Promise<string[]> {
  let values: string[] = [];
  for (let i = 0; i < 100; i++) {
    values = (await readTopic(kafka.bootstrap, topic, { isolation: 'read_committed' }))
      .flat()
      .map((r) => r.value!.toString())
      .sort();
    if (values.length >= expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return values;
}

test('commit is visible to read_committed readers, abort is not; offsets commit with the transaction', async () => {
  const topic = await topicWith(2);
  const source = await topicWith(1);
  const groupId = uniqueName('kjs-txn-group');
  const producer = facade().producer({
    transactionalId: uniqueName('kjs-tx'),
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  try {
    const t1 = await producer.transaction();
    assert.equal(t1.isActive(), true);
    const r = await t1.send({ topic, messages: [{ key: 'a', value: 'committed-1' }] });
    assert.equal(r[0]!.topicName, topic);
    await t1.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'b', value: 'committed-2' }] }] });
    await t1.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: source, partitions: [{ partition: 0, offset: '5' }] }],
    });
    await t1.commit();
    assert.equal(t1.isActive(), false);
    await assert.rejects(
      t1.send({ topic, messages: [{ value: 'late' }] }),
      (e: Error) =>
        e instanceof KafkaJSNonRetriableError && e.message === 'Cannot continue to use transaction once ended',
    );

    const t2 = await producer.transaction();
    await assert.rejects(producer.transaction(), /There is already an ongoing transaction/);
    await t2.send({
      topic,
      messages: [
        { key: 'a', value: 'aborted-1' },
        { key: 'c', value: 'aborted-2' },
      ],
    });
    await t2.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: source, partitions: [{ partition: 0, offset: '9' }] }],
    });
    await t2.abort();
    assert.equal(t2.isActive(), false);

    // A third, committed after the aborted one: the LSO passes the aborted records.
    const t3 = await producer.transaction();
    await t3.send({ topic, messages: [{ key: 'a', value: 'committed-3' }] });
    await t3.commit();
  } finally {
    await producer.disconnect();
  }
  assert.deepEqual(await readCommitted(topic, 3), ['committed-1', 'committed-2', 'committed-3']);
  // read_uncommitted sees the aborted records too (they were written, then marked aborted).
  const all = (await readTopic(kafka.bootstrap, topic)).flat().map((r) => r.value!.toString());
  assert.ok(all.includes('aborted-1') && all.includes('aborted-2'));
  for (const rec of (await readTopic(kafka.bootstrap, topic)).flat()) assert.equal(rec.transactional, true);

  const offsets = await admin.listGroupOffsets(groupId);
  assert.deepEqual(
    offsets.map((o) => [o.topic, o.partition, o.offset]),
    [[source, 0, 5]],
  );
});

test('transaction() needs a transactionalId; idempotent transactions need acks -1', async () => {
  const topic = await topicWith(1);
  const plain = facade().producer();
  await plain.connect();
  try {
    await assert.rejects(plain.transaction(), /Must provide transactional id for transactional producer/);
  } finally {
    await plain.disconnect();
  }
  const producer = facade().producer({ transactionalId: uniqueName('kjs-tx'), idempotent: true });
  await producer.connect();
  try {
    const t = await producer.transaction();
    await assert.rejects(t.send({ topic, acks: 1, messages: [{ value: 'x' }] }), /EoS guarantees/);
    await assert.rejects(t.sendOffsets({ topics: [] } as never), /Missing consumerGroupId/);
    // Sends outside the transaction are ordinary (non-transactional) sends, as in KafkaJS.
    const outside = await producer.send({ topic, messages: [{ value: 'outside' }] });
    assert.equal(outside[0]!.baseOffset, '0');
    await t.send({ topic, messages: [{ value: 'inside' }] });
    await t.commit();
  } finally {
    await producer.disconnect();
  }
  assert.deepEqual(await readCommitted(topic, 2), ['inside', 'outside']);
});

test('a transactional producer without idempotent and with maxInFlightRequests > 5 still runs transactions', async () => {
  const topic = await topicWith(1);
  // KafkaJS's transactions are idempotent whatever `idempotent` says; Sluice's need at most 5 in flight.
  const producer = facade().producer({ transactionalId: uniqueName('kjs-tx'), maxInFlightRequests: 10 });
  await producer.connect();
  try {
    const t = await producer.transaction();
    await t.send({ topic, messages: [{ value: 'ok' }] });
    await t.commit();
  } finally {
    await producer.disconnect();
  }
  assert.deepEqual(await readCommitted(topic, 1), ['ok']);
});

test('a newer producer with the same transactionalId fences the older one: KafkaJSProtocolError, as in KafkaJS', async () => {
  const topic = await topicWith(1);
  const transactionalId = uniqueName('kjs-tx');
  const old = facade().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  const fresh = facade().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await old.connect();
  await fresh.connect();
  try {
    const t = await old.transaction();
    await t.send({ topic, messages: [{ value: 'zombie' }] });
    const t2 = await fresh.transaction();
    const err = await t.commit().then(
      () => assert.fail('a fenced producer committed'),
      (e) => e,
    );
    assert.equal(err.name, 'KafkaJSProtocolError');
    assert.match(err.type, /^(PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/);
    assert.equal(err.retriable, false);
    await t2.send({ topic, messages: [{ value: 'fresh' }] });
    await t2.commit();
  } finally {
    await old.disconnect();
    await fresh.disconnect();
  }
  assert.deepEqual(await readCommitted(topic, 1), ['fresh']);
});
