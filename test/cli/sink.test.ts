// `sluice sink` as a user runs it: a child process against the suite's broker, into SQLite. Exactly
// once across runs, exit codes and one-line errors, Ctrl-C, and the progress display in a pseudo-terminal
// (util-linux `script` gives the child a pty).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Producer } from '../../src/producer/producer.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';

const env = testEnv('sluice-sink-cli-');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(root, 'src/cli/main.ts');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `sluice <args>`; `onStart` may act on the child; killed after `timeoutMs` (a hang). */
function sluice(args: string[], opts: { onStart?: (c: ChildProcess) => void; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: root,
      env: { ...process.env, SLUICE_BROKERS: env.kafka.bootstrap },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    opts.onStart?.(child);
  });
}

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueName('sink-cli');
  await env.producer.createTopic(topic, partitions);
  return topic;
}

/** Sends `count` JSON records, keyed over 50 keys, in batches of 1000. */
async function produce(topic: string, count: number, from = 0): Promise<void> {
  const producer = new Producer({ brokers: env.kafka.bootstrap, lingerMs: 5 });
  try {
    for (let i = from; i < from + count; i += 1000) {
      const n = Math.min(1000, from + count - i);
      await producer.send({
        topic,
        messages: Array.from({ length: n }, (_, j) => ({
          key: `k${(i + j) % 50}`,
          value: JSON.stringify({ n: i + j }),
        })),
      });
    }
  } finally {
    await producer.close();
  }
}

function rowCount(db: string): { rows: number; distinct: number } {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(`SELECT count(*) AS rows, count(DISTINCT json_extract(value, '$.n')) AS "distinct" FROM sluice_records`)
      .get() as { rows: number; distinct: number };
  } finally {
    d.close();
  }
}

