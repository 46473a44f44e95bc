// SqliteStore on its own: rows and positions in one transaction, fencing, the three modes, errors.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { tpKey } from '../../src/consumer/topic-partition.js';
import { ConfigError } from '../../src/errors.js';
import { SinkError, SinkFencedError } from '../../src/sinks/errors.js';
import { SqliteStore } from '../../src/sinks/sqlite.js';
import { part, rec } from './fixtures/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sluice-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => path.join(dir, `t${n++}.db`);

test('append: rows and positions together; a second writer from the same position is fenced', async () => {
  const p = file();
  const a = new SqliteStore({ path: p });
  const b = new SqliteStore({ path: p });
  await a.open();
  await b.open();
  try {
    await a.write('g', [part('t', 0, 0, 100, undefined), part('t', 1, 0, 50, undefined)]);
    await assert.rejects(b.write('g', [part('t', 0, 0, 10, undefined)]), SinkFencedError);
    await assert.rejects(b.write('g', [part('t', 0, 50, 60, 50)]), (e: SinkFencedError) => {
      assert.equal(e.code, 'SINK_FENCED');
      assert.equal(e.found, 100);
      return true;
    });
    await b.write('g', [part('t', 0, 100, 150, 100)]);
    // One part fenced: the whole transaction (its other parts too) is refused.
    await assert.rejects(a.write('g', [part('t', 1, 50, 60, 50), part('t', 0, 100, 110, 100)]), SinkFencedError);
    assert.deepEqual(
      await a.positions('g', [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
        { topic: 't', partition: 2 },
      ]),
      new Map([
        [tpKey('t', 0), 150],
        [tpKey('t', 1), 50],
      ]),
    );
    assert.equal((await a.positions('other', [{ topic: 't', partition: 0 }])).size, 0, 'positions are per group');
  } finally {
    await a.close();
    await b.close();
  }
  const db = new Database(p, { readonly: true });
  try {
    const rows = db
      .prepare(
        'SELECT partition, count(*) n, min("offset") lo, max("offset") hi FROM sluice_records GROUP BY partition',
      )
      .all();
    assert.deepEqual(rows, [
      { partition: 0, n: 150, lo: 0, hi: 149 },
      { partition: 1, n: 50, lo: 0, hi: 49 },
    ]);
    const one = db.prepare('SELECT * FROM sluice_records WHERE partition = 0 AND "offset" = 7').get() as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { ...one, key: (one.key as Buffer).toString() },
      { topic: 't', partition: 0, offset: 7, timestamp: 1_700_000_000_007, key: 'k7', value: 'v7', headers: null },
    );
  } finally {
    db.close();
  }
});

test('upsert: the last value per key wins, a tombstone deletes', async () => {
  const p = file();
  const s = new SqliteStore({ path: p, mode: 'upsert' });
  await s.open();
  const r = (o: number, key: string, value: string | null) => ({
    record: rec('t', 0, o, key, value, [['h', `x${o}`]]),
    value,
  });
  try {
    await s.write('g', [
      {
        topic: 't',
        partition: 0,
        expected: undefined,
        next: 4,
        records: [r(0, 'a', '1'), r(1, 'b', '1'), r(2, 'a', '2'), r(3, 'c', '1')],
      },
    ]);
    await s.write('g', [
      { topic: 't', partition: 0, expected: 4, next: 7, records: [r(4, 'b', null), r(5, 'c', '2'), r(6, 'b', '3')] },
    ]);
    await s.write('g', [{ topic: 't', partition: 0, expected: 7, next: 8, records: [r(7, 'c', null)] }]);
  } finally {
    await s.close();
  }
  const db = new Database(p, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value, "offset", headers FROM sluice_latest ORDER BY key').all() as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(
      rows.map((x) => ({ ...x, key: (x.key as Buffer).toString() })),
      [
        { key: 'a', value: '2', offset: 2, headers: '[["h","x2"]]' },
        { key: 'b', value: '3', offset: 6, headers: '[["h","x6"]]' },
      ],
    );
  } finally {
    db.close();
  }
});

