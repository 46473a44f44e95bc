// PostgresStore against a real PostgreSQL (test/pg): rows and positions in one transaction, fencing,
// the three modes, errors a user can act on, and a server that stops and crashes mid-run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { tpKey } from '../../src/consumer/topic-partition.js';
import { ConfigError } from '../../src/errors.js';
import { SinkDecodeError, SinkError, SinkFencedError } from '../../src/sinks/errors.js';
import { PostgresStore, type PostgresStoreOptions } from '../../src/sinks/postgres.js';
import { pgSinkError } from '../../src/sinks/postgres-errors.js';
import type { MappedRow, PartitionWrite, SinkRecord, SinkStore } from '../../src/sinks/types.js';
import { uniqueName } from '../kafka/shared.js';
import { type PostgresServer, sharedPostgres, startPostgres } from '../pg/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function rec(topic: string, partition: number, offset: number, key: string | Buffer | null, value: Buffer | null) {
  const r: ConsumerRecord = {
    topic,
    partition,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    key: typeof key === 'string' ? Buffer.from(key) : key,
    value,
    headers: [],
    leaderEpoch: 0,
  };
  return r;
}

/** Records `from..to-1` of one partition: key `k<o>`, value `v<o>` decoded as a string. */
function part(
  topic: string,
  partition: number,
  from: number,
  to: number,
  expected: number | undefined,
  make: (o: number) => SinkRecord = (o) => ({
    record: rec(topic, partition, o, `k${o}`, Buffer.from(`v${o}`)),
    value: `v${o}`,
  }),
): PartitionWrite {
  const records: SinkRecord[] = [];
  for (let o = from; o < to; o++) records.push(make(o));
  return { topic, partition, expected, next: to, records };
}

/** A store in a schema of its own on the shared server, opened; closed by the caller. */
async function store(
  opts: PostgresStoreOptions = {},
): Promise<{ s: PostgresStore; pg: PostgresServer; schema: string }> {
  const pg = await sharedPostgres();
  const schema = uniqueName('s')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 60);
  const s = new PostgresStore({ url: pg.url, schema, ...opts });
  await s.open();
  return { s, pg, schema };
}

async function closing<T>(stores: SinkStore[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const s of stores) await s.close();
  }
}