describe('sluice sink', () => {
  test('--until-end stores every record once; a second run adds only the new ones', async () => {
    const topic = await createTopic(3);
    await produce(topic, 5000);
    const db = path.join(env.dir, `${topic}.db`);
    const args = ['sink', '-t', topic, '-g', 'g1', '--store', `sqlite:${db}`, '--value', 'json', '--until-end'];
    const first = await sluice(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /reached the end: stored 5,000 records .* 3 partitions, lag 0/);
    assert.ok(!first.stderr.includes('\r'), 'not a terminal: no carriage returns');
    assert.deepEqual(rowCount(db), { rows: 5000, distinct: 5000 });

    await produce(topic, 1500, 5000);
    const second = await sluice(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /stored 1,500 records/);
    assert.deepEqual(rowCount(db), { rows: 6500, distinct: 6500 });

    // Nothing new: it stops at once, storing nothing.
    const third = await sluice(args);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /stored 0 records/);
    assert.deepEqual(rowCount(db), { rows: 6500, distinct: 6500 });
  });

  test('--count stops after the batch that reaches it; the rest comes next time', async () => {
    const topic = await createTopic(1);
    await produce(topic, 3000);
    const db = path.join(env.dir, `${topic}.db`);
    const base = ['sink', '-t', topic, '-g', 'g1', '--store', `sqlite:${db}`, '--value', 'json'];
    const first = await sluice([...base, '--count', '10']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /count reached: stored [\d,]+ records/);
    const stored = rowCount(db).rows;
    assert.ok(stored >= 10 && stored <= 3000, String(stored));
    const rest = await sluice([...base, '--until-end']);
    assert.equal(rest.code, 0, rest.stderr);
    assert.deepEqual(rowCount(db), { rows: 3000, distinct: 3000 });
  });

  test('--until-end ends on a transactional topic, whose partitions end with a commit marker', async () => {
    const topic = await createTopic(2);
    const producer = new Producer({ brokers: env.kafka.bootstrap, transactionalId: uniqueName('tx') });
    try {
      await producer.initTransactions();
      await producer.beginTransaction();
      await producer.send({
        topic,
        messages: Array.from({ length: 100 }, (_, n) => ({ key: `k${n}`, value: JSON.stringify({ n }) })),
      });
      await producer.commitTransaction();
    } finally {
      await producer.close();
    }
    const db = path.join(env.dir, `${topic}.db`);
    // Before: the stored positions stayed one short of the end offsets (the marker) and it never ended.
    const run = await sluice([
      'sink',
      '-t',
      topic,
      '-g',
      'g1',
      '--store',
      `sqlite:${db}`,
      '--value',
      'json',
      '--until-end',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /reached the end: stored 100 records .* lag 0/);
    assert.deepEqual(rowCount(db), { rows: 100, distinct: 100 });
  });

  test('errors: one line and the documented exit code', async () => {
    const topic = await createTopic(1);
    const db = path.join(env.dir, `${topic}.db`);
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['--store', 'mysql://localhost/x'],
        5,
        /^sluice sink: mysql:\/\/localhost\/x: bad store URL: unknown kind "mysql"/,
      ],
      [['--store', `sqlite:${env.dir}/missing/dir/x.db`], 5, /^sluice sink: sqlite:.*open failed/],
      [['--store', `sqlite:${db}`, '-t', uniqueName('nope')], 4, /^sluice sink: .*UNKNOWN_TOPIC_OR_PARTITION/],
      [['--store', `sqlite:${db}`, '--count', 'x'], 2, /--count/],
    ];
    for (const [extra, code, message] of cases) {
      const run = await sluice(['sink', '-t', topic, '-g', 'g', '--until-end', ...extra]);
      assert.equal(run.code, code, `${extra.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      if (code !== 2) assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
    // No broker at the address: the connection exit code, after the 10 s connect deadline.
    const port = await closedPort();
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', MAIN, 'sink', '-b', `127.0.0.1:${port}`, '-t', topic, '-g', 'g', '--store', `sqlite:${db}`],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(child.status, 3, child.stderr);
    assert.match(child.stderr, /^sluice sink: no broker of 127\.0\.0\.1:\d+ answered within 10 s/);
  });

  test('Ctrl-C: stops cleanly with 130, what was stored is kept and counted', async () => {
    const topic = await createTopic(2);
    await produce(topic, 2000);
    const db = path.join(env.dir, `${topic}.db`);
    // No --until-end: it would run forever; SIGINT once the first rows are in.
    const run = await sluice(['sink', '-t', topic, '-g', 'g1', '--store', `sqlite:${db}`, '--value', 'json'], {
      onStart: (child) => {
        const started = Date.now();
        const poll = setInterval(() => {
          let n = 0;
          try {
            n = rowCount(db).rows;
          } catch {}
          if (n >= 2000 || Date.now() - started > 30_000) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 100);
      },
    });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /interrupted: stored 2,000 records/);
    assert.deepEqual(rowCount(db), { rows: 2000, distinct: 2000 });
  });

  test('in a pseudo-terminal: the progress line updates in place and ends cleanly', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) return t.skip('util-linux script is not installed');
    const topic = await createTopic(3);
    await produce(topic, 20_000);
    const db = path.join(env.dir, `${topic}.db`);
    const cmd = [
      process.execPath,
      '--import tsx',
      MAIN,
      `sink -b ${env.kafka.bootstrap} -t ${topic} -g g1 --store sqlite:${db} --value json --count 40000`,
    ].join(' ');
    // The sink waits for records 20 000–40 000, sent over ~3 s while it runs: the display must show them arrive.
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: root, env: { ...process.env, COLUMNS: '200' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 300));
        await produce(topic, 2000, 20_000 + i * 2000);
      }
      assert.equal(await closed, 0, out);
    } finally {
      clearTimeout(timer);
    }
    const redraws = out.split('\r\x1b[2K').slice(1);
    const counts = redraws.map((r) => /([\d,]+) stored/.exec(r)?.[1]);
    assert.ok(new Set(counts).size >= 3, `the display should update: ${JSON.stringify(counts)}`);
    // Between redraws nothing starts a new line: the line is rewritten in place.
    for (const r of redraws.slice(0, -1)) assert.ok(!r.includes('\n'), JSON.stringify(r));
    assert.match(redraws[0]!, /records\/s {2}lag [\d,?]+ {2}ETA/);
    // The last redraw ends with a newline (the pty shows \r\n), then the summary on its own line.
    assert.match(
      redraws.at(-1)!,
      /^[^\n]*40,000 stored[^\n]*\r?\n\r?count reached: stored 40,000 records.*lag 0\r?\n$/,
    );
    assert.deepEqual(rowCount(db), { rows: 40_000, distinct: 40_000 });
  });
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}
