// `sluice lag` run as a subprocess (the real bin entry) against the real broker; checks its output.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../src/admin/admin.js';
import type { LagReport } from '../../src/cli/commands/lag.js';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = testEnv();
let admin: Admin | undefined;
after(() => admin?.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `sluice <args>`; killed after a generous deadline so a hang fails the test instead of the
 * suite. `onStdout` sees the output so far and may signal the child.
 */
function sluice(
  args: string[],
  extraEnv: Record<string, string> = {},
  onStdout?: (out: string, child: ChildProcess) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      env: { ...process.env, SLUICE_BROKERS: '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A topic with 10 records in partition 0 and 5 in partition 1; the group committed 4 and 5. */
async function setUp(): Promise<{ topic: string; group: string }> {
  const topic = uniqueName('lag');
  const group = uniqueName('lag-group');
  await env.producer.createTopic(topic, 2);
  await env.producer.send(
    topic,
    0,
    Array.from({ length: 10 }, (_, i) => ({ value: `a${i}` })),
  );
  await env.producer.send(
    topic,
    1,
    Array.from({ length: 5 }, (_, i) => ({ value: `b${i}` })),
  );
  admin ??= new Admin({ brokers: env.kafka.bootstrap });
  await admin.alterGroupOffsets(group, [
    { topic, partition: 0, offset: 4 },
    { topic, partition: 1, offset: 5 },
  ]);
  return { topic, group };
}

function parse(run: Run): LagReport {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as LagReport;
}

describe('sluice lag --json', () => {
  test('one sample: offsets, lag and owner per partition; status not evaluated', async () => {
    const { topic, group } = await setUp();
    const report = parse(await sluice(['lag', group, '--json', '-b', env.kafka.bootstrap]));
    assert.equal(report.samples, 1);
    assert.equal(report.groups.length, 1);
    const g = report.groups[0]!;
    assert.equal(g.groupId, group);
    assert.equal(g.totalLag, 6);
    assert.equal(g.status, null);
    assert.deepEqual(
      g.partitions.map(({ topic, partition, committedOffset, logEndOffset, lag, owner, status }) => ({
        topic,
        partition,
        committedOffset,
        logEndOffset,
        lag,
        owner,
        status,
      })),
      [
        { topic, partition: 0, committedOffset: 4, logEndOffset: 10, lag: 6, owner: null, status: null },
        { topic, partition: 1, committedOffset: 5, logEndOffset: 5, lag: 0, owner: null, status: null },
      ],
    );
  });

  test('several samples of an empty group: STOP where lag stays, OK where caught up; brokers from SLUICE_BROKERS', async () => {
    const { group } = await setUp();
    const report = parse(
      await sluice(['lag', group, '--json', '--samples', '3', '--interval', '100ms'], {
        SLUICE_BROKERS: env.kafka.bootstrap,
      }),
    );
    assert.equal(report.samples, 3);
    const g = report.groups[0]!;
    assert.deepEqual(
      g.partitions.map((p) => [p.partition, p.status]),
      [
        [0, 'STOP'],
        [1, 'OK'],
      ],
    );
    assert.equal(g.status, 'STOP');
    assert.equal(g.state, 'Empty');
  });

  test('a member that owns a partition and does not commit: STALL, with its client id as owner', async () => {
    const { topic, group } = await setUp();
    const consumer = new Consumer({ brokers: env.kafka.bootstrap, groupId: group, clientId: 'lag-test-owner' });
    let delivered!: () => void;
    const firstRecord = new Promise<void>((r) => {
      delivered = r;
    });
    consumer.subscribe(topic);
    // The handler holds the first record until the consumer closes: nothing is processed, nothing committed.
    const running = consumer.run({
      eachMessage: (_r, ctx) => {
        delivered();
        return new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
      },
    });
    try {
      await firstRecord;
      const report = parse(await sluice(['lag', group, '--json', '-n', '2', '-i', '200ms', '-b', env.kafka.bootstrap]));
      const g = report.groups[0]!;
      assert.equal(g.state, 'Stable');
      const [p0, p1] = g.partitions;
      assert.match(p0!.owner ?? '', /^lag-test-owner\/\S+$/);
      assert.equal(p1!.owner, p0!.owner);
      assert.equal(p0!.status, 'STALL');
      assert.equal(p0!.committedOffset, 4);
      assert.equal(p1!.status, 'OK');
      assert.equal(g.status, 'STALL');
    } finally {
      await consumer.close();
      await running;
    }
  });

  test('--watch --count 2 prints one JSON object per round', async () => {
    const { group } = await setUp();
    const run = await sluice([
      'lag',
      group,
      '--json',
      '--watch',
      '--count',
      '2',
      '-i',
      '100ms',
      '-b',
      env.kafka.bootstrap,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const reports = lines.map((l) => JSON.parse(l) as LagReport);
    assert.deepEqual(
      reports.map((r) => r.samples),
      [1, 2],
    );
    assert.equal(reports[1]!.groups[0]!.status, 'STOP');
  });

  test('--watch ends on SIGINT with exit code 0, after printing whole rounds', async () => {
    const { group } = await setUp();
    let signalled = false;
    const run = await sluice(
      ['lag', group, '--json', '--watch', '-i', '200ms', '-b', env.kafka.bootstrap],
      {},
      (out, child) => {
        if (!signalled && out.includes('\n')) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    );
    assert.ok(signalled, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.ok(lines.length >= 1);
    for (const l of lines) assert.equal((JSON.parse(l) as LagReport).groups[0]!.groupId, group);
  });

  test('the table names every column', async () => {
    const { topic, group } = await setUp();
    const run = await sluice(['lag', group, '-b', env.kafka.bootstrap]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+OWNER\s+STATUS/);
    assert.match(run.stdout, new RegExp(`${topic}\\s+0\\s+4\\s+10\\s+6\\s+-\\s+-`));
    assert.match(run.stdout, /Status needs at least 2 samples/);
  });
});

describe('sluice lag errors', () => {
  test('an unknown group: exit code 4 and a message', async () => {
    const run = await sluice(['lag', uniqueName('no-such-group'), '--json', '-b', env.kafka.bootstrap]);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /sluice lag: .*GROUP_ID_NOT_FOUND|sluice lag: .*not found/i);
    assert.equal(run.stdout, '');
  });

  test('a malformed broker address, or a bad option value: exit code 2', async () => {
    const malformed = await sluice(['lag', 'g', '-b', 'localhost:99999']);
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.match(malformed.stderr, /^sluice lag: .*malformed broker address "localhost:99999"/);
    assert.doesNotMatch(malformed.stderr, /\n\s+at /); // a message, not a stack trace
    for (const bad of [
      ['--interval', 'soon'],
      ['--samples', '0'],
      ['--window', '-3'],
    ]) {
      const run = await sluice(['lag', 'g', '-b', env.kafka.bootstrap, ...bad]);
      assert.equal(run.code, 2, `${bad.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(bad[0]!));
    }
  });

  test('an unreachable broker: exit code 3 once --timeout passes', async () => {
    const run = await sluice(['lag', 'g', '-b', '127.0.0.1:1', '--timeout', '2s']);
    assert.equal(run.code, 3, run.stderr);
  });
});