test('options: checked at construction, each error naming its option; the description hides the password', () => {
  const bad: Array<[PostgresStoreOptions, string]> = [
    [{ mode: 'merge' as never }, 'mode'],
    [{ table: 'a b' }, 'table'],
    [{ table: 'x', offsetsTable: 'x' }, 'table'],
    [{ schema: 'no-dash' }, 'schema'],
    [{ appendMethod: 'bulk' as never }, 'appendMethod'],
    [{ maxConnections: 0 }, 'maxConnections'],
    [{ url: 'http://db.example/x' }, 'url'],
    [{ url: 'postgres://u:ss#w0rd@[::1/db' }, 'url'],
    [{ url: 'not a url at all' }, 'url'],
    [{ path: './x' } as never, 'path'],
  ];
  for (const [opts, option] of bad) {
    assert.throws(
      () => new PostgresStore(opts),
      (e: unknown) => e instanceof ConfigError && e.option === option && !/ss#w0rd/.test(e.message),
      JSON.stringify(opts),
    );
  }
  const s = new PostgresStore({ url: 'postgresql://alice:s3cret@db.example:6543/events?sslmode=require' });
  assert.equal(s.description, 'postgres://alice@db.example:6543/events');
  assert.equal(s.mode, 'append');
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { PGHOST: 'pg.internal', PGUSER: 'bob', PGDATABASE: 'sink', PGPORT: '5433' });
    assert.equal(new PostgresStore({ mode: 'upsert' }).description, 'postgres://bob@pg.internal:5433/sink');
  } finally {
    for (const k of ['PGHOST', 'PGUSER', 'PGDATABASE', 'PGPORT']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('errors: a stable code, retriable where trying again may succeed, the SQLSTATE in the message', () => {
  // As node-postgres makes them: the server's errors carry `severity` and a SQLSTATE `code`; socket
  // errors carry `syscall` and an errno name, some as short as a SQLSTATE (EPIPE).
  const server = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
  const socket = (code: string) => Object.assign(new Error(`write ${code}`), { code, syscall: 'write' });
  const cases: Array<[unknown, string, boolean]> = [
    [socket('ECONNREFUSED'), 'PG_CONNECTION', true],
    [socket('ECONNRESET'), 'PG_CONNECTION', true],
    [socket('EPIPE'), 'PG_CONNECTION', true],
    [socket('ENOTFOUND'), 'PG_HOST_NOT_FOUND', false],
    [new Error('Connection terminated unexpectedly'), 'PG_CONNECTION', true],
    [new Error('timeout exceeded when trying to connect'), 'PG_CONNECTION', true],
    [server('57P01', 'terminating connection due to administrator command'), 'PG_UNAVAILABLE', true],
    [server('57P03', 'the database system is starting up'), 'PG_UNAVAILABLE', true],
    [server('08006', 'connection failure'), 'PG_CONNECTION', true],
    [server('40001', 'could not serialize access'), 'PG_CONFLICT', true],
    [server('40P01', 'deadlock detected'), 'PG_CONFLICT', true],
    [server('28P01', 'password authentication failed for user "x"'), 'PG_AUTH', false],
    [server('3D000', 'database "x" does not exist'), 'PG_NO_DATABASE', false],
    [server('42501', 'permission denied for table t'), 'PG_PERMISSION', false],
    [server('53100', 'could not extend file: No space left on device'), 'PG_DISK_FULL', false],
    [server('42P01', 'relation "t" does not exist'), 'PG_SCHEMA', false],
    [server('42703', 'column "c" does not exist'), 'PG_SCHEMA', false],
    [server('22P02', 'invalid input syntax for type integer'), 'PG_DATA', false],
    [server('XX000', 'internal error'), 'PG_ERROR', false],
    [new TypeError('a bug of ours'), 'PG_ERROR', false],
  ];
  for (const [err, code, retriable] of cases) {
    const e = pgSinkError('postgres://u@h:5432/d', 'write', err);
    assert.deepEqual([e.code, e.retriable], [code, retriable], (err as Error).message);
    assert.equal(e.cause, err);
    const state = (err as { severity?: string; code?: string }).severity ? (err as { code: string }).code : undefined;
    assert.equal(e.message.includes('[SQLSTATE'), state !== undefined, e.message);
    if (state) assert.ok(e.message.endsWith(`[SQLSTATE ${state}]`), e.message);
  }
});

test('append: every column as rows.ts gives it, COPY and INSERT alike, positions with the rows', async () => {
  for (const appendMethod of ['copy', 'insert'] as const) {
    const { s, pg, schema } = await store({ appendMethod });
    await closing([s], async () => {
      const weird = 'tab\there\nnew\\line\u0000nul';
      const values: Array<[Buffer | null, unknown]> = [
        [Buffer.from('plain'), 'plain'],
        [Buffer.from('{"a":1}'), { a: 1, big: 2n }],
        [Buffer.from([0, 1, 255]), Buffer.from([0, 1, 255])],
        [Buffer.from(weird), weird],
        [null, null],
      ];
      const records: SinkRecord[] = values.map(([raw, value], o) => {
        const r = rec('t.one', 2, o, o === 0 ? null : Buffer.from([o, 0, 9]), raw);
        if (o === 1)
          r.headers = [
            { key: 'h', value: Buffer.from('x') },
            { key: 'h', value: null },
          ];
        return { record: r, value };
      });
      await s.write('g', [{ topic: 't.one', partition: 2, expected: undefined, next: 5, records }]);
      const rows = await pg.query(
        `SELECT topic, partition, "offset"::int AS o, "timestamp"::text AS ts, key, value, value_bytes, headers::text AS h
         FROM "${schema}".sluice_records ORDER BY "offset"`,
      );
      assert.deepEqual(
        rows.map((r) => [r.o, r.key, r.value, r.value_bytes, r.h]),
        [
          [0, null, 'plain', null, null],
          [1, Buffer.from([1, 0, 9]), '{"a":1,"big":"2"}', null, '[["h","x"],["h",null]]'],
          [2, Buffer.from([2, 0, 9]), null, Buffer.from([0, 1, 255]), null],
          // PostgreSQL's text cannot hold U+0000: such a string is kept, as UTF-8, in value_bytes.
          [3, Buffer.from([3, 0, 9]), null, Buffer.from(weird), null],
          [4, Buffer.from([4, 0, 9]), null, null, null],
        ],
      );
      assert.deepEqual(rows[0], { ...rows[0], topic: 't.one', partition: 2, ts: '1700000000000' });

      // Past 256 rows 'auto' would COPY; here the method is forced either way.
      await s.write('g', [part('t.one', 2, 5, 1005, 5), part('t.two', 0, 0, 3, undefined)]);
      const [count] = await pg.query(
        `SELECT count(*)::int AS n, count(DISTINCT "offset")::int AS d, max("offset")::int AS hi,
           bool_and(value = 'v' || "offset") AS ok FROM "${schema}".sluice_records WHERE topic = 't.one' AND "offset" >= 5`,
      );
      assert.deepEqual(count, { n: 1000, d: 1000, hi: 1004, ok: true }, appendMethod);
      const tp = [
        { topic: 't.one', partition: 2 },
        { topic: 't.two', partition: 0 },
        { topic: 't.two', partition: 1 },
      ];
      assert.deepEqual(
        await s.positions('g', tp),
        new Map([
          [tpKey('t.one', 2), 1005],
          [tpKey('t.two', 0), 3],
        ]),
      );
      assert.equal((await s.positions('other', tp)).size, 0, 'positions are per group');
      // A write without records still moves the position (records skipped, or only control records).
      await s.write('g', [{ topic: 't.two', partition: 0, expected: 3, next: 7, records: [] }]);
      assert.equal((await s.positions('g', tp)).get(tpKey('t.two', 0)), 7);
      await s.open(); // idempotent
    });
  }
});

test('fencing: of two writers with the same expected position exactly one wins; a refused write stores nothing', async () => {
  const { s: a, pg, schema } = await store();
  const b = new PostgresStore({ url: pg.url, schema });
  await b.open();
  await closing([a, b], async () => {
    // Both find no position and race to claim it, then both continue from 10 and race again.
    for (const expected of [undefined, 10]) {
      const from = expected ?? 0;
      const results = await Promise.allSettled([
        a.write('g', [part('t', 0, from, from + 10, expected)]),
        b.write('g', [part('t', 0, from, from + 10, expected)]),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `exactly one winner from ${expected}`);
      assert.ok(lost[0]!.reason instanceof SinkFencedError, String(lost[0]!.reason));
      assert.equal(lost[0]!.reason.found, from + 10);
      assert.equal(lost[0]!.reason.expected, expected);
    }
    // One part refused: the whole write (its other parts too) is refused.
    await assert.rejects(
      a.write('g', [part('t', 1, 0, 5, undefined), part('t', 0, 10, 15, 10)]),
      (e: SinkFencedError) => e instanceof SinkFencedError && e.partition === 0 && e.found === 20,
    );
    // Expecting a position where none is stored is refused too.
    await assert.rejects(a.write('g', [part('t', 2, 5, 6, 5)]), (e: SinkFencedError) => e.found === undefined);
    const rows = await pg.query(
      `SELECT partition, count(*)::int AS n, max("offset")::int AS hi FROM "${schema}".sluice_records GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(rows, [{ partition: 0, n: 20, hi: 19 }]);
    const positions = await a.positions(
      'g',
      [0, 1, 2].map((p) => ({ topic: 't', partition: p })),
    );
    assert.deepEqual(positions, new Map([[tpKey('t', 0), 20]]));
    // The refused writer's connection is still good: it continues from where it now knows the partition is.
    await b.write('g', [part('t', 0, 20, 25, 20)]);
    // Writes of different partitions at once (a pool of connections) both land.
    await Promise.all([a.write('g', [part('t', 0, 25, 30, 25)]), b.write('g', [part('t', 1, 0, 5, undefined)])]);
    assert.deepEqual(
      await b.positions(
        'g',
        [0, 1].map((p) => ({ topic: 't', partition: p })),
      ),
      new Map([
        [tpKey('t', 0), 30],
        [tpKey('t', 1), 5],
      ]),
    );
  });
});

test('upsert: the last value per key wins, a tombstone deletes, within a write and across writes', async () => {
  const { s, pg, schema } = await store({ mode: 'upsert' });
  await closing([s], async () => {
    const r = (p: number, o: number, key: string, value: string | null): SinkRecord => ({
      record: rec('u', p, o, key, value === null ? null : Buffer.from(value)),
      value,
    });
    await s.write('g', [
      {
        topic: 'u',
        partition: 0,
        expected: undefined,
        next: 6,
        records: [r(0, 0, 'a', 'a1'), r(0, 1, 'b', 'b1'), r(0, 2, 'a', 'a2'), r(0, 3, 'c', 'c1'), r(0, 4, 'c', null)],
      },
      { topic: 'u', partition: 1, expected: undefined, next: 2, records: [r(1, 0, 'd', 'd1'), r(1, 1, 'e', null)] },
    ]);
    await s.write('g', [
      {
        topic: 'u',
        partition: 0,
        expected: 6,
        next: 9,
        records: [r(0, 6, 'b', null), r(0, 7, 'c', 'c2'), r(0, 8, 'a', 'a3')],
      },
    ]);
    const rows = await pg.query(
      `SELECT convert_from(key, 'UTF8') AS k, value, partition, "offset"::int AS o FROM "${schema}".sluice_latest ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { k: 'a', value: 'a3', partition: 0, o: 8 },
      { k: 'c', value: 'c2', partition: 0, o: 7 },
      { k: 'd', value: 'd1', partition: 1, o: 0 },
    ]);
    // A record without a key cannot be upserted: the write fails before anything is sent.
    await assert.rejects(
      s.write('g', [
        {
          topic: 'u',
          partition: 0,
          expected: 9,
          next: 11,
          records: [r(0, 9, 'f', 'f1'), { record: rec('u', 0, 10, null, Buffer.from('x')), value: 'x' }],
        },
      ]),
      (e: unknown) => e instanceof SinkDecodeError && e.offset === 10 && /needs a key/.test(e.message),
    );
    assert.equal((await s.positions('g', [{ topic: 'u', partition: 0 }])).get(tpKey('u', 0)), 9);
    assert.equal((await pg.query(`SELECT 1 FROM "${schema}".sluice_latest WHERE key = 'f'`)).length, 0);
  });
});

test("map: rows into the user's tables; a transaction that fails midway stores neither rows nor positions", async () => {
  const { s, pg, schema } = await store({ mode: 'map' });
  await closing([s], async () => {
    await pg.query(`CREATE TABLE "${schema}".users (id bigint PRIMARY KEY, name text NOT NULL, admin boolean,
      avatar bytea, score double precision, seen timestamptz NOT NULL DEFAULT now())`);
    await pg.query(
      `CREATE TABLE "${schema}".visits (user_id bigint REFERENCES "${schema}".users (id), at bigint, n numeric)`,
    );
    /** Records from..to-1 of m-0, each mapped to `rows(offset)`. */
    const mapped = (from: number, to: number, expected: number | undefined, rows: (o: number) => MappedRow[]) =>
      part('m', 0, from, to, expected, (o) => ({
        record: rec('m', 0, o, `k${o}`, Buffer.from('{}')),
        value: {},
        rows: rows(o),
      }));
    // Children named after their parents, so parents go first. A column left out gets its DEFAULT, also
    // in a row that lacks a column the table's other rows of the write have.
    const rowsOf = (o: number): MappedRow[] => [
      {
        table: 'users',
        row: { id: BigInt(o), name: `u${o}`, admin: o % 2 === 0, avatar: Buffer.from([o]), score: o / 2 },
      },
      { table: 'visits', row: { user_id: o, at: 1_700_000_000_000 + o, n: '12345678901234567890.5' } },
      ...(o === 3 ? [{ table: 'visits', row: { user_id: 3, at: null } }] : []),
    ];
    await s.write('g', [mapped(0, 600, undefined, rowsOf)]);
    const [users] = await pg.query(
      `SELECT count(*)::int AS n, sum(id)::int AS ids, count(*) FILTER (WHERE admin)::int AS admins,
       bool_and(seen IS NOT NULL) AS defaulted FROM "${schema}".users`,
    );
    assert.deepEqual(users, { n: 600, ids: (599 * 600) / 2, admins: 300, defaulted: true });
    const [three] = await pg.query(`SELECT name, admin, avatar, score FROM "${schema}".users WHERE id = 3`);
    assert.deepEqual(three, { name: 'u3', admin: false, avatar: Buffer.from([3]), score: 1.5 });
    const [visits] = await pg.query(
      `SELECT count(*)::int AS n, max(n)::text AS big, count(*) FILTER (WHERE n IS NULL)::int AS defaulted
       FROM "${schema}".visits`,
    );
    assert.deepEqual(visits, { n: 601, big: '12345678901234567890.5', defaulted: 1 });

    // The first table's rows are fine; the second table does not exist: nothing of the write stays.
    const failing = mapped(600, 610, 600, (o): MappedRow[] => [
      { table: 'users', row: { id: o, name: `u${o}` } },
      { table: 'missing_table', row: { x: 1 } },
    ]);
    await assert.rejects(s.write('g', [failing]), (e: unknown) => {
      assert.ok(e instanceof SinkError, String(e));
      assert.equal(e.code, 'PG_SCHEMA');
      assert.equal(e.retriable, false);
      assert.match(e.message, /relation ".*missing_table" does not exist.*SQLSTATE 42P01.*tables you create/);
      return true;
    });
    // A column the table does not have: the same, and the message names it.
    await assert.rejects(
      s.write('g', [mapped(600, 601, 600, () => [{ table: 'users', row: { id: 1000, nom: 'x' } }])]),
      (e: SinkError) => e.code === 'PG_SCHEMA' && /column "nom" of relation "users" does not exist/.test(e.message),
    );
    assert.equal((await pg.query(`SELECT 1 FROM "${schema}".users WHERE id >= 600`)).length, 0);
    assert.equal((await s.positions('g', [{ topic: 'm', partition: 0 }])).get(tpKey('m', 0)), 600);
    // A table name that is not a plain identifier is refused before it reaches SQL.
    await assert.rejects(
      s.write('g', [mapped(600, 601, 600, () => [{ table: 'users; drop table users', row: { id: 1 } }])]),
      (e: unknown) => e instanceof ConfigError && e.option === 'table',
    );
    // And the store goes on: the next good write lands.
    await s.write('g', [mapped(600, 601, 600, (o) => [{ table: 'users', row: { id: o, name: 'ok' } }])]);
    assert.equal((await s.positions('g', [{ topic: 'm', partition: 0 }])).get(tpKey('m', 0)), 601);
  });
});

test('append: records already stored (the offsets table lost its rows) fail the write, with advice', async () => {
  const { s, pg, schema } = await store();
  await closing([s], async () => {
    await s.write('g', [part('t', 0, 0, 300, undefined)]);
    await pg.query(`DELETE FROM "${schema}".sluice_offsets`);
    await assert.rejects(s.write('g', [part('t', 0, 0, 300, undefined)]), (e: SinkError) => {
      assert.equal(e.code, 'PG_DATA');
      assert.equal(e.retriable, false);
      assert.match(e.message, /duplicate key.*SQLSTATE 23505.*was the offsets table cleared/);
      return true;
    });
    assert.equal(
      (await s.positions('g', [{ topic: 't', partition: 0 }])).size,
      0,
      'the position was not stored either',
    );
  });
});

test('open(): creates only what is missing (a role without CREATE may run on made tables); refuses a table of another shape', async () => {
  const { s, pg, schema } = await store({ mode: 'upsert', table: 'latest', offsetsTable: 'positions' });
  await s.close();
  // A role that may only read and write the tables the first store made.
  const role = uniqueName('writer')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 60);
  await pg.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'pw'`);
  await pg.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
  await pg.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`);
  const url = pg.url.replace(`sluice:${pg.password}@`, `${role}:pw@`);
  const limited = new PostgresStore({ url, schema, mode: 'upsert', table: 'latest', offsetsTable: 'positions' });
  await closing([limited], async () => {
    await limited.open();
    await limited.write('g', [part('t', 0, 0, 3, undefined)]);
    assert.equal((await limited.positions('g', [{ topic: 't', partition: 0 }])).get(tpKey('t', 0)), 3);
  });
  // The same role where the tables are missing: it may not create them, and says so.
  const denied = new PostgresStore({ url, schema, table: 'other_records', offsetsTable: 'positions' });
  await assert.rejects(denied.open(), (e: SinkError) => {
    assert.equal(e.code, 'PG_PERMISSION');
    assert.equal(e.retriable, false);
    assert.match(e.message, /open failed: permission denied for schema/);
    return true;
  });
  await denied.close();
  // A table of that name that Sluice did not make: refused at open, naming the option to change.
  await pg.query(`CREATE TABLE "${schema}".mine (id int)`);
  const clash = new PostgresStore({ url: pg.url, schema, table: 'mine' });
  await assert.rejects(clash.open(), (e: SinkError) => {
    assert.equal(e.code, 'PG_SCHEMA');
    assert.match(
      e.message,
      /table "[^"]+"\."mine" exists without column\(s\) topic, partition, offset, .*choose another `table`/,
    );
    return true;
  });
  await clash.close();
});

