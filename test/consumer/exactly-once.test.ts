// Exactly-once consume-transform-produce against the real broker: workers (fixtures/eos-worker.ts) turn
// each chunk of input into one transaction that carries the outputs and the input offsets
// (sendOffsetsToTransaction with the consumer's groupMetadata()). They are killed with `kill -9` in the
// middle of transactions and restarted; in the second test a worker stalls mid-transaction while a
// second one joins and takes its partition, and comes back as a zombie that KIP-447 must fence. In the
// end a read_committed reader sees each input record's output exactly once, and a read_uncommitted
// reader sees the aborted duplicates that prove the crashes hit open transactions.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { GroupProbe, type MemberEvent, sleep } from './fixtures/children.js';
import { assertEveryInputOnce, EosWorker, type OutputRecord, readOutput } from './fixtures/eos-children.js';
import type { EosWorkerConfig } from './fixtures/eos-worker.js';

const PARTITIONS = 4;
const CHUNK = 20; // input records per transaction

const env = testEnv('sluice-eos-');

/** Fast group timings: a killed member's session ends quickly, so restarts do not wait long. */
const groupTimings = { sessionTimeoutMs: 3000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 3000 };

async function topics(perPartition: number) {
  const inTopic = uniqueName('eos-in');
  const outTopic = uniqueName('eos-out');
  await env.producer.createTopic(inTopic, PARTITIONS);
  await env.producer.createTopic(outTopic, PARTITIONS);
  await env.producer.fillGenerated(inTopic, PARTITIONS, perPartition, (p, i) => ({ value: `v${p}-${i}` }));
  return { inTopic, outTopic };
}

/** Waits until the group committed every input record (the last transactions included). */
function drained(probe: GroupProbe, topic: string, perPartition: number, workers: () => EosWorker[]) {
  const deadline = Date.now() + 90000;
  return (async () => {
    for (;;) {
      const c = await probe.committed(topic, PARTITIONS);
      if ([...Array(PARTITIONS).keys()].every((p) => c.get(p) === perPartition)) return c;
      if (workers().every((w) => !w.running)) throw new Error(`every worker exited before the end: ${[...c]}`);
      if (Date.now() > deadline) throw new Error(`the workers did not finish in time: committed ${[...c]}`);
      await sleep(200);
    }
  })();
}

