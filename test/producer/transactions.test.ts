import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import {
  ProducerFencedError,
  ProducerStateError,
  RecordTooLargeError,
  TransactionAbortRequiredError,
} from '../../src/producer/errors.js';
import { Producer } from '../../src/producer/producer.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { readTopic } from './read-back.js';

let kafka: KafkaInfo;
let admin: Admin;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
});
after(() => admin.close());

async function topicWith(partitions: number, configs: Record<string, string> = {}): Promise<string> {
  const topic = uniqueName('txn');
  await admin.createTopics([{ topic, numPartitions: partitions, configs }]);
  return topic;
}

/** read_committed reads stop at the LSO, which moves once the coordinator has written the markers. */
async function readCommitted(topic: string, expected: number) {
  let values: string[] = [];
  for (let i = 0; i < 100; i++) {
    values = (await readTopic(kafka.bootstrap, topic, { isolation: 'read_committed' }))
      .flat()
      .map((r) => r.value!.toString());
    if (values.length >= expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return values;
}

test('committed transactions are visible to read_committed readers, aborted ones are not', async () => {
  const topic = await topicWith(3);
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx') });
  try {
    await p.beginTransaction();
    await p.send({
      topic,
      messages: [
        { key: 'a', value: 'c1' },
        { key: 'b', value: 'c2' },
      ],
    });
    await p.commitTransaction();

    await p.beginTransaction();
    const aborted = p.send({
      topic,
      messages: [
        { key: 'a', value: 'x1' },
        { key: 'c', value: 'x2' },
      ],
    });
    await aborted; // written, then aborted
    await p.abortTransaction();

    await p.beginTransaction();
    // Not awaited: commitTransaction waits for it.
    const last = p.send({
      topic,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `c-${i}` })),
    });
    await p.commitTransaction();
    assert.equal((await last).length, 100);
  } finally {
    await p.close();
  }
  const committed = await readCommitted(topic, 102);
  assert.equal(committed.length, 102);
  assert.ok(committed.includes('c1') && committed.includes('c2') && committed.includes('c-99'));
  assert.ok(!committed.includes('x1') && !committed.includes('x2'));
  const all = (await readTopic(kafka.bootstrap, topic)).flat();
  assert.equal(all.length, 104, 'read_uncommitted sees the aborted records too');
  assert.ok(all.every((r) => r.transactional));
});

test('20 transactions back to back, commits and aborts mixed, each next one starting while markers are written', async () => {
  const topic = await topicWith(2);
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx-loop') });
  const t0 = Date.now();
  try {
    for (let i = 0; i < 20; i++) {
      await p.beginTransaction();
      await p.send({ topic, messages: [{ key: `k${i}`, value: `v${i}` }] });
      if (i % 5 === 4) await p.abortTransaction();
      else await p.commitTransaction();
    }
  } finally {
    await p.close();
  }
  const took = Date.now() - t0;
  assert.ok(took < 20_000, `20 transactions took ${took} ms`);
  const values = await readCommitted(topic, 16);
  assert.equal(values.length, 16);
  assert.ok(!values.includes('v4') && !values.includes('v19'));
});

test('sendOffsetsToTransaction: offsets commit with the transaction, and not when it aborts', async () => {
  const input = await topicWith(2);
  const output = await topicWith(1);
  const groupId = uniqueName('eos-group');
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx-eos') });
  try {
    await p.beginTransaction();
    await p.send({ topic: output, messages: [{ value: 'transformed 1' }] });
    await p.sendOffsetsToTransaction({
      groupId,
      offsets: [
        { topic: input, partition: 0, offset: 10 },
        { topic: input, partition: 1, offset: 20 },
      ],
    });
    await p.commitTransaction();
    let offsets: Array<{ partition: number; offset: number }> = [];
    for (let i = 0; i < 100 && offsets.length < 2; i++) {
      offsets = await admin.listGroupOffsets(groupId);
      if (offsets.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      offsets.map((o) => [o.partition, o.offset]),
      [
        [0, 10],
        [1, 20],
      ],
    );

    await p.beginTransaction();
    await p.send({ topic: output, messages: [{ value: 'transformed 2 (aborted)' }] });
    await p.sendOffsetsToTransaction({
      consumerGroupMetadata: { groupId, generationId: -1, memberId: '', groupInstanceId: null },
      offsets: [{ topic: input, partition: 0, offset: 99 }],
    });
    await p.abortTransaction();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      (await admin.listGroupOffsets(groupId)).map((o) => [o.partition, o.offset]),
      [
        [0, 10],
        [1, 20],
      ],
    );
  } finally {
    await p.close();
  }
  assert.deepEqual(await readCommitted(output, 1), ['transformed 1']);
});

