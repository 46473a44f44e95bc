// The PostgreSQL harness itself: a server of our own on loopback, that stops, crashes and starts again
// with its data, and that leaves nothing behind when the process owning it is SIGKILLed.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../kafka/poll.js';
import { ensurePostgres, findPostgres, startPostgres } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** Running, i.e. existing and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('a server of our own: loopback only, fsync on, password checked, data kept across stop and crash', async () => {
  const server = await startPostgres();
  try {
    assert.equal(server.host, '127.0.0.1');
    assert.match(server.url, new RegExp(`^postgres://sluice:[0-9a-f]+@127\\.0\\.0\\.1:${server.port}/postgres$`));
    const [row] = await server.query('select 1 as one, current_setting($1) as fsync, current_setting($2) as listen', [
      'fsync',
      'listen_addresses',
    ]);
    assert.deepEqual(row, { one: 1, fsync: 'on', listen: '127.0.0.1' });
    await assert.rejects(
      startPostgresClient(server.url.replace(`:${server.password}@`, ':wrong@')),
      /password authentication failed/,
    );

    await server.query('create table kept (n int)');
    await server.query('insert into kept values (1)');
    await server.stop();
    assert.equal(server.pid(), undefined);
    await assert.rejects(server.query('select 1'), /ECONNREFUSED/);
    await server.start();
    await server.query('insert into kept values (2)');

    const before = server.pid()!;
    await server.kill(); // a crash: the next start replays the WAL
    assert.ok(!alive(before));
    await server.start();
    assert.deepEqual(await server.query('select n from kept order by n'), [{ n: 1 }, { n: 2 }]);

    const url = await server.createDatabase('other db');
    assert.match(url, /\/other%20db$/);
    assert.deepEqual(await server.query('select current_database() as db', [], 'other db'), [{ db: 'other db' }]);
  } finally {
    await server.close();
  }
  assert.ok(!existsSync(server.dir), 'close() removes the temp dir');
});

async function startPostgresClient(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } finally {
    await client.end().catch(() => {});
  }
}

test('SIGKILL of the process that started a server leaves no server process and no temp dir', async () => {
  const owner = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'owner.ts')], {
    cwd: root,
    detached: true, // its own group, hit as a whole below, as a CI timeout or Ctrl-C would
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const first = await waitFor(
      () =>
        new Promise<string>((resolve, reject) => {
          createInterface({ input: owner.stdout! }).once('line', resolve);
          owner.once('exit', (code) => reject(new Error(`owner exited with ${code}`)));
        }),
      { timeoutMs: 60_000, what: 'the owner to start its server' },
    );
    const { pid, dir, shmId } = JSON.parse(first) as { pid: number; dir: string; shmId?: string };
    assert.ok(alive(pid), 'the postmaster runs');
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /postgres\0-D\0/);
    assert.ok(existsSync(dir));

    process.kill(-owner.pid!, 'SIGKILL');

    await waitFor(() => !alive(pid), { timeoutMs: 20_000, what: `postmaster ${pid} to die` });
    const title = `postgres: ${path.basename(dir)}: `;
    await waitFor(() => !serverProcessesWithTitle(title), { timeoutMs: 20_000, what: 'its children to exit' });
    await waitFor(() => !existsSync(dir), { timeoutMs: 20_000, what: `${dir} to be removed` });
    // The one thing a SIGKILLed PostgreSQL leaves: its 56-byte System V interlock segment.
    if (shmId) execFileSync('ipcrm', ['-m', shmId], { stdio: 'ignore' });
  } finally {
    if (owner.exitCode === null && owner.signalCode === null) process.kill(-owner.pid!, 'SIGKILL');
  }
});

function serverProcessesWithTitle(title: string): boolean {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').some((l) => l.startsWith(title));
}

test('missing binaries: one clear error, and no install while tests run', async () => {
  const saved = { bin: process.env.SLUICE_PG_BIN, noInstall: process.env.SLUICE_NO_INSTALL };
  process.env.SLUICE_PG_BIN = path.join(here, 'no-such-dir');
  process.env.SLUICE_NO_INSTALL = '1';
  try {
    assert.equal(findPostgres(), undefined);
    await assert.rejects(
      ensurePostgres(),
      (err: Error) =>
        err.name === 'HarnessError' &&
        /not installed \(looked in SLUICE_PG_BIN=.*no-such-dir\)/.test(err.message) &&
        /SLUICE_NO_INSTALL=1 forbids installing it while tests run/.test(err.message),
    );
    await assert.rejects(startPostgres(), /PostgreSQL's server \(initdb, postgres\) is not installed/);
  } finally {
    for (const [k, v] of [
      ['SLUICE_PG_BIN', saved.bin],
      ['SLUICE_NO_INSTALL', saved.noInstall],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('the set-up knows which files need PostgreSQL: sharedPostgres( and startPostgres( imply it', () => {
  const needsOf = (files: string[]): string[] => {
    const script = `import(${JSON.stringify(path.join(root, 'tools', 'test-needs.mjs'))}).then((m) => console.log(JSON.stringify(m.needsOf(${JSON.stringify(files)}))))`;
    return JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    );
  };
  assert.deepEqual(needsOf(['test/pg/harness.test.ts', 'test/sinks/postgres-store.test.ts']), ['postgres']);
  assert.deepEqual(needsOf(['test/kafka/poll.ts']), []);
});
