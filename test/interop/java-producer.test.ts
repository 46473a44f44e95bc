import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { runJava, sharedKafka, uniqueName } from '../kafka/index.js';

// Batches written live by Kafka's own Java producer, with each codec, read back by Sluice's consumer
// (the record layer also decodes captured Java segments offline: test/protocol/records).
test('the consumer reads what the Java producer wrote with none, gzip, snappy, lz4 and zstd', async () => {
  const kafka = await sharedKafka();
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const count = 300;
  const topics = codecs.map((c) => uniqueName(`java-${c}`));
  await runJava({
    source: 'test/interop/JavaProduce.java',
    args: [kafka.bootstrap, String(count), ...codecs.map((c, i) => `${topics[i]}=${c}`)],
  });
  const consumer = new Consumer({ brokers: kafka.bootstrap, autoOffsetReset: 'earliest' });
  consumer.assign(topics.map((topic) => ({ topic, partition: 0 })));
  const seen: ConsumerRecord[] = [];
  const timer = setTimeout(() => consumer.close(), 30000);
  await consumer.run({
    eachMessage: (r) => {
      seen.push(r);
      if (seen.length === count * codecs.length) setImmediate(() => consumer.close());
    },
  });
  clearTimeout(timer);
  for (const [t, codec] of codecs.entries()) {
    const records = seen.filter((r) => r.topic === topics[t]);
    assert.equal(records.length, count, codec);
    records.forEach((r, i) => {
      assert.equal(r.offset, i);
      assert.equal(r.key!.toString(), `k${i}`);
      assert.equal(r.value!.toString(), `${codec}-${i}${i % 10 === 0 ? `-${'x'.repeat(2048)}` : ''}`);
      assert.deepEqual(
        r.headers.map((h) => [h.key, h.value!.toString()]),
        [['n', String(i)]],
      );
    });
  }
});