test('map: rows into the user’s own table; a missing table is a clear non-retriable error, nothing stored', async () => {
  const p = file();
  const setup = new Database(p);
  setup.exec('CREATE TABLE orders (id TEXT PRIMARY KEY, amount INTEGER, paid INTEGER)');
  setup.close();
  const s = new SqliteStore({ path: p, mode: 'map' });
  await s.open();
  try {
    const order = (o: number) => ({
      record: rec('t', 0, o, null, '{}'),
      value: {},
      rows: [{ table: 'orders', row: { id: `o${o}`, amount: o * 10, paid: o % 2 === 0 } }],
    });
    await s.write('g', [part('t', 0, 0, 3, undefined, order)]);
    await assert.rejects(
      s.write('g', [
        part('t', 0, 3, 5, 3, (o) => ({
          record: rec('t', 0, o, null, '{}'),
          value: {},
          rows: [{ table: 'nope', row: { x: 1 } }],
        })),
      ]),
      (e: SinkError) => e instanceof SinkError && !e.retriable && /no such table: nope/.test(e.message),
    );
    assert.deepEqual(await s.positions('g', [{ topic: 't', partition: 0 }]), new Map([[tpKey('t', 0), 3]]));
  } finally {
    await s.close();
  }
  const db = new Database(p, { readonly: true });
  try {
    assert.deepEqual(db.prepare('SELECT * FROM orders ORDER BY id').all(), [
      { id: 'o0', amount: 0, paid: 1 },
      { id: 'o1', amount: 10, paid: 0 },
      { id: 'o2', amount: 20, paid: 1 },
    ]);
  } finally {
    db.close();
  }
});

test('a read-only database file: one clear non-retriable SinkError, nothing stored', async () => {
  const p = file();
  const s = new SqliteStore({ path: p });
  await s.open();
  await s.write('g', [part('t', 0, 0, 10, undefined)]);
  await s.close();
  chmodSync(p, 0o444);
  // Root ignores file modes: open it through SQLite's read-only URI instead when we are root.
  const ro = process.getuid?.() === 0 ? new SqliteStore({ path: `file:${p}?mode=ro` }) : new SqliteStore({ path: p });
  try {
    await ro.open().catch(() => {});
    const err = await ro.write('g', [part('t', 0, 10, 20, 10)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SinkError, String(err));
    assert.equal(err.retriable, false);
    assert.match(err.message, /readonly|read-only|not open/i);
  } finally {
    await ro.close();
  }
  const check = new SqliteStore({ path: p });
  chmodSync(p, 0o644);
  await check.open();
  assert.deepEqual(await check.positions('g', [{ topic: 't', partition: 0 }]), new Map([[tpKey('t', 0), 10]]));
  await check.close();
});

test('bad options and a path that cannot be opened are clear errors', async () => {
  assert.throws(() => new SqliteStore({ mode: 'merge' as never }), ConfigError);
  assert.throws(() => new SqliteStore({ table: 'x; drop table y' }), ConfigError);
  assert.throws(() => new SqliteStore({ bogus: 1 } as never), ConfigError);
  const s = new SqliteStore({ path: path.join(dir, 'no', 'such', 'dir', 'x.db') });
  await assert.rejects(
    s.open(),
    (e: SinkError) => e instanceof SinkError && !e.retriable && /open failed/.test(e.message),
  );
  const notDb = path.join(dir, 'not-a-db');
  writeFileSync(notDb, 'hello, this is not a database file at all, it is longer than a header'.repeat(20));
  await assert.rejects(
    new SqliteStore({ path: notDb }).open(),
    (e: SinkError) => e instanceof SinkError && e.code === 'SQLITE_NOTADB',
  );
});
