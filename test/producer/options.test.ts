import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicInfo } from '../../src/cluster/metadata.js';
import { ConfigError } from '../../src/errors.js';
import { Accumulator } from '../../src/producer/accumulator.js';
import { SendHandle } from '../../src/producer/batch.js';
import { resolveProducerOptions } from '../../src/producer/options.js';
import { Producer } from '../../src/producer/producer.js';
import { toProducerRecord } from '../../src/producer/record.js';

const brokers = 'localhost:9092';

function rejects(input: object, option: string, pattern: RegExp) {
  assert.throws(
    () => resolveProducerOptions({ brokers, ...input }),
    (err: unknown) => err instanceof ConfigError && err.option === option && pattern.test(err.message),
    `${JSON.stringify(input)} should name ${option}`,
  );
}

test('producer options: defaults mirror the Java producer 4.x (batchSize excepted: 256 KiB)', () => {
  const o = resolveProducerOptions({ brokers });
  assert.equal(o.acks, -1);
  assert.equal(o.idempotent, true);
  assert.equal(o.lingerMs, 5);
  assert.equal(o.batchSize, 262144);
  assert.equal(o.maxInFlightRequestsPerConnection, 5);
  assert.equal(o.compression, 0);
  assert.equal(o.maxRequestSize, 1048576);
  assert.equal(o.deliveryTimeoutMs, 120000);
  assert.equal(o.requestTimeoutMs, 30000);
  assert.equal(o.bufferMemory, 33554432);
  assert.equal(o.maxBlockMs, 60000);
  assert.equal(o.retries, 2147483647);
  assert.equal(o.transactionalId, null);
  assert.equal(o.transactionTimeoutMs, 60000);
  assert.equal(resolveProducerOptions({ brokers, compression: 'zstd' }).compression, 4);
  assert.equal(resolveProducerOptions({ brokers, acks: 'all' }).acks, -1);
});

test('producer options: unknown names, bad types and bad values name the option', () => {
  rejects({ linger_ms: 5 }, 'linger_ms', /unknown option for Producer \(did you mean "lingerMs"\?\)/);
  rejects({ batch_size: 5 }, 'batch_size', /did you mean "batchSize"\?/);
  rejects({ lingerMs: '5' }, 'lingerMs', /expected number \(linger\.ms\)/);
  rejects({ acks: 2 }, 'acks', /must be one of 0, 1, -1, "all"/);
  rejects({ compression: 'brotli' }, 'compression', /must be one of "none", "gzip", "snappy", "lz4", "zstd"/);
  rejects({ batchSize: -1 }, 'batchSize', /must be >= 0/);
  rejects({ partitioner: 'murmur2' }, 'partitioner', /expected function/);
  rejects({ transactionalId: '' }, 'transactionalId', /must not be empty/);
  rejects({ deliveryTimeoutMs: 1000 }, 'deliveryTimeoutMs', /at least lingerMs \+ requestTimeoutMs/);
});

test('producer options: idempotence conflicts are errors when asked for, and turn it off when only defaulted', () => {
  rejects({ idempotent: true, acks: 1 }, 'acks', /must be 'all'/);
  rejects({ transactionalId: 'tx', acks: 0 }, 'acks', /must be 'all'/);
  rejects({ idempotent: true, maxInFlightRequestsPerConnection: 6 }, 'maxInFlightRequestsPerConnection', /at most 5/);
  rejects({ idempotent: true, retries: 0 }, 'retries', /greater than 0/);
  rejects({ transactionalId: 'tx', idempotent: false }, 'idempotent', /cannot be false/);
  assert.equal(resolveProducerOptions({ brokers, acks: 1 }).idempotent, false);
  assert.equal(resolveProducerOptions({ brokers, acks: 0 }).idempotent, false);
  assert.equal(resolveProducerOptions({ brokers, maxInFlightRequestsPerConnection: 10 }).idempotent, false);
  assert.equal(resolveProducerOptions({ brokers, transactionalId: 'tx' }).idempotent, true);
});

test('send() validates its input before buffering anything', async () => {
  const p = new Producer({ brokers, maxRequestSize: 1000 });
  try {
    await assert.rejects(
      p.send({ topic: '', messages: [{ value: 'x' }] }),
      (e: unknown) => e instanceof ConfigError && e.option === 'topic',
    );
    await assert.rejects(
      p.send({ topic: 't', messages: [{ value: 'x' }, { value: 42 as unknown as string }] }),
      (e: unknown) => e instanceof ConfigError && e.option === 'messages[1].value',
    );
    await assert.rejects(
      p.send({ topic: 't', messages: [{ value: 'x', headers: { a: 1 as unknown as string } }] }),
      (e: unknown) => e instanceof ConfigError && e.option === 'messages[0].headers.a',
    );
    await assert.rejects(
      p.send({ topic: 't', messages: [{ value: Buffer.alloc(2000) }] }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'RECORD_TOO_LARGE');
        assert.match(
          e.message,
          /messages\[0\] of 20\d\d bytes for topic t is larger than maxRequestSize \(max\.request\.size\) \(1000 bytes\)/,
        );
        return true;
      },
    );
    assert.deepEqual(await p.send({ topic: 't', messages: [] }), []);
    await assert.rejects(
      p.beginTransaction(),
      (e: unknown) => e instanceof ConfigError && e.option === 'transactionalId',
    );
  } finally {
    await p.close();
  }
  await assert.rejects(p.send({ topic: 't', messages: [{ value: 'x' }] }), { code: 'PRODUCER_CLOSED' });
});

test('producer options: byte limits follow Java (batch.size 0 turns batching off; buffer.memory holds a whole batch)', () => {
  rejects({ bufferMemory: 1 }, 'bufferMemory', /must be at least 82 bytes, the size of the smallest batch/);
  rejects({ maxRequestSize: 10 }, 'maxRequestSize', /must be at least 82 bytes, the size of the smallest batch/);
  rejects(
    { batchSize: 16384, bufferMemory: 10000 },
    'bufferMemory',
    /must be at least batchSize \(16384\), got 10000: every batch is taken out of bufferMemory \(buffer\.memory\)/,
  );
  // Not given, the default batchSize yields to a smaller bufferMemory instead.
  assert.equal(resolveProducerOptions({ brokers, bufferMemory: 10000 }).batchSize, 10000);
  rejects({ batchSize: 65536, bufferMemory: 65535 }, 'bufferMemory', /at least batchSize \(65536\)/);
  // Java's batch.size=0: every record in a batch of its own.
  const o = resolveProducerOptions({ brokers, batchSize: 0, bufferMemory: 82, maxRequestSize: 82 });
  assert.equal(o.batchSize, 0);
  const acc = new Accumulator({ ...o, partitioner: undefined });
  const topic: TopicInfo = {
    name: 't',
    topicId: 'id',
    isInternal: false,
    errorCode: 0,
    partitions: [
      { partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [], errorCode: 0 },
    ],
  };
  const records = [0, 1, 2].map((i) => toProducerRecord({ value: `v${i}`, partition: 0 }, i, Date.now()));
  acc.append(topic, records, 0, 3, new SendHandle('t', 3, new Set()));
  assert.deepEqual(
    acc.queue('t', 0).batches.map((b) => b.count),
    [1, 1, 1],
  );
});

test('producer close(): a timeoutMs past 2^31-1 ms is a ConfigError, not a 1 ms timer', async () => {
  const p = new Producer({ brokers });
  await assert.rejects(
    p.close({ timeoutMs: 2 ** 31 }),
    (e: unknown) => e instanceof ConfigError && e.option === 'timeoutMs',
  );
  await p.close();
});
