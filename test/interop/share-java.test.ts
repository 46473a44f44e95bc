// Interop (KIP-932): Kafka's Java KafkaShareConsumer and two Sluice ShareConsumers in one share group
// split a topic's records — each gets some, nothing is lost, nothing is accepted twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '../../src/admin/admin.js';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaInfo, sharedKafka, uniqueName, waitFor } from '../kafka/index.js';
import { shareGroupConfig, shareMember } from '../share/helpers.js';
import { javaShareMember } from './java-share.js';

let kafka: KafkaInfo;
let admin: Admin;
let producer: TestProducer;
let dir: string;

before(async () => {
  kafka = await sharedKafka();
  admin = new Admin({ brokers: kafka.bootstrap });
  producer = new TestProducer(kafka.bootstrap);
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-share-java-'));
});
after(() => {
  admin?.close();
  producer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TOTAL = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('share group interop: a Java KafkaShareConsumer and 2 Sluice share consumers split the records; none lost, none accepted twice', {
  timeout: 180_000,
}, async () => {
  const topic = uniqueName('share-java');
  const groupId = uniqueName('sg-java');
  await producer.createTopic(topic, 2);
  await shareGroupConfig(kafka.bootstrap, groupId);

  // Every member joins before a record exists, so that each can get some; each handler takes ~2 ms
  // per record so that no member drains the topic alone.
  const java = javaShareMember({ bootstrap: kafka.bootstrap, groupId, topic, dir, seconds: 120, delayMsPerRecord: 2 });
  const sluice = [0, 1].map(() => shareMember(kafka.bootstrap, groupId, topic, () => sleep(2)));
  try {
    await waitFor(
      async () => {
        const [g] = await admin.describeShareGroups(groupId).catch(() => []);
        return g && g.members.length === 3 && g.members.every((m) => m.assignment.length > 0) ? g : undefined;
      },
      { timeoutMs: 60_000, what: '3 members with assignments' },
    );
    await producer.fill(topic, 2, TOTAL, 'r');

    // Accepted by the Sluice members: the offsets of acknowledgements the broker applied.
    const sluiceAccepted = (m: (typeof sluice)[number]) =>
      m.acks.filter((a) => a.error === null).flatMap((a) => a.offsets.map((o) => `${a.partition}/${o}`));
    const javaAccepted = () => java.accepted().map((r) => `${r.partition}/${r.offset}`);
    await waitFor(() => new Set([...javaAccepted(), ...sluice.flatMap(sluiceAccepted)]).size >= TOTAL || undefined, {
      timeoutMs: 90_000,
      what: `all ${TOTAL} records accepted`,
    });
    await Promise.all(sluice.map((m) => m.consumer.close()));
    await Promise.all(sluice.map((m) => m.running));
    const result = await java.stop();
    assert.match(result.stdout, /closed \d+/);

    const perMember = [javaAccepted(), ...sluice.map(sluiceAccepted)];
    const all = perMember.flat();
    const counts = perMember.map((l) => l.length);
    assert.equal(new Set(all).size, TOTAL, `every record accepted (${counts.join(' + ')})`);
    assert.equal(all.length, TOTAL, `nothing accepted twice (${counts.join(' + ')})`);
    assert.ok(
      counts.every((n) => n > 0),
      `each member accepted some: java ${counts[0]}, sluice ${counts[1]} and ${counts[2]}`,
    );
    assert.deepEqual(java.failed(), [], 'the Java member had no refused acknowledgement');

    // What each side accepted is what was produced: values by position.
    const values = new Set([
      ...java.accepted().map((r) => r.value),
      ...sluice.flatMap((m) => m.seen.map((r) => r.value?.toString() ?? '')),
    ]);
    for (let i = 0; i < TOTAL; i++) assert.ok(values.has(`r-${i}`), `r-${i} was delivered`);
    console.log(`share interop: java ${counts[0]}, sluice ${counts[1]} + ${counts[2]} of ${TOTAL}`);
  } finally {
    for (const m of sluice) await m.consumer.close().catch(() => {});
    await java.stop().catch(() => {});
  }
});