test('a bad database URL, password or database: one clear, non-retriable error from open()', async () => {
  const pg = await sharedPostgres();
  const cases: Array<[string, string, RegExp]> = [
    [pg.urlFor('no_such_db'), 'PG_NO_DATABASE', /database "no_such_db" does not exist/],
    [pg.url.replace(`:${pg.password}@`, ':wrong@'), 'PG_AUTH', /password authentication failed for user "sluice"/],
    [pg.url.replace('127.0.0.1', 'no-such-host.invalid'), 'PG_HOST_NOT_FOUND', /ENOTFOUND|getaddrinfo/],
  ];
  for (const [url, code, message] of cases) {
    const s = new PostgresStore({ url });
    const errors: unknown[] = [];
    const onUncaught = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      await assert.rejects(s.open(), (e: unknown) => {
        assert.ok(e instanceof SinkError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.retriable, false);
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(`${s.description}: connecting failed: `), e.message);
        assert.doesNotMatch(e.message, new RegExp(pg.password));
        return true;
      });
      await assert.rejects(s.write('g', [part('t', 0, 0, 1, undefined)]), (e: SinkError) => e.code === 'SINK_NOT_OPEN');
      await sleep(50);
      assert.deepEqual(errors, [], 'nothing else thrown or emitted');
    } finally {
      process.off('uncaughtException', onUncaught);
      await s.close();
    }
  }
});

