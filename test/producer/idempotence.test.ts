// 100k records with acks=all and idempotence while the (only) broker goes down and comes back: every
// record must be stored exactly once, in send order within its partition. Own broker (startKafka).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '../../src/admin/admin.js';
import { Producer } from '../../src/producer/producer.js';
import type { RecordMetadata } from '../../src/producer/types.js';
import { type KafkaCluster, startKafka, uniqueName } from '../kafka/index.js';
import { readTopic } from './read-back.js';

const RECORDS = 100_000;
const PER_SEND = 250;
const PARTITIONS = 6;

let kafka: KafkaCluster;

before(async () => {
  kafka = await startKafka();
});
after(() => kafka.close());

/**
 * Sends RECORDS records (value = their index, key spread over the partitions) in calls of PER_SEND,
 * at most 40 calls outstanding, and runs `outage` once 30% have been handed over — so requests are in
 * flight, queued and arriving while the broker is away. Returns every record's metadata.
 */
async function produceThrough(
  topic: string,
  outage: () => Promise<void>,
): Promise<{ results: RecordMetadata[]; outageMs: number }> {
  const producer = new Producer({ brokers: kafka.bootstrap, acks: 'all', lingerMs: 5, requestTimeoutMs: 10_000 });
  const calls: Promise<RecordMetadata[]>[] = [];
  let outageDone: Promise<number> | undefined;
  try {
    for (let start = 0; start < RECORDS; start += PER_SEND) {
      const messages = Array.from({ length: PER_SEND }, (_, i) => ({
        key: `key-${(start + i) % 997}`,
        value: String(start + i),
      }));
      calls.push(producer.send({ topic, messages }));
      if (calls.length > 40) await calls[calls.length - 41];
      if (start === RECORDS * 0.3) {
        const t0 = Date.now();
        outageDone = outage().then(() => Date.now() - t0);
      }
      // Spread the sends over time so some are made while the broker is down.
      if (start % 5000 === 0) await sleep(25);
    }
    const results = (await Promise.all(calls)).flat();
    const outageMs = await outageDone!;
    return { results, outageMs };
  } finally {
    await producer.close({ timeoutMs: 30_000 });
  }
}

async function checkExactlyOnceInOrder(topic: string, results: RecordMetadata[]) {
  assert.equal(results.length, RECORDS);
  const stored = await readTopic(kafka.bootstrap, topic, { timeoutMs: 60_000 });
  const seen = new Uint8Array(RECORDS);
  let total = 0;
  for (const [partition, records] of stored.entries()) {
    let previous = -1;
    let previousOffset = -1;
    for (const r of records) {
      const v = Number(r.value!.toString());
      assert.ok(seen[v] === 0, `record ${v} stored twice (partition ${partition}, offset ${r.offset})`);
      seen[v] = 1;
      assert.ok(
        v > previous,
        `partition ${partition}: record ${v} after ${previous} (out of order at offset ${r.offset})`,
      );
      assert.ok(r.offset > previousOffset);
      previous = v;
      previousOffset = r.offset;
      total++;
    }
  }
  assert.equal(total, RECORDS, 'every record stored once');
  // And each send() result points at the record it describes.
  const byPosition = new Map<string, number>();
  for (const [partition, records] of stored.entries()) {
    for (const r of records) byPosition.set(`${partition}:${r.offset}`, Number(r.value!.toString()));
  }
  results.forEach((r, i) => {
    if (byPosition.get(`${r.partition}:${r.offset}`) !== i) {
      assert.fail(
        `send() said record ${i} is at ${r.partition}:${r.offset}, which holds ${byPosition.get(`${r.partition}:${r.offset}`)}`,
      );
    }
  });
}

test(`${RECORDS} records, acks=all + idempotence, broker restarted mid-stream: each stored exactly once, in order`, async () => {
  const topic = uniqueName('restart');
  const admin = new Admin({ brokers: kafka.bootstrap });
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  admin.close();
  const t0 = Date.now();
  const { results, outageMs } = await produceThrough(topic, () => kafka.restart(1));
  console.log(`# produced ${RECORDS} records in ${Date.now() - t0} ms across a ${outageMs} ms restart`);
  await checkExactlyOnceInOrder(topic, results);
});

test(`${RECORDS} records, broker killed (SIGKILL) mid-stream and started again: each stored exactly once, in order`, async () => {
  const topic = uniqueName('kill');
  const admin = new Admin({ brokers: kafka.bootstrap });
  await admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  admin.close();
  const t0 = Date.now();
  const { results, outageMs } = await produceThrough(topic, async () => {
    await kafka.kill(1);
    await sleep(500);
    await kafka.restart(1);
  });
  console.log(`# produced ${RECORDS} records in ${Date.now() - t0} ms across a ${outageMs} ms kill + start`);
  await checkExactlyOnceInOrder(topic, results);
});
