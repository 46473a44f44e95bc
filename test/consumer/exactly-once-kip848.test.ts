// sluice-test-needs: kafka-tools
// Exactly-once consume-transform-produce with the KIP-848 group protocol (`groupProtocol: 'consumer'`)
// against the real broker: the workers of fixtures/eos-worker.ts send their input offsets with
// sendOffsetsToTransaction({ consumerGroupMetadata: consumer.groupMetadata() }), whose generation is
// the member epoch. Members join, leave and are killed mid-transaction while the others keep
// committing transactions; the broker bumps a member's epoch at each reassignment, also for members
// that keep their partitions. In the end read_committed has every input's output exactly once, and no
// transaction of a live member failed because its epoch had moved on.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { GroupProbe } from './fixtures/children.js';
import { assertEveryInputOnce, EosWorker, readOutput } from './fixtures/eos-children.js';
import type { EosWorkerConfig } from './fixtures/eos-worker.js';

const PARTITIONS = 4;
const PER_PARTITION = 1500;
const CHUNK = 20;

const env = testEnv('sluice-eos848-');

test('exactly once with the consumer protocol (KIP-848): members join, leave and die mid-transaction — read_committed sees every output once, no spurious aborts', {
  timeout: 240000,
}, async () => {
  const inTopic = uniqueName('eos848-in');
  const outTopic = uniqueName('eos848-out');
  await env.producer.createTopic(inTopic, PARTITIONS);
  await env.producer.createTopic(outTopic, PARTITIONS);
  await env.producer.fillGenerated(inTopic, PARTITIONS, PER_PARTITION, (p, i) => ({ value: `v${p}-${i}` }));
  const groupId = uniqueName('eos848');
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const txnIds = new Map<string, string>();
  // A restarted instance keeps its transactional id, and its first transaction fences (aborts) the one
  // its predecessor left open; until then that open transaction holds read_committed readers back.
  const worker = (name: string, instance = name): EosWorker =>
    new EosWorker(name, {
      bootstrap: env.kafka.bootstrap,
      groupId,
      inTopic,
      outTopic,
      outPartitions: PARTITIONS,
      transactionalId: txnIds.get(instance) ?? txnIds.set(instance, uniqueName(`eos848-${instance}`)).get(instance)!,
      clientId: `eos-${name}`,
      log: path.join(env.dir, `${groupId}-${name}.jsonl`),
      chunk: CHUNK,
      holdMs: 40,
      metadataAt: 'commit',
      options: { groupProtocol: 'consumer', rebalanceTimeoutMs: 5000 },
    } satisfies EosWorkerConfig);
  const all: EosWorker[] = [];
  const start = (name: string, instance = name) => {
    const w = worker(name, instance);
    all.push(w);
    return w;
  };
  const commits = (w: EosWorker, n: number) =>
    w.until(`${w.name} to commit ${n} transactions`, () => (w.count('committed') >= n ? true : undefined), 90000);
  try {
    const a = start('a');
    await commits(a, 3);
    // b joins: a gives up partitions, its epoch moves on while its transactions continue.
    const b = start('b');
    await commits(b, 3);
    const aBefore = a.count('committed');
    await commits(a, aBefore + 3);
    // c joins, then dies right after a transaction's sends; d, c restarted, takes its place.
    const c = start('c');
    await commits(c, 2);
    const sent = c.count('sent');
    await c.until('c to send again', () => (c.count('sent') > sent ? true : undefined), 60000);
    await c.kill9();
    // b leaves gracefully while a and the restarted c' go on.
    const b2 = b.count('committed');
    await commits(b, b2 + 2);
    const bExit = await b.close();
    assert.equal(bExit.code, 0, `b closes cleanly\n${b.stderr}`);
    const d = start('d', 'c');
    const deadline = Date.now() + 120000;
    for (;;) {
      const done = await probe.committed(inTopic, PARTITIONS);
      if ([...Array(PARTITIONS).keys()].every((p) => done.get(p) === PER_PARTITION)) break;
      assert.ok(Date.now() < deadline, `the workers did not finish in time: committed ${[...done]}`);
      assert.ok(a.running || d.running, 'a live worker');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const w of [a, d]) {
      const exit = await w.close();
      assert.equal(exit.code, 0, `${w.name} closes cleanly\n${w.stderr}`);
    }

    const committed = await readOutput(env.kafka.bootstrap, outTopic, 'read_committed');
    assertEveryInputOnce(committed, PARTITIONS, PER_PARTITION);
    // A transaction fails on its own only if the coordinator rejected its offsets: a member epoch that
    // moved on while the member kept the partition must not do that.
    const aborted = all.flatMap((w) =>
      w.events.filter((e) => e.ev === 'aborted').map((e) => `${w.name}: ${e.code} ${e.error}`),
    );
    assert.deepEqual(aborted, [], 'no transaction of a live member aborted');
    const uncommitted = await readOutput(env.kafka.bootstrap, outTopic, 'read_uncommitted');
    console.log(
      `# KIP-848 EOS: ${all.map((w) => `${w.name} ${w.count('committed')}`).join(', ')} transactions; ` +
        `read_committed ${committed.length} = every input once; read_uncommitted ${uncommitted.length}`,
    );
  } catch (err) {
    for (const w of all) {
      const tail = w.events.filter((e) => !['begin', 'sent', 'offsets', 'committed'].includes(e.ev)).slice(-8);
      console.log(`# ${w.name} (${w.count('committed')} committed, running ${w.running}): ${JSON.stringify(tail)}`);
      console.log(`# ${w.name} last: ${JSON.stringify(w.events.slice(-3))} stderr: ${w.stderr.slice(-1500)}`);
    }
    throw err;
  } finally {
    await Promise.all(all.map((w) => w.destroy()));
    probe.close();
  }
});
