// Interop with Kafka's Java consumer (classic protocol) in one group, against the real broker:
// Java's CooperativeStickyAssignor with our 'cooperative-sticky', and Java's RangeAssignor with our
// 'range'. The partitions are split with no overlap, every record is consumed, and when either member
// leaves the other takes over its partitions.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { runJava, uniqueName, waitFor } from '../kafka/index.js';
import { GroupProbe, type MemberEvent, now, readLog } from './fixtures/children.js';
import {
  type MemberLog,
  missing,
  outsideOwnership,
  overlaps,
  ownershipIntervals,
  processedRecords,
} from './fixtures/ownership.js';

const PARTITIONS = 6;
const PER_BATCH = 500; // records per partition per round

const env = testEnv('sluice-interop-');

/** Partitions owned now according to a member's callbacks. */
function owned(events: MemberEvent[]): number[] {
  const s = new Set<number>();
  for (const e of events) {
    if (e.ev === 'assigned') for (const p of e.ps as number[]) s.add(p);
    else if (e.ev === 'revoked' || e.ev === 'lost') for (const p of e.ps as number[]) s.delete(p);
  }
  return [...s].sort((a, b) => a - b);
}

/** A Sluice group member in this process, logging like the Java one. */
function sluiceMember(groupId: string, topic: string, assignor: 'cooperative-sticky' | 'range' | 'consumer') {
  const events: MemberEvent[] = [];
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    clientId: 'sluice-interop',
    groupId,
    ...(assignor === 'consumer'
      ? { groupProtocol: 'consumer' as const }
      : { assignors: [assignor], sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }),
    autoOffsetReset: 'earliest',
    rebalanceTimeoutMs: 10000,
    autoCommitIntervalMs: 500,
  });
  const log = (ev: string) => (ps: { partition: number }[]) =>
    void events.push({ ev, t: now(), ps: ps.map((p) => p.partition) });
  consumer.subscribe(topic, {
    onPartitionsAssigned: log('assigned'),
    onPartitionsRevoked: log('revoked'),
    onPartitionsLost: log('lost'),
  });
  const running = consumer.run({
    eachMessage: (r) => void events.push({ ev: 'r', t: now(), p: r.partition, o: r.offset }),
  });
  return { consumer, events, running };
}

