// Group churn against the real broker: member processes join, leave gracefully, and one is `kill -9`ed
// while a 12-partition topic of 200k records is consumed. From the members' logs (callbacks and every
// processed record, on one clock) we check: nothing is lost; duplicates come only from the killed
// member's uncommitted window; one owner per partition at a time; every record is processed inside
// its member's ownership interval.
// Diagnosis: KEEP_LOGS=1 keeps the member logs (path printed); MEMBER_LOG=info|debug adds each
// consumer's own log lines (joins, revocations, failed commits) to them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestProducer } from '../helpers/produce.js';
import { type KafkaInfo, sharedKafka, uniqueName } from '../kafka/index.js';
import { GroupProbe, Member, readLog, sleep } from './fixtures/children.js';
import type { MemberConfig } from './fixtures/member.js';
import {
  type MemberLog,
  missing,
  outsideOwnership,
  overlaps,
  ownershipIntervals,
  processedRecords,
  uncommittedWindow,
  unexplainedDuplicates,
} from './fixtures/ownership.js';

const PARTITIONS = 12;
const PER_PARTITION = 16_667; // 200,004 records

let kafka: KafkaInfo;
let producer: TestProducer;
let dir: string;

before(async () => {
  kafka = await sharedKafka();
  producer = new TestProducer(kafka.bootstrap);
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-churn-'));
});
after(() => {
  producer.close();
  if (!process.env.KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  else console.log(`# logs in ${dir}`);
});

/** `consumer`: the KIP-848 protocol (the broker assigns); otherwise the classic protocol with this assignor. */
async function churn(assignor: 'cooperative-sticky' | 'range' | 'consumer') {
  const topic = uniqueName(`churn-${assignor}`);
  const groupId = uniqueName('g');
  await producer.createTopic(topic, PARTITIONS);
  await producer.fillGenerated(topic, PARTITIONS, PER_PARTITION, (p, i) => ({ key: `k${i}`, value: `${p}-${i}` }), {
    batch: 2000,
  });
  const total = PARTITIONS * PER_PARTITION;
  const members: Member[] = [];
  const start = (name: string) => {
    const cfg: MemberConfig = {
      bootstrap: kafka.bootstrap,
      groupId,
      topic,
      log: path.join(dir, `${groupId}-${name}.jsonl`),
      options: assignor === 'consumer' ? { groupProtocol: 'consumer' } : { assignors: [assignor] },
      concurrency: 3,
      // Paced (about 3,000 records/s per member) so that consumption outlasts the joins, leaves and the
      // kill on a loaded 2-core machine too: started processes and rebalances take seconds there, and
      // unpaced members finished the topic before the kill (or before m3 was busy) under load.
      pauseEvery: 20,
      pauseMs: 20,
    };
    const m = new Member(name, cfg);
    members.push(m);
    return m;
  };
  const progress = () => members.reduce((n, m) => n + m.processed, 0);
  const waitProgress = async (what: string, n: number) => {
    const deadline = Date.now() + 90000;
    while (progress() < n) {
      if (Date.now() > deadline) {
        const state = members.map((m) => `${m.name}: ${JSON.stringify(m.events.slice(-5))}\n${m.stderr.slice(-1500)}`);
        throw new Error(`no progress to ${n} for ${what} (at ${progress()})\n${state.join('\n')}`);
      }
      await sleep(50);
    }
  };
  const probe = new GroupProbe(kafka.bootstrap, groupId);
  const steps: string[] = [];
  try {
    const m1 = start('m1');
    const m2 = start('m2');
    await waitProgress('m3 join', total * 0.1);
    const m3 = start('m3');
    steps.push(`m3 joins at ${progress()}`);
    await m3.until('m3 assigned', () => m3.owned().size > 0);
    await waitProgress('m2 leave', total * 0.25);
    steps.push(`m2 leaves at ${progress()}`);
    await m2.close();
    await waitProgress('m4 join', total * 0.35);
    const m4 = start('m4');
    steps.push(`m4 joins at ${progress()}`);
    await m4.until('m4 assigned', () => m4.owned().size > 0);
    // Kill it mid-stream: busy with the partitions it owns since the last rebalance.
    await m3.until('m3 busy', () => m3.owned().size > 0 && m3.sinceRebalance > 500);
    await waitProgress('kill m3', total * 0.5);
    steps.push(`m3 killed at ${progress()} owning ${[...m3.owned()]}`);
    await m3.kill9();
    assert.ok(
      progress() < total * 0.9,
      `the kill happened with records left to consume (${progress()}; ${steps.join('; ')})`,
    );
    // A join while the dead member still counts as one: the rebalance waits (JoinGroup parked at the
    // coordinator) until its session expires, with commits queued behind the parked joins.
    const m5 = start('m5');
    steps.push(`m5 joins at ${progress()}`);
    await m5.until('m5 assigned', () => m5.owned().size > 0);

    await probe.waitCommitted(topic, PARTITIONS, () => PER_PARTITION, 120000);
    await Promise.all([m1.close(), m4.close(), m5.close()]);

    const logs: MemberLog[] = members.map((m) => ({ name: m.name, events: readLog(m.cfg.log), killedAt: m.killedAt }));
    const records = processedRecords(logs);
    const intervals = ownershipIntervals(logs);
    const killed = logs.find((l) => l.name === 'm3');
    const summary = `${steps.join('; ')}; ${records.length} processed for ${total} records`;

    assert.deepEqual([...missing(records, PARTITIONS, PER_PARTITION)], [], `every record processed (${summary})`);
    assert.deepEqual(overlaps(intervals), [], 'one owner per partition at a time');
    const outside = outsideOwnership(records, intervals);
    assert.deepEqual(
      outside.slice(0, 3).map((r) => {
        const own = intervals.filter((i) => i.member === r.member && i.partition === r.p);
        const cbs = logs
          .find((l) => l.name === r.member)!
          .events.filter((e) => e.ev !== 'r')
          .map((e) => `${e.ev}@${e.t.toFixed(1)} ${e.ps ?? ''}`);
        return `${r.member} processed ${r.p}/${r.o} at ${r.t.toFixed(1)} (${outside.length} such) outside ${JSON.stringify(own)}; callbacks ${cbs.join('; ')}`;
      }),
      [],
      'every record processed inside its member’s ownership interval',
    );
    assert.deepEqual(
      unexplainedDuplicates(records, killed).slice(0, 10),
      [],
      'duplicates only from the killed member’s uncommitted window',
    );
    // Sanity: the scenario did what it says — m3 owned partitions when killed, others took them over.
    const killedOpen = intervals.filter((i) => i.member === 'm3' && i.how === 'killed');
    assert.ok(killedOpen.length > 0, 'm3 owned partitions when it was killed');
    const dupes = records.length - total;
    const window = uncommittedWindow(killed!);
    const bound = [...window.values()].reduce((a, b) => a + b, 0);
    assert.ok(
      dupes <= bound,
      `${dupes} duplicates, more than the ${bound} records m3 processed after its last commits`,
    );
    console.log(
      `# ${assignor}: ${summary}; ${dupes} duplicates, all inside m3's uncommitted window (${bound} records since its last accepted commits)`,
    );
  } finally {
    probe.close();
    await Promise.all(members.map((m) => m.destroy()));
  }
}

test(
  'churn (cooperative-sticky): joins, a graceful leave and a kill -9 lose nothing and keep one owner per partition',
  {
    timeout: 300_000,
  },
  () => churn('cooperative-sticky'),
);

test(
  'churn (range, eager): joins, a graceful leave and a kill -9 lose nothing and keep one owner per partition',
  {
    timeout: 300_000,
  },
  () => churn('range'),
);

test(
  'churn (groupProtocol consumer, KIP-848): joins, a graceful leave and a kill -9 lose nothing and keep one owner per partition',
  {
    timeout: 300_000,
  },
  () => churn('consumer'),
);
