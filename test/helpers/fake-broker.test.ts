// The in-process fake broker works with Sluice's own clients end to end, and its seams (injected errors,
// silence, raw frames) reach them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { Producer } from '../../src/producer/producer.js';
import { FakeCluster } from './fake-broker.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a consumer (assign) reads what was appended, in order', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 2 }] });
  try {
    c.append('t', 0, [{ value: 'a' }, { value: 'b' }]);
    c.append('t', 1, [{ value: 'c' }], 'gzip');
    const consumer = new Consumer({ brokers: c.bootstrap, autoOffsetReset: 'earliest', logger: quiet });
    consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    const seen: string[] = [];
    await consumer.run({
      eachMessage: (r) => {
        seen.push(`${r.partition}:${r.offset}:${r.value}`);
        if (seen.length === 3) setImmediate(() => consumer.close());
      },
    });
    assert.deepEqual(seen.sort(), ['0:0:a', '0:1:b', '1:0:c']);
  } finally {
    await c.close();
  }
});

test('two consumers share a group, commit, and a producer writes through it', async () => {
  const c = await FakeCluster.start({ nodes: 2, topics: [{ name: 't', partitions: 4 }] });
  try {
    const producer = new Producer({ brokers: c.bootstrap, logger: quiet });
    for (let i = 0; i < 40; i++) await producer.send({ topic: 't', messages: [{ key: `k${i}`, value: `v${i}` }] });
    await producer.close();
    const opts = {
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest' as const,
      logger: quiet,
      heartbeatIntervalMs: 200,
      sessionTimeoutMs: 3000,
    };
    const a = new Consumer(opts);
    const b = new Consumer(opts);
    const seen = new Map<string, ConsumerRecord>();
    let aOwned = 0;
    let bOwned = 0;
    a.subscribe('t', { onPartitionsAssigned: () => void (aOwned = a.assignment().length) });
    b.subscribe('t', { onPartitionsAssigned: () => void (bOwned = b.assignment().length) });
    const onRecord = (r: ConsumerRecord) => void seen.set(`${r.partition}/${r.offset}`, r);
    const runs = [a.run({ eachMessage: onRecord }), b.run({ eachMessage: onRecord })];
    const deadline = Date.now() + 20000;
    while ((seen.size < 40 || aOwned + bOwned !== 4 || aOwned === 0 || bOwned === 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await Promise.all([a.close(), b.close()]);
    await Promise.all(runs);
    assert.equal(seen.size, 40);
    assert.ok(aOwned > 0 && bOwned > 0, `both own partitions: ${aOwned} / ${bOwned}`);
    const committed = c.group.offsets.get('g')!;
    assert.equal(
      [...committed.values()].reduce((n, o) => n + Number(o), 0),
      40,
      'every partition committed to its end',
    );
  } finally {
    await c.close();
  }
});

test('an injected error code reaches the client as a typed KafkaError', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.on('Metadata', (req: { topics: Array<{ name: string }> | null }) =>
      req.topics?.length
        ? {
            throttleTimeMs: 0,
            brokers: [{ nodeId: 0, host: '127.0.0.1', port: c.port(0), rack: null }],
            clusterId: null,
            controllerId: 0,
            topics: req.topics.map((t) => ({
              errorCode: 29, // TOPIC_AUTHORIZATION_FAILED: not retriable
              name: t.name,
              topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
              isInternal: false,
              partitions: [],
              topicAuthorizedOperations: -2147483648,
            })),
            clusterAuthorizedOperations: -2147483648,
            errorCode: 0,
          }
        : undefined,
    );
    const admin = new Admin({ brokers: c.bootstrap, logger: quiet });
    await assert.rejects(admin.describeTopics(['t']), (err: unknown) =>
      JSON.stringify(err, Object.getOwnPropertyNames(err)).includes('TOPIC_AUTHORIZATION_FAILED'),
    );
    admin.close();
  } finally {
    await c.close();
  }
});

test('a silenced API times out; a raw frame reaches the decoder', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.silence('Metadata');
    const admin = new Admin({ brokers: c.bootstrap, logger: quiet, requestTimeoutMs: 300, defaultApiTimeoutMs: 1000 });
    await assert.rejects(admin.listTopics(), (err: unknown) =>
      ['TIMEOUT', 'REQUEST_TIMEOUT'].includes((err as { code?: string }).code ?? ''),
    );
    admin.close();
    c.unsilence();
    c.raw('Metadata', () => Buffer.from([0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]));
    const admin2 = new Admin({ brokers: c.bootstrap, logger: quiet, defaultApiTimeoutMs: 1000 });
    await assert.rejects(admin2.listTopics(), (err: unknown) => (err as { code?: string }).code === 'PROTOCOL_DECODE');
    admin2.close();
  } finally {
    await c.close();
  }
});
