import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { Producer } from '../../src/producer/producer.js';
import { consumeUntil } from '../helpers/env.js';
import { TestProducer } from '../helpers/produce.js';
import { sharedKafka, uniqueName } from '../kafka/index.js';

test('transaction markers are never delivered; read_committed drops aborted records; the group commits past markers', async () => {
  const kafka = await sharedKafka();
  const topic = uniqueName('txn');
  const setup = new TestProducer(kafka.bootstrap);
  await setup.createTopic(topic, 1);
  setup.close();
  const producer = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx') });
  try {
    await producer.beginTransaction();
    await producer.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] });
    await producer.commitTransaction();
    await producer.beginTransaction();
    await producer.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }, { value: 'a3' }] });
    await producer.abortTransaction();
    await producer.beginTransaction();
    await producer.send({ topic, messages: [{ value: 'c3' }] });
    await producer.commitTransaction();
  } finally {
    await producer.close();
  }
  // Log: c1 c2 COMMIT a1 a2 a3 ABORT c3 COMMIT → offsets 0..8, log end 9.

  const groupId = uniqueName('g');
  const committedReader = new Consumer({
    brokers: kafka.bootstrap,
    groupId,
    autoOffsetReset: 'earliest',
    isolationLevel: 'read_committed',
  });
  committedReader.subscribe(topic);
  const committed = await consumeUntil(committedReader, (s) => s.some((r) => r.value?.toString() === 'c3'));
  assert.deepEqual(
    committed.map((r) => r.value!.toString()),
    ['c1', 'c2', 'c3'],
  );
  assert.deepEqual(
    committed.map((r) => r.offset),
    [0, 1, 7],
  );

  const uncommitted = new Consumer({ brokers: kafka.bootstrap, autoOffsetReset: 'earliest' });
  uncommitted.assign([{ topic, partition: 0 }]);
  const all = await consumeUntil(uncommitted, (s) => s.length >= 6);
  // read_uncommitted sees aborted records too, but never the markers (offsets 2, 6, 8).
  assert.deepEqual(
    all.map((r) => r.offset),
    [0, 1, 3, 4, 5, 7],
  );

  // The group's commit covers the trailing COMMIT marker (offset 8): its lag is 0, not 1.
  const check = new Consumer({ brokers: kafka.bootstrap, groupId });
  const offsets = await check.committed([{ topic, partition: 0 }]);
  await check.close();
  assert.equal([...offsets.values()][0]?.offset, 9);
});
