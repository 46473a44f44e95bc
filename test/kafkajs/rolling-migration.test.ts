// The rolling migration: a group of 3 KafkaJS 2.2.4 consumers (each its own process) is replaced one
// member at a time by sluice/kafkajs consumers while a producer writes. The first KafkaJS member is
// killed (SIGKILL, a crash mid-migration), the others leave gracefully. Nothing is lost, and every
// record delivered twice lies in an uncommitted window: when it was delivered again, no commit
// accepted before for its partition (by any member, so in particular by the member that saw it first,
// before it left) covered it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from '../../src/kafkajs/index.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv();
const PARTITIONS = 6;

/** The clock the member processes log with too (same machine, same time origin arithmetic). */
const now = () => performance.timeOrigin + performance.now();
const memberScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'kafkajs-member.ts');

interface Delivery {
  member: string;
  partition: number;
  offset: number;
  at: number;
}
interface Commit {
  member: string;
  partition: number;
  /** The next offset to read. */
  offset: number;
  at: number;
}

interface Member {
  name: string;
  kind: 'kafkajs' | 'sluice';
  assigned: number[];
  /** Graceful: disconnect (the KafkaJS process on SIGTERM). */
  stop(): Promise<void>;
  /** KafkaJS processes only: SIGKILL. */
  kill?(): Promise<void>;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('3 KafkaJS consumers replaced one by one by sluice/kafkajs while a producer writes: nothing lost, duplicates only in uncommitted windows', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('kjs-roll');
  const groupId = uniqueName('kjs-roll-g');
  await env.producer.createTopic(topic, PARTITIONS);
  const deliveries: Delivery[] = [];
  const commits: Commit[] = [];
  const produced = new Set<string>();
  let duplicatesOfKilled = 0;

  /** A KafkaJS 2.2.4 member in its own process, reporting what it does on stdout. */
  async function kafkajsMember(name: string): Promise<Member> {
    const proc: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', memberScript, env.kafka.bootstrap, topic, groupId, name],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const m: Member = {
      name,
      kind: 'kafkajs',
      assigned: [],
      stop: async () => {
        proc.kill('SIGTERM');
        await exited;
      },
      kill: async () => {
        proc.kill('SIGKILL');
        await exited;
      },
    };
    let running = false;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr = (stderr + c).slice(-4000);
    });
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const e = JSON.parse(buf.slice(0, i)) as {
          ev: string;
          t: number;
          partition: number;
          offset: number;
          assigned: number[];
        };
        buf = buf.slice(i + 1);
        if (e.ev === 'delivery') deliveries.push({ member: name, partition: e.partition, offset: e.offset, at: e.t });
        else if (e.ev === 'commit') commits.push({ member: name, partition: e.partition, offset: e.offset, at: e.t });
        else if (e.ev === 'join') m.assigned = e.assigned;
        else if (e.ev === 'running') running = true;
      }
    });
    await Promise.race([
      until(() => running, 30000, `${name} to run`),
      exited.then(() => {
        throw new Error(`${name} exited: ${stderr}`);
      }),
    ]);
    return m;
  }

  async function sluiceMember(name: string): Promise<Member> {
    const kafka = new Kafka({ brokers: [env.kafka.bootstrap], clientId: name, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 200, sessionTimeout: 6000 });
    const m: Member = { name, kind: 'sluice', assigned: [], stop: () => consumer.disconnect() };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.assigned = e.payload.memberAssignment[topic] ?? [];
    });
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics)
        for (const p of t.partitions)
          if (t.topic === topic)
            commits.push({ member: name, partition: p.partition, offset: Number(p.offset), at: now() });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        deliveries.push({ member: name, partition, offset: Number(message.offset), at: now() });
      },
    });
    return m;
  }

  // The producer: one record per partition every 30 ms until told to stop.
  let producing = true;
  const producer = (async () => {
    for (let i = 0; producing && i < 5000; i++) {
      await Promise.all(
        Array.from({ length: PARTITIONS }, async (_, p) => {
          const base = await env.producer.send(topic, p, [{ key: `k${i}`, value: `v${i}` }]);
          produced.add(`${p}:${base}`);
        }),
      );
      await new Promise((r) => setTimeout(r, 30));
    }
  })();

  const members: Member[] = [];
  try {
    members.push(...(await Promise.all([1, 2, 3].map((i) => kafkajsMember(`kafkajs-${i}`)))));
    const spread = () => members.every((m) => m.assigned.length === PARTITIONS / members.length);
    await until(spread, 30000, 'the 3 KafkaJS members to share the partitions');
    await until(() => deliveries.length > 100, 30000, 'consumption');

    for (let i = 1; i <= 3; i++) {
      const old = members.shift()!;
      // The first one crashes; its partitions wait for its session to expire.
      if (i === 1) await old.kill!();
      else await old.stop();
      const fresh = await sluiceMember(`sluice-${i}`);
      members.push(fresh);
      await until(spread, 30000, `${fresh.name} to take its share`);
      const from = deliveries.length;
      await until(() => deliveries.slice(from).some((d) => d.member === fresh.name), 30000, `${fresh.name} to consume`);
    }
    await new Promise((r) => setTimeout(r, 500));
  } catch (err) {
    for (const m of members) await m.kill?.();
    throw err;
  } finally {
    producing = false;
    await producer;
  }
  try {
    await until(
      () => {
        const seen = new Set(deliveries.map((d) => `${d.partition}:${d.offset}`));
        return [...produced].every((k) => seen.has(k));
      },
      30000,
      'every produced record to be consumed',
    );
  } finally {
    for (const m of members) await m.stop();
  }

  // Nothing lost.
  const seen = new Set(deliveries.map((d) => `${d.partition}:${d.offset}`));
  const lost = [...produced].filter((k) => !seen.has(k));
  assert.deepEqual(lost, []);
  assert.ok(produced.size > 300, `produced ${produced.size}`);
  // Both kinds consumed; the group ended all sluice/kafkajs.
  assert.ok(deliveries.some((d) => d.member.startsWith('kafkajs')));
  assert.ok(deliveries.some((d) => d.member.startsWith('sluice')));
  assert.ok(members.every((m) => m.kind === 'sluice'));

  // Every duplicate lies in an uncommitted window.
  const byRecord = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const k = `${d.partition}:${d.offset}`;
    const list = byRecord.get(k);
    if (list) list.push(d);
    else byRecord.set(k, [d]);
  }
  let duplicates = 0;
  for (const list of byRecord.values()) {
    if (list.length < 2) continue;
    duplicates += list.length - 1;
    if (list[0]!.member === 'kafkajs-1') duplicatesOfKilled++;
    const [first, ...again] = list as [Delivery, ...Delivery[]];
    for (const d of again) {
      const before = commits.filter((c) => c.partition === d.partition && c.at < d.at);
      const latest = before.reduce((max, c) => Math.max(max, c.offset), -1);
      assert.ok(
        d.offset >= latest,
        `${d.partition}:${d.offset} redelivered to ${d.member} after a commit at ${latest} covered it`,
      );
      const byFirst = before.filter((c) => c.member === first.member).reduce((max, c) => Math.max(max, c.offset), -1);
      assert.ok(
        d.offset >= byFirst,
        `${d.partition}:${d.offset}: first seen by ${first.member}, which had committed ${byFirst}`,
      );
    }
  }
  // The windows are bounded: fewer duplicates than records (a sanity bound, not a speed test).
  assert.ok(duplicates < produced.size, `${duplicates} duplicates of ${produced.size}`);
  console.log(
    `rolling migration: produced ${produced.size}, delivered ${deliveries.length}, duplicates ${duplicates} (${duplicatesOfKilled} first seen by the killed member), commits ${commits.length}`,
  );
});
