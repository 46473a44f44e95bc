// Retry topics through crashes: a worker running retryTopics(withRetry(handler)) with random and
// permanent failures is kill -9'd three times mid-way and restarted. Every record still ends up
// processed or dead-lettered (never both), and every record handled twice — and every record
// processed or dead-lettered twice — traces back to a killed run's uncommitted window.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/admin/admin.js';
import { retryTopics } from '../../src/processing/retry-topics.js';
import { Producer } from '../../src/producer/producer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { readAll } from './fixtures/topics.js';
import type { WorkerConfig } from './fixtures/worker.js';

const env = testEnv('sluice-processing-');
const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'worker.ts');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Line {
  ev: string;
  t: number;
  tp?: string;
  o?: number;
  id?: string;
  out?: string;
  os?: Array<[string, number]>;
}

interface Run {
  name: string;
  proc: ChildProcess;
  log: string;
  killedAt?: number;
  exited: Promise<void>;
  stderr: string;
}

const lines = (file: string): Line[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  } catch {
    return [];
  }
};

test('retry topics with kill -9 ×3: nothing lost, nothing both processed and dead-lettered, duplicates only from killed windows', {
  timeout: 240000,
}, async () => {
  const PARTITIONS = 3;
  const PER = 400;
  const topic = uniqueName('crash');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER, (p, i) => ({ key: `k${i % 40}`, value: `${p}:${i}` }));
  const base: Omit<WorkerConfig, 'log'> = {
    bootstrap: env.kafka.bootstrap,
    groupId,
    groupInstanceId: 'worker-1',
    topic,
    delays: [300, 700],
    failRate: 0.2,
    poisonEvery: 40,
    poisonAt: 13,
    workMs: 3,
  };
  const all: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < PER; i++) all.push(`${p}:${i}`);
  const isPoison = (id: string) => Number(id.split(':')[1]) % base.poisonEvery === base.poisonAt;
  const poisoned = all.filter(isPoison);
  // The topics exist before the first worker subscribes to them.
  const setup = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  await retryTopics({ producer: setup, admin, delays: base.delays }).createTopics(topic);
  await setup.close();

  const runs: Run[] = [];
  const start = (name: string): Run => {
    const log = path.join(env.dir, `${name}.jsonl`);
    const proc = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify({ ...base, log })], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const run: Run = { name, proc, log, stderr: '', exited: new Promise((r) => proc.once('exit', () => r())) };
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (run.stderr = (run.stderr + d).slice(-10000)));
    runs.push(run);
    return run;
  };
  const handled = () => runs.reduce((n, r) => n + lines(r.log).filter((l) => l.ev === 'h').length, 0);
  const waitFor = async (what: string, check: () => boolean | Promise<boolean>, run: Run, timeoutMs = 60000) => {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void run.exited.then(() => (exited = true));
    while (!(await check())) {
      if (exited) throw new Error(`${run.name} exited while waiting for ${what}:\n${run.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${run.stderr}`);
      await sleep(100);
    }
  };
  const dlqCount = async () => {
    const [d] = await admin.describeTopics([`${topic}.dlq`]);
    const latest = await admin.listOffsets(
      d!.partitions.map((p) => ({ topic: `${topic}.dlq`, partition: p.partition, at: 'latest' as const })),
    );
    return latest.reduce((n, o) => n + o.offset, 0);
  };

  try {
    // Three runs killed at about 20%, 45% and 70% of the work, then one that finishes.
    for (const [k, share] of [0.2, 0.45, 0.7].entries()) {
      const run = start(`run${k + 1}`);
      await waitFor(`${share * 100}% handled`, () => handled() >= all.length * share, run);
      run.proc.kill('SIGKILL');
      await run.exited;
      // Taken once the run is dead, not before the kill: the run's own clock (performance.timeOrigin)
      // may differ from ours by a millisecond, and a record it handled just before the signal must
      // not look handled after it.
      run.killedAt = now();
    }
    const last = start('run4');
    const ok = () => {
      const done = new Set<string>();
      for (const r of runs) for (const l of lines(r.log)) if (l.ev === 'h' && l.out === 'ok') done.add(l.id!);
      return done;
    };
    await waitFor(
      'every record processed or dead-lettered',
      async () => ok().size === all.length - poisoned.length && (await dlqCount()) >= poisoned.length,
      last,
      120000,
    );
    await sleep(1500); // anything still to come would show as a duplicate
    last.proc.kill('SIGTERM');
    await last.exited;

    const logs = runs.map((r) => ({ run: r, lines: lines(r.log) }));
    const dlq = await readAll(env.kafka.bootstrap, `${topic}.dlq`, poisoned.length);
    const deadIds = dlq.map((r) => r.value);
    const okIds = [...ok()];

    // Nothing lost, nothing both.
    assert.deepEqual(
      all.filter((id) => !okIds.includes(id) && !deadIds.includes(id)),
      [],
      'every record processed or dead-lettered',
    );
    assert.deepEqual(
      okIds.filter((id) => deadIds.includes(id)),
      [],
      'none both processed and dead-lettered',
    );
    assert.deepEqual([...new Set(deadIds)].sort(), [...poisoned].sort(), 'the dead letters are the poison records');
    assert.ok(
      logs.at(-1)!.lines.some((l) => l.ev === 'closed'),
      'the last run closed cleanly',
    );

    // Each record (topic, partition, offset) handled more than once: every handling but the last was
    // by a killed run, before its kill, at or after its last accepted commit of that partition.
    const handlings = new Map<string, Array<{ run: Run; t: number; o: number; tp: string; id: string }>>();
    const windowFrom = new Map<Run, Map<string, number>>();
    for (const { run, lines: ls } of logs) {
      const from = new Map<string, number>();
      for (const l of ls) {
        if (l.ev === 'commit') for (const [tp, o] of l.os!) from.set(tp, o);
        if (l.ev !== 'h') continue;
        if (!from.has(l.tp!)) from.set(l.tp!, l.o!);
        const key = `${l.tp}/${l.o}`;
        let list = handlings.get(key);
        if (!list) handlings.set(key, (list = []));
        list.push({ run, t: l.t, o: l.o!, tp: l.tp!, id: l.id! });
      }
      windowFrom.set(run, from);
    }
    const unexplained: string[] = [];
    const repeatedIds = new Set<string>();
    for (const [key, list] of handlings) {
      if (list.length === 1) continue;
      repeatedIds.add(list[0]!.id);
      list.sort((a, b) => a.t - b.t);
      for (const h of list.slice(0, -1)) {
        const inWindow =
          h.run.killedAt !== undefined && h.t <= h.run.killedAt && h.o >= windowFrom.get(h.run)!.get(h.tp)!;
        if (!inWindow)
          unexplained.push(
            `${key} handled by ${list.map((x) => x.run.name).join(', ')} (${h.run.name} at ${h.t.toFixed(1)}, ` +
              `killed ${h.run.killedAt?.toFixed(1) ?? 'never'}, window from offset ${windowFrom.get(h.run)!.get(h.tp)})`,
          );
      }
    }
    assert.deepEqual(unexplained.slice(0, 5), [], 'records handled twice only inside killed runs’ uncommitted windows');

    // A record processed or dead-lettered more than once owes it to one of its copies being handled twice.
    const outcomes = new Map<string, number>();
    for (const id of deadIds) outcomes.set(id, (outcomes.get(id) ?? 0) + 1);
    for (const { lines: ls } of logs)
      for (const l of ls) if (l.ev === 'h' && l.out === 'ok') outcomes.set(l.id!, (outcomes.get(l.id!) ?? 0) + 1);
    // A record processed or copied twice: one of its copies was handled twice, or a killed run began
    // handling one inside its uncommitted window (it may have sent a copy, or processed it, and died
    // before logging the outcome).
    const begunInWindow = new Set<string>();
    for (const { run, lines: ls } of logs) {
      if (run.killedAt === undefined) continue;
      const from = new Map<string, number>();
      for (const l of ls) {
        if (l.ev === 'commit') for (const [tp, o] of l.os!) from.set(tp, o);
        if (l.ev !== 'b' || l.t > run.killedAt) continue;
        if (!from.has(l.tp!) || l.o! >= from.get(l.tp!)!) begunInWindow.add(l.id!);
      }
    }
    const twice = [...outcomes].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(
      twice.filter((id) => !repeatedIds.has(id) && !begunInWindow.has(id)),
      [],
      'duplicate outcomes come from records handled twice, or begun by a killed run in its uncommitted window',
    );
    const phases = logs.map(({ run, lines: ls }) => {
      const first = ls.find((l) => l.ev === 'h')?.t ?? Number.NaN;
      const startT = ls.find((l) => l.ev === 'start')?.t ?? Number.NaN;
      const end = run.killedAt ?? ls.at(-1)!.t;
      return `${run.name}: first record after ${(first - startT).toFixed(0)} ms, ${ls.filter((l) => l.ev === 'h').length} handled in ${(end - first).toFixed(0)} ms`;
    });
    console.log(`# ${phases.join('; ')}`);
    const handledTotal = [...handlings.values()].reduce((n, l) => n + l.length, 0);
    console.log(
      `# ${all.length} records, 3 kills: ${handledTotal} handlings of ${handlings.size} records; ` +
        `${okIds.length} processed, ${dlq.length} dead letters (${poisoned.length} poison); ` +
        `${twice.length} records with a duplicate outcome, all inside killed windows`,
    );
  } finally {
    for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
    await Promise.all(runs.map((r) => r.exited));
    admin.close();
  }
});