test('without pg installed: a ConfigError saying what to install', () => {
  // A resolve hook that hides pg, as if it were not installed.
  const hook = `data:text/javascript,${encodeURIComponent(
    'export async function resolve(s, c, next) { if (s === "pg") { const e = new Error("Cannot find package \'pg\'"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }',
  )}`;
  const script = `
    import { register } from 'node:module';
    register(${JSON.stringify(hook)});
    const { PostgresStore } = await import(${JSON.stringify(path.join(root, 'src/sinks/postgres.ts'))});
    try { await new PostgresStore({ url: 'postgres://x@127.0.0.1:1/x' }).open(); console.log('opened?'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, option: e.option, message: e.message })); }`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as { name?: string; message?: string };
  assert.equal(out.name, 'ConfigError', res.stdout + res.stderr);
  assert.match(out.message!, /npm install pg pg-copy-streams/);
});

/** What the runner does with a write: retry retriable failures with backoff (bounded), until it lands. */
async function writeRetrying(s: SinkStore, parts: PartitionWrite[], failures: SinkError[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await s.write('g', parts);
      return;
    } catch (err) {
      // The attempt before this one committed, but its answer was lost with the connection.
      if (err instanceof SinkFencedError && err.found === parts[0]!.next) return;
      if (!(err instanceof SinkError) || !err.retriable || Date.now() > deadline) throw err;
      failures.push(err);
      await sleep(Math.min(20 * 2 ** attempt, 400));
    }
  }
}

