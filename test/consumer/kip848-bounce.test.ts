// A rolling restart of a 3-node cluster under a KIP-848 group of 3 (`groupProtocol: 'consumer'`):
// every node is restarted in turn (controlled shutdown) while records are produced and consumed, so
// the group coordinator and partition leaders move. The members ride it out: nothing is missed, the
// group commits to the end, no member fails, and all three still share the partitions afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaCluster, startKafka, uniqueName, waitFor } from '../kafka/index.js';
import { GroupProbe, sleep } from './fixtures/children.js';

const PARTITIONS = 6;
let kafka: KafkaCluster;
before(async () => {
  kafka = await startKafka({ nodes: 3 });
});
after(() => kafka?.close());

test('consumer protocol: a group of 3 rides out a rolling restart of the 3-node cluster', {
  timeout: 420_000,
}, async () => {
  const topic = uniqueName('k848bounce');
  const groupId = uniqueName('g');
  const admin = new Admin({ brokers: kafka.bootstrap });
  const producer = new TestProducer(kafka.bootstrap);
  const probe = new GroupProbe(kafka.bootstrap, groupId);
  await admin.createTopics([
    { topic, numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
  ]);
  const ends = new Array<number>(PARTITIONS).fill(0);
  const seen = Array.from({ length: PARTITIONS }, () => new Set<number>());
  const owned = [new Set<number>(), new Set<number>(), new Set<number>()];
  const failures: unknown[] = [];
  const members = [0, 1, 2].map((i) => {
    const c = new Consumer({
      brokers: kafka.bootstrap,
      groupId,
      groupProtocol: 'consumer',
      autoOffsetReset: 'earliest',
      autoCommitIntervalMs: 500,
      rebalanceTimeoutMs: 20000,
    });
    c.subscribe(topic, {
      onPartitionsAssigned: (ps) => {
        for (const p of ps) owned[i]!.add(p.partition);
      },
      onPartitionsRevoked: (ps) => {
        for (const p of ps) owned[i]!.delete(p.partition);
      },
      onPartitionsLost: (ps) => {
        for (const p of ps) owned[i]!.delete(p.partition);
      },
    });
    c.run({ eachMessage: (r) => void seen[r.partition]!.add(r.offset) }).catch((err) => failures.push(err));
    return c;
  });
  let producing = true;
  const writer = (async () => {
    for (let round = 0; producing && round < 10_000; round++) {
      for (let p = 0; p < PARTITIONS; p++) {
        const records = Array.from({ length: 20 }, (_, i) => ({ value: `${round}-${i}` }));
        const base = await producer.send(topic, p, records);
        ends[p] = Math.max(ends[p]!, base + records.length);
      }
      await sleep(100);
    }
  })();
  try {
    await waitFor(() => (owned.every((o) => o.size > 0) ? true : undefined), {
      timeoutMs: 60000,
      what: 'three members own partitions',
    });
    for (const node of kafka.brokers.map((b) => b.nodeId)) {
      await kafka.restart(node);
      await sleep(3000);
    }
    producing = false;
    await writer;
    await probe.waitCommitted(topic, PARTITIONS, (p) => ends[p]!, 120000);
    for (let p = 0; p < PARTITIONS; p++) {
      const missed = Array.from({ length: ends[p]! }, (_, o) => o).filter((o) => !seen[p]!.has(o));
      assert.deepEqual(missed.slice(0, 10), [], `partition ${p}: every offset consumed`);
    }
    assert.deepEqual(failures, [], 'no member failed');
    await waitFor(
      () => (owned.every((o) => o.size > 0) && owned.reduce((n, o) => n + o.size, 0) === PARTITIONS ? true : undefined),
      { timeoutMs: 60000, what: 'the three members share the partitions after the restarts' },
    );
    console.log(
      `# ${ends.reduce((a, b) => a + b, 0)} records over the rolling restart; owned ${owned.map((o) => [...o])}`,
    );
  } finally {
    producing = false;
    await writer.catch(() => {});
    await Promise.all(members.map((c) => c.close().catch(() => {})));
    probe.close();
    producer.close();
    admin.close();
  }
});