/** `consumer`: both sides use the KIP-848 protocol (the broker assigns); otherwise classic with this assignor. */
async function interop(assignor: 'cooperative-sticky' | 'range' | 'consumer') {
  const topic = uniqueName(`interop-${assignor}`);
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  let produced = 0;
  const produce = async () => {
    const base = produced;
    await env.producer.fillGenerated(topic, PARTITIONS, PER_BATCH, (p, i) => ({ value: `${p}-${base + i}` }));
    produced += PER_BATCH;
  };
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const all = Array.from({ length: PARTITIONS }, (_, p) => p);
  const javas: { log: string; stop: string; done: Promise<unknown> }[] = [];
  const startJava = (name: string) => {
    const log = path.join(env.dir, `${groupId}-${name}.jsonl`);
    const stop = path.join(env.dir, `${groupId}-${name}.stop`);
    const done = runJava({
      source: 'test/consumer/fixtures/InteropConsumer.java',
      args: [env.kafka.bootstrap, groupId, topic, assignor, log, stop, '120'],
      timeoutMs: 150000,
    });
    done.catch(() => {}); // awaited when it is stopped; don't let an early failure go unhandled meanwhile
    const j = { log, stop, done, owned: () => owned(readLog(log)) };
    javas.push(j);
    return j;
  };
  const stopJava = async (j: (typeof javas)[number]) => {
    writeFileSync(j.stop, '');
    await j.done;
  };
  const sluice: ReturnType<typeof sluiceMember>[] = [];
  /** Both members own partitions, disjoint and covering the topic, on both sides and per the coordinator. */
  const split = async (j: ReturnType<typeof startJava>, s: ReturnType<typeof sluiceMember>, what: string) => {
    const d = await waitFor(
      async () => {
        const jo = j.owned();
        const so = owned(s.events);
        if (!jo.length || !so.length || jo.length + so.length !== PARTITIONS) return undefined;
        // DescribeGroups (the probe) describes classic groups only: a KIP-848 group is judged by its members.
        if (assignor === 'consumer') return { j: jo, s: so, d: undefined };
        const d = await probe.describe();
        return d.state === 'Stable' ? { j: jo, s: so, d } : undefined;
      },
      { timeoutMs: 60000, what },
    );
    assert.deepEqual(
      [...d.j, ...d.s].sort((a, b) => a - b),
      all,
      `${what}: no overlap, nothing unassigned`,
    );
    if (d.d) {
      const byClient = new Map(d.d.members.map((m) => [m.clientId, m.assignment]));
      assert.deepEqual(byClient.get('java-interop'), d.j, `${what}: the coordinator agrees (java)`);
      assert.deepEqual(byClient.get('sluice-interop'), d.s, `${what}: the coordinator agrees (sluice)`);
    }
    return `${what}: java ${d.j} / sluice ${d.s}`;
  };
  const drained = (what: string) =>
    probe
      .waitCommitted(topic, PARTITIONS, () => produced, 60000)
      .catch((err) => {
        throw new Error(`${what}: ${err.message}`);
      });
  const takesOver = (what: string, ownedNow: () => number[]) =>
    waitFor(() => ownedNow().length === PARTITIONS, { timeoutMs: 60000, what });

  try {
    await produce();
    const j1 = startJava('java1');
    await takesOver('java1 owns every partition', j1.owned);
    // 1. Sluice joins a group Java leads: Java's assignor splits the partitions.
    const s1 = sluiceMember(groupId, topic, assignor);
    sluice.push(s1);
    const splits = [await split(j1, s1, 'sluice joins, java leads')];
    await produce();
    await drained('both consume their partitions');
    // 2. Java leaves: Sluice takes everything over (and leads the group from now on).
    await stopJava(j1);
    await takesOver('sluice takes over', () => owned(s1.events));
    await produce();
    await drained('sluice alone');
    // 3. Java joins a group Sluice leads: our assignor splits, Java decodes our assignment.
    const j2 = startJava('java2');
    splits.push(await split(j2, s1, 'java joins, sluice leads'));
    await produce();
    await drained('both consume their partitions again');
    // 4. Sluice leaves: Java takes everything over.
    await s1.consumer.close();
    await s1.running;
    await takesOver('java2 takes over', j2.owned);
    await produce();
    await drained('java alone');
    await stopJava(j2);

    const logs: MemberLog[] = [
      { name: 'java1', events: readLog(j1.log) },
      { name: 'java2', events: readLog(j2.log) },
      { name: 'sluice', events: s1.events },
    ];
    const records = processedRecords(logs);
    const intervals = ownershipIntervals(logs);
    assert.deepEqual([...missing(records, PARTITIONS, produced)], [], 'every record consumed');
    assert.deepEqual(overlaps(intervals), [], 'one owner per partition at a time');
    assert.deepEqual(outsideOwnership(records, intervals).slice(0, 10), [], 'records only processed by their owner');
    const keys = records.map((r) => `${r.p}/${r.o}`);
    assert.equal(new Set(keys).size, keys.length, 'no record consumed twice (every hand-over was graceful)');
    const count = (m: string) => records.filter((r) => r.member === m).length;
    console.log(
      `# ${assignor}: ${splits.join('; ')}; ${records.length} records: java1 ${count('java1')}, ` +
        `sluice ${count('sluice')}, java2 ${count('java2')}`,
    );
  } finally {
    await Promise.all(sluice.map((s) => s.consumer.close().catch(() => {})));
    for (const j of javas) writeFileSync(j.stop, '');
    await Promise.all(javas.map((j) => j.done.catch(() => {})));
    probe.close();
  }
}

test('interop: Java CooperativeStickyAssignor and Sluice cooperative-sticky share a group', { timeout: 180000 }, () =>
  interop('cooperative-sticky'),
);

test('interop: Java RangeAssignor and Sluice range share a group', { timeout: 180000 }, () => interop('range'));

test('interop: Java and Sluice with group.protocol=consumer (KIP-848) share a group', { timeout: 180000 }, () =>
  interop('consumer'),
);