test('PostgreSQL stopped and crashed mid-run: writes fail retriably, then resume; nothing lost or doubled', async () => {
  const server = await startPostgres();
  const s = new PostgresStore({ url: server.url, maxConnections: 2 });
  try {
    await s.open();
    const failures: SinkError[] = [];
    let next = 0;
    const batch = async (size: number) => {
      await writeRetrying(s, [part('t', 0, next, next + size, next === 0 ? undefined : next)], failures);
      next += size;
    };
    for (let i = 0; i < 5; i++) await batch(50);
    // Idle pooled connections are cut by the stop: the pool must drop them, not hand them out.
    await server.stop();
    await assert.rejects(s.write('g', [part('t', 0, next, next + 50, next)]), (e: SinkError) => {
      assert.ok(e instanceof SinkError, String(e));
      assert.equal(e.retriable, true, e.message);
      assert.match(e.code, /^PG_(CONNECTION|UNAVAILABLE)$/);
      return true;
    });
    // The runner keeps trying with backoff; the server comes back meanwhile.
    const restart = sleep(300).then(() => server.start());
    await batch(50);
    await restart;
    assert.ok(failures.length >= 1, 'the writes failed while the server was down');
    for (let i = 0; i < 5; i++) await batch(50);

    // A stop that cuts a large write in flight (it may or may not have committed), then a crash.
    const inFlight = batch(20_000);
    inFlight.catch(() => {}); // awaited below; it must not count as unhandled meanwhile
    await sleep(30);
    await server.stop();
    await sleep(200);
    await server.start();
    await inFlight;
    await server.kill();
    const crashStart = sleep(200).then(() => server.start());
    await batch(50);
    await crashStart;
    await batch(50);

    const [rows] = await server.query(
      `SELECT count(*)::int AS n, count(DISTINCT "offset")::int AS d, min("offset")::int AS lo, max("offset")::int AS hi
       FROM sluice_records`,
    );
    assert.deepEqual(rows, { n: next, d: next, lo: 0, hi: next - 1 });
    assert.equal((await s.positions('g', [{ topic: 't', partition: 0 }])).get(tpKey('t', 0)), next);
  } finally {
    await s.close();
    await server.close();
  }
});

