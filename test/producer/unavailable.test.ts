// The broker goes away: retries end at deliveryTimeoutMs, a full buffer at maxBlockMs, and close()
// rejects whatever it could not deliver. Own single-node broker, stopped after the first send.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { NotDeliveredError } from '../../src/producer/errors.js';
import { Producer } from '../../src/producer/producer.js';
import { type KafkaCluster, startKafka, uniqueName } from '../kafka/index.js';

let kafka: KafkaCluster;
const topic = uniqueName('down');
const producers: Producer[] = [];

/** A producer that has sent one record (so it knows the leader and has a producer id) before the broker stops. */
async function warmProducer(options: Partial<ConstructorParameters<typeof Producer>[0]>): Promise<Producer> {
  const p = new Producer({ brokers: kafka.bootstrap, lingerMs: 0, ...options });
  producers.push(p);
  await p.send({ topic, messages: [{ value: 'warm-up' }] });
  return p;
}

let slow: Producer;
let closing: Producer;
let small: Producer;

before(async () => {
  kafka = await startKafka();
  const admin = new Admin({ brokers: kafka.bootstrap });
  await admin.createTopics([{ topic, numPartitions: 1 }]);
  admin.close();
  slow = await warmProducer({ requestTimeoutMs: 1000, deliveryTimeoutMs: 2500 });
  closing = await warmProducer({});
  // bufferMemory must hold a whole batch (batchSize), as in Java.
  small = await warmProducer({ bufferMemory: 5000, batchSize: 4096, maxBlockMs: 700 });
  await kafka.kill(1);
});

after(async () => {
  await Promise.all(producers.map((p) => p.close({ timeoutMs: 100 })));
  await kafka.close();
});

test('retries stop at deliveryTimeoutMs with a DELIVERY_TIMEOUT naming the last error', async () => {
  const t0 = Date.now();
  await assert.rejects(slow.send({ topic, messages: [{ value: 'never' }] }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'DELIVERY_TIMEOUT');
    assert.match(err.message, /Expiring 1 record\(s\) for topic .* partition 0: 2500 ms/);
    assert.match(err.message, /last error: .*(ECONNREFUSED|Connection|connect)/i);
    return true;
  });
  const took = Date.now() - t0;
  // The deadline, plus what a loaded 2-core machine adds: bounds a hang, not a speed.
  assert.ok(took >= 2400 && took < 2500 + 5000, `failed after ${took} ms`);
});

test('a full buffer makes send wait, then fail after maxBlockMs', async () => {
  const first = small.send({ topic, messages: [{ value: Buffer.alloc(4000) }] });
  first.catch(() => {});
  const t0 = Date.now();
  await assert.rejects(
    small.send({ topic, messages: [{ value: Buffer.alloc(2000) }] }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TIMEOUT');
      assert.match(err.message, /room in the buffer/);
      return true;
    },
  );
  assert.ok(Date.now() - t0 >= 650);
});

test('close({ timeoutMs }) rejects every send it could not deliver with NotDeliveredError', async () => {
  const pending = [
    closing.send({ topic, messages: [{ value: 'a' }] }),
    closing.send({ topic, messages: [{ value: 'b' }, { value: 'c' }] }),
    closing.send({ topic: uniqueName('unknown'), messages: [{ value: 'd' }] }),
  ];
  const t0 = Date.now();
  await closing.close({ timeoutMs: 800 });
  assert.ok(Date.now() - t0 < 800 + 5000);
  const results = await Promise.allSettled(pending);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof NotDeliveredError);
    assert.equal((r as PromiseRejectedResult).reason.code, 'NOT_DELIVERED');
  }
});
