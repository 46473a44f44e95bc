import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConsumeBench } from '../../bench/consume.js';
import { ensurePeers } from '../../bench/lib/peers.js';
import { runProduceBench } from '../../bench/produce.js';
import { sharedKafka } from '../kafka/index.js';

// The benchmark in miniature, so it never rots: every client (Sluice's three modes, KafkaJS,
// @platformatic/kafka 1.x, Node 24 runs with platformatic 2.x, confluent-kafka-javascript when it
// builds here, Kafka's Java perf tools) reads and writes a few thousand records against the suite's
// broker. It asserts that each client handled every record — never a speed.
test('bench smoke: every consumer reads every record and every producer writes every record', {
  timeout: 900_000,
}, async () => {
  const kafka = await sharedKafka();
  const peers = ensurePeers({ node24: true, confluent: true });
  for (const n of peers.notes) console.log(`# ${n}`);
  const log = (line: string) => console.log(`# ${line.trim()}`);
  const consume = await runConsumeBench({
    records: 3000,
    size: 100,
    runs: 1,
    scenarios: [
      { partitions: 3, compression: 'none' },
      { partitions: 3, compression: 'lz4' },
    ],
    node24: true,
    confluent: true,
    peers,
    bootstrap: kafka.bootstrap,
    kafkaVersion: kafka.version,
    log,
  });
  const consumers = consume.rows.map((r) => `${r.client} (${r.runtime})`);
  for (const name of [
    'sluice eachMessage',
    'sluice eachBatch',
    'sluice iterator',
    'kafkajs eachMessage',
    'platformatic 1.x',
    'java ConsumerPerformance',
  ]) {
    assert.ok(
      consume.rows.some((r) => r.client === name),
      `${name} ran; ran: ${consumers.join(', ')}`,
    );
  }
  for (const row of consume.rows) {
    for (const m of row.runs)
      assert.ok(m.result.records >= 3000, `${row.client} (${row.runtime}) consumed ${m.result.records}`);
  }

  const produce = await runProduceBench({
    records: 3000,
    size: 100,
    runs: 1,
    scenarios: [{ partitions: 3, compression: 'none' }],
    peers,
    bootstrap: kafka.bootstrap,
    kafkaVersion: kafka.version,
    log,
  });
  for (const name of ['sluice', 'platformatic 1.x', 'kafkajs', 'java ProducerPerformance']) {
    assert.ok(
      produce.rows.some((r) => r.client === name),
      `${name} ran`,
    );
  }
  for (const row of produce.rows) {
    for (const m of row.runs) assert.equal(m.result.records, 3000, `${row.client} (${row.runtime}) produced`);
  }
});