test('100 000 rows in one write, by COPY and by INSERT', async () => {
  const pg = await sharedPostgres();
  const rates: string[] = [];
  for (const appendMethod of ['copy', 'insert'] as const) {
    const { s, schema } = await store({ appendMethod });
    await closing([s], async () => {
      const write = part('bulk', 0, 0, 100_000, undefined, (o) => {
        const value = JSON.stringify({ id: o, name: `user-${o}`, score: o * 1.5, tags: ['a', 'b'] });
        const r = rec('bulk', 0, o, `key-${o}`, Buffer.from(value));
        r.headers = [{ key: 'source', value: Buffer.from('bench') }];
        return { record: r, value };
      });
      const t0 = performance.now();
      await s.write('g', [write]);
      const ms = performance.now() - t0;
      rates.push(
        `${appendMethod} ${Math.round(100_000 / (ms / 1000)).toLocaleString('en')} rows/s (${ms.toFixed(0)} ms)`,
      );
      const [n] = await pg.query(`SELECT count(*)::int AS n, sum("offset")::text AS s FROM "${schema}".sluice_records`);
      assert.deepEqual(n, { n: 100_000, s: String((99_999 * 100_000) / 2) });
    });
  }
  // Numbers for the record, not assertions: the machine is shared.
  console.log(`# PostgresStore append, 100 000 rows: ${rates.join(', ')}`);
});