/** Reads the output with a Sluice read_committed consumer up to the offsets another reader reached. */
async function sluiceReadCommitted(topic: string, until: OutputRecord[]): Promise<OutputRecord[]> {
  const last = new Map<number, number>();
  for (const r of until) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
  const consumer = new Consumer({
    brokers: env.kafka.bootstrap,
    isolationLevel: 'read_committed',
    autoOffsetReset: 'earliest',
  });
  consumer.assign([...Array(PARTITIONS).keys()].map((partition) => ({ topic, partition })));
  const seen: OutputRecord[] = [];
  const reached = new Map<number, number>();
  const done = () => [...last].every(([p, o]) => (reached.get(p) ?? -1) >= o);
  const timer = setTimeout(() => consumer.close(), 30000);
  try {
    if (!done())
      await consumer.run({
        eachMessage: (r) => {
          const [p, o] = (r.value?.toString() ?? '').split(':');
          seen.push({ partition: r.partition, offset: r.offset, source: `${p}:${o}` });
          reached.set(r.partition, r.offset);
          if (done()) setImmediate(() => consumer.close());
        },
      });
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  return seen;
}

/**
 * The exactly-once checks: read_committed (Java's consumer, then Sluice's) has every input once; the
 * difference to read_uncommitted is the aborted output.
 */
async function verify(outTopic: string, perPartition: number) {
  const committed = await readOutput(env.kafka.bootstrap, outTopic, 'read_committed');
  const uncommitted = await readOutput(env.kafka.bootstrap, outTopic, 'read_uncommitted');
  const total = PARTITIONS * perPartition;
  assertEveryInputOnce(committed, PARTITIONS, perPartition);
  const sluice = await sluiceReadCommitted(outTopic, committed);
  assert.deepEqual(
    sluice.map((r) => `${r.partition}/${r.offset}`),
    committed.map((r) => `${r.partition}/${r.offset}`).sort(byPartitionOffset),
    'a Sluice read_committed reader sees the same records',
  );
  return { committed: committed.length, uncommitted: uncommitted.length, aborted: uncommitted.length - total };
}

function byPartitionOffset(a: string, b: string): number {
  const [pa, oa] = a.split('/').map(Number) as [number, number];
  const [pb, ob] = b.split('/').map(Number) as [number, number];
  return pa - pb || oa - ob;
}

/** The transaction a run was in when it died: its last begin without a committed/aborted after it. */
function openTransaction(events: MemberEvent[]): { stage: string; n: number } | undefined {
  let open: { stage: string; n: number } | undefined;
  for (const e of events) {
    if (e.ev === 'begin') open = { stage: 'begin', n: e.n as number };
    else if (open && (e.ev === 'sent' || e.ev === 'stalled' || e.ev === 'offsets')) open.stage = e.ev;
    else if (e.ev === 'committed' || e.ev === 'aborted') open = undefined;
  }
  return open;
}

test('exactly once: kill -9 mid-transaction, restart, repeat — read_committed sees every output once', {
  timeout: 240000,
}, async () => {
  const PER_PARTITION = 600;
  const KILLS = 5;
  const { inTopic, outTopic } = await topics(PER_PARTITION);
  const groupId = uniqueName('eos');
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const cfg: EosWorkerConfig = {
    bootstrap: env.kafka.bootstrap,
    groupId,
    inTopic,
    outTopic,
    outPartitions: PARTITIONS,
    transactionalId: uniqueName('eos-tx'),
    clientId: 'eos-worker',
    log: path.join(env.dir, `${groupId}.jsonl`),
    chunk: CHUNK,
    holdMs: 15,
    metadataAt: 'commit',
    options: groupTimings,
  };
  const runs: EosWorker[] = [];
  const kills: string[] = [];
  let midTransaction = 0;
  /** Records of killed transactions surely left to be aborted (killed after `sent`), and at most. */
  let sentThenKilled = 0;
  let begunThenKilled = 0;
  try {
    for (let k = 0; k < KILLS; k++) {
      const w = new EosWorker(`run${k}`, cfg);
      runs.push(w);
      // Let it commit a few transactions first, so every run makes progress.
      const target = 2 + Math.floor(Math.random() * 6);
      await w.until(`run ${k} to commit ${target} transactions`, () =>
        w.count('committed') >= target ? true : undefined,
      );
      // Mostly right after a transaction's sends (the records are in the log, the transaction is
      // open); sometimes at a random moment.
      if (k % 2 === 0) {
        const sent = w.count('sent');
        await w.until(`run ${k} to send again`, () => (w.count('sent') > sent ? true : undefined));
      } else {
        await sleep(Math.random() * 40);
      }
      await w.kill9();
      // From the log file, which the worker writes synchronously: its stdout may still be in the pipe.
      const logged = w.logged();
      const thisRun = logged.slice(logged.findLastIndex((e) => e.ev === 'start'));
      const open = openTransaction(thisRun);
      if (open) {
        midTransaction++;
        begunThenKilled += open.n;
        // After `offsets` the commit may have been on its way: then the transaction committed.
        if (open.stage === 'sent') sentThenKilled += open.n;
      }
      kills.push(open ? `after ${open.stage}` : 'between transactions');
    }
    const last = new EosWorker('final', cfg);
    runs.push(last);
    await drained(probe, inTopic, PER_PARTITION, () => [last]);
    const exit = await last.close();
    assert.equal(exit.code, 0, `the final run closes cleanly\n${last.stderr}`);

    const v = await verify(outTopic, PER_PARTITION);
    const aborted = runs.reduce((n, w) => n + w.count('aborted'), 0);
    assert.equal(aborted, 0, 'no transaction failed on its own');
    assert.ok(midTransaction >= 1, `at least one kill landed inside a transaction (${kills})`);
    // Each kill after `sent` left its chunk's output in the log, which the restart aborted; nothing
    // else was aborted.
    assert.ok(
      v.aborted >= sentThenKilled && v.aborted <= begunThenKilled,
      `read_uncommitted sees the killed transactions' outputs: ${v.aborted} aborted, ${sentThenKilled}..${begunThenKilled} expected`,
    );
    assert.ok(v.aborted > 0, 'at least one crash left aborted output behind');
    const txns = runs.reduce((n, w) => n + w.count('committed'), 0);
    console.log(
      `# ${KILLS} kills (${kills.join(', ')}); ${txns} transactions committed; read_committed ${v.committed} ` +
        `records = ${PARTITIONS * PER_PARTITION} inputs once each; read_uncommitted ${v.uncommitted} ` +
        `(${v.aborted} aborted duplicates)`,
    );
  } finally {
    await Promise.all(runs.map((w) => w.destroy()));
    probe.close();
  }
});

/**
 * Two workers; one (w1) stalls mid-transaction, after its sends, while the other (w2) joins. w1's
 * rebalance work (its revocation waits for the stalled handler) outlasts the rebalance timeout, so it
 * leaves, and w2 — its client id sorts first, so `range` gives it partition 0 — re-processes the
 * stalled chunk and commits it. Then the zombie goes on, at one of two points: `out` — w1 has given
 * partition 0 up (its listener ran) and is out of the group; `rejoined` — w1 has also rejoined and got
 * partitions again, so it is a live member of a newer generation, while its stalled transaction belongs
 * to the old one. Either way KIP-447 must reject the zombie's offsets, and it aborts: the group metadata
 * it sends must be that of the generation its records came from.
 */
async function zombie(metadataAt: 'commit' | 'start', release: 'out' | 'rejoined') {
  const PER_PARTITION = 400;
  const { inTopic, outTopic } = await topics(PER_PARTITION);
  const groupId = uniqueName('eos-zombie');
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const stallFile = path.join(env.dir, `${groupId}.stall`);
  writeFileSync(stallFile, '');
  const base = {
    bootstrap: env.kafka.bootstrap,
    groupId,
    inTopic,
    outTopic,
    outPartitions: PARTITIONS,
    chunk: CHUNK,
    holdMs: 5,
    metadataAt,
    options: groupTimings,
  };
  const w1 = new EosWorker('w1', {
    ...base,
    transactionalId: uniqueName('eos-tx1'),
    clientId: 'eos-b',
    log: path.join(env.dir, `${groupId}-w1.jsonl`),
    stallFile,
    stallPartition: 0,
    stallFrom: 3 * CHUNK, // after three transactions of partition 0
  });
  let w2: EosWorker | undefined;
  try {
    const stalled = await w1.until('w1 to stall on partition 0', () => w1.events.find((e) => e.ev === 'stalled'));
    w2 = new EosWorker('w2', {
      ...base,
      transactionalId: uniqueName('eos-tx2'),
      clientId: 'eos-a',
      log: path.join(env.dir, `${groupId}-w2.jsonl`),
    });
    const other = w2;
    // The newcomer re-processes the stalled chunk (from the last committed offset) and commits it.
    await other.until('w2 to commit the stalled chunk again', () =>
      other.events.find((e) => e.ev === 'committed' && e.p === 0 && (e.to as number) >= (stalled.to as number)),
    );
    // w1 has given partition 0 up (and, for `rejoined`, got partitions of a newer generation since).
    await w1.until(`w1 to be ${release === 'out' ? 'out of the group' : 'back in the group'}`, () => {
      const gaveUp = w1.events.findIndex(
        (e) => (e.ev === 'revoked' || e.ev === 'lost') && (e.ps as number[]).includes(0),
      );
      if (gaveUp < 0) return undefined;
      if (release === 'out') return true;
      return w1.events.slice(gaveUp).some((e) => e.ev === 'assigned' && (e.ps as number[]).length > 0)
        ? true
        : undefined;
    });
    rmSync(stallFile, { force: true });
    const outcome = await w1.until(
      'the zombie transaction to end',
      () => w1.events.find((e) => (e.ev === 'committed' || e.ev === 'aborted') && e.p === 0 && e.from === stalled.from),
      30000,
      true,
    );
    const offsetsEvent = w1.events.find((e) => e.ev === 'offsets' && e.p === 0 && e.from === stalled.from);
    const w1Lost = w1.events.filter((e) => (e.ev === 'revoked' || e.ev === 'lost') && (e.ps as number[]).includes(0));
    console.log(
      `# zombie (groupMetadata() read at ${metadataAt}, released when ${release}): chunk 0:${stalled.from}-${stalled.to} ` +
        `${outcome.ev}${outcome.code ? ` (${outcome.code})` : ''}; metadata sent ${JSON.stringify(offsetsEvent?.meta ?? null)}; ` +
        `w1 gave partition 0 up via ${w1Lost.map((e) => e.ev).join('/') || 'nothing'}`,
    );
    // The timeline (callbacks, partition 0's transactions) when the zombie got through, or on request.
    if (outcome.ev !== 'aborted' || process.env.EOS_DEBUG) {
      const t0 = w1.events[0]!.t;
      for (const w of [w1, other])
        for (const e of w.events)
          if (!['begin', 'sent', 'offsets'].includes(e.ev) && !(e.ev === 'committed' && e.p !== 0))
            console.log(
              `# ${w.name} +${(e.t - t0).toFixed(0)} ${e.ev} ${JSON.stringify({ ...e, ev: undefined, t: undefined })}`,
            );
    }
    assert.equal(
      outcome.ev,
      'aborted',
      `the zombie's offsets must be fenced (KIP-447), but its transaction committed with group metadata ` +
        `${JSON.stringify(offsetsEvent?.meta)} after w2 had committed the same input`,
    );

    await drained(probe, inTopic, PER_PARTITION, () => [w1, other]);
    await Promise.all([w1.close(), other.close()]);
    const v = await verify(outTopic, PER_PARTITION);
    assert.ok(v.aborted >= (stalled.n as number), `read_uncommitted sees the zombie's aborted outputs (${v.aborted})`);
    console.log(
      `# zombie (${metadataAt}, ${release}): read_committed ${v.committed} = every input once; read_uncommitted ${v.uncommitted} ` +
        `(${v.aborted} aborted); w1 ${w1.count('committed')} / w2 ${other.count('committed')} transactions`,
    );
  } finally {
    rmSync(stallFile, { force: true });
    await Promise.all([w1.destroy(), w2?.destroy()]);
    probe.close();
  }
}

// The `commit` variants fail today (consumer bugs, for the consumer's owner to fix):
//  - out: once the member knows it was fenced, groupMetadata() returns generationId -1 and memberId ''
//    (after UNKNOWN_MEMBER_ID or leaving), which a coordinator treats as "no group management" and does
//    not check: the zombie's offsets are accepted. Java's groupMetadata() keeps the last joined
//    generation and member id until the next join completes, so the coordinator rejects them.
//  - rejoined: groupMetadata() already names the member's newer generation, which the coordinator
//    accepts for any partition. In Java the generation only moves inside poll(), so metadata read after
//    processing a poll's records is that poll's; here rebalances run beside the handlers.
for (const release of ['out', 'rejoined'] as const) {
  const zombieIs = release === 'out' ? 'out of the group' : 'back in a newer generation';
  for (const metadataAt of ['start', 'commit'] as const) {
    const read = metadataAt === 'start' ? 'when its records arrived' : 'at commit time';
    test(
      `exactly once across a rebalance: a zombie ${zombieIs}, groupMetadata() read ${read}, is fenced`,
      {
        timeout: 180000,
      },
      () => zombie(metadataAt, release),
    );
  }
}