test('a newer producer with the same transactionalId fences the older one, which stays unusable', async () => {
  const topic = await topicWith(1);
  const transactionalId = uniqueName('tx-fence');
  const old = new Producer({ brokers: kafka.bootstrap, transactionalId });
  const young = new Producer({ brokers: kafka.bootstrap, transactionalId });
  try {
    await old.beginTransaction();
    await old.send({ topic, messages: [{ value: 'zombie 1' }] });
    await young.initTransactions(); // bumps the epoch; the coordinator aborts old's transaction
    const isFenced = (err: unknown) => {
      assert.ok(err instanceof ProducerFencedError, String(err));
      assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(err.code), err.code);
      assert.equal(err.transactionalId, transactionalId);
      return true;
    };
    const zombie = old.send({ topic, messages: [{ value: 'zombie 2' }] });
    await assert.rejects(
      zombie.then(() => old.commitTransaction()),
      isFenced,
    );
    await assert.rejects(old.send({ topic, messages: [{ value: 'zombie 3' }] }), isFenced);
    await assert.rejects(old.beginTransaction(), isFenced);
    await assert.rejects(old.abortTransaction(), isFenced);
    assert.equal(old.transactionState, 'FATAL_ERROR');

    await young.beginTransaction();
    await young.send({ topic, messages: [{ value: 'young' }] });
    await young.commitTransaction();
  } finally {
    await Promise.all([old.close(), young.close()]);
  }
  assert.deepEqual(await readCommitted(topic, 1), ['young']);
});

test('a failed send makes the transaction abortable; after the abort the next one commits', async () => {
  const topic = await topicWith(1, { 'max.message.bytes': '2000' });
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId: uniqueName('tx-abortable') });
  try {
    await assert.rejects(p.send({ topic, messages: [{ value: 'outside' }] }), ProducerStateError);
    await assert.rejects(p.commitTransaction(), ProducerStateError);
    await p.beginTransaction();
    await assert.rejects(p.beginTransaction(), ProducerStateError);
    const ok = p.send({ topic, messages: [{ value: 'fine' }] });
    await assert.rejects(p.send({ topic, messages: [{ value: Buffer.alloc(5000) }] }), RecordTooLargeError);
    await ok;
    await assert.rejects(p.commitTransaction(), TransactionAbortRequiredError);
    await assert.rejects(p.send({ topic, messages: [{ value: 'more' }] }), TransactionAbortRequiredError);
    await p.abortTransaction();
    await p.beginTransaction();
    await p.send({ topic, messages: [{ value: 'after abort' }] });
    await p.commitTransaction();
  } finally {
    await p.close();
  }
  assert.deepEqual(await readCommitted(topic, 1), ['after abort']);
});

test('close() aborts an open transaction', async () => {
  const topic = await topicWith(1);
  const transactionalId = uniqueName('tx-close');
  const p = new Producer({ brokers: kafka.bootstrap, transactionalId });
  await p.beginTransaction();
  await p.send({ topic, messages: [{ value: 'left open' }] });
  await p.close();
  const q = new Producer({ brokers: kafka.bootstrap, transactionalId });
  try {
    await q.beginTransaction();
    await q.send({ topic, messages: [{ value: 'next' }] });
    await q.commitTransaction();
  } finally {
    await q.close();
  }
  assert.deepEqual(await readCommitted(topic, 1), ['next']);
});
