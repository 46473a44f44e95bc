// SQLite sink, end to end in child processes: the crash loop (200k records from 12 partitions, the sink
// process kill -9'd 50 times) and a rebalance run (a second sink joins, then leaves).
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { testEnv } from '../helpers/env.js';
import { crashLoop, rebalanceRun } from './fixtures/crash-loop.js';

const env = testEnv('sluice-sqlite-crash-');

/** Reads what a sink stored, over one read-only connection (WAL: each query sees the latest commit). */
function probe(file: string) {
  let db: Database.Database | undefined;
  const query = <T>(sql: string, none: T): T => {
    try {
      db ??= new Database(file, { readonly: true, fileMustExist: true });
      return db.prepare(sql).raw().all() as T;
    } catch {
      return none; // not created yet
    }
  };
  return {
    stored: async () => query<Array<[number, number]>>('SELECT partition, "offset" FROM sluice_records', []),
    count: async () => query<number[][]>('SELECT count(*) FROM sluice_records', [[0]])[0]![0]!,
    close: () => db?.close(),
  };
}

test('SQLite sink killed 50 times mid-run: every record stored exactly once', { timeout: 400000 }, async () => {
  const file = path.join(env.dir, 'crash.db');
  const p = probe(file);
  try {
    const line = await crashLoop({ env, store: { kind: 'sqlite', options: { path: file } }, ...p });
    console.log(`# sqlite: ${line}`);
  } finally {
    p.close();
  }
});

test('SQLite sink: a second sink process joins, then leaves, mid-run: every record stored exactly once', {
  timeout: 200000,
}, async () => {
  const file = path.join(env.dir, 'rebalance.db');
  const p = probe(file);
  try {
    const line = await rebalanceRun({ env, store: { kind: 'sqlite', options: { path: file } }, ...p });
    console.log(`# sqlite rebalance: ${line}`);
  } finally {
    p.close();
  }
});
