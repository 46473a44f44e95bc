// JsonlStore on its own, no broker: the lines, rotation and names, positions from published files,
// fencing between two writers, crash safety (a child process kill -9'd over and over), a full disk,
// and the rows/s it writes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, hostname, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tpKey } from '../../src/consumer/topic-partition.js';
import { ConfigError } from '../../src/errors.js';
import { SinkDecodeError, SinkError, SinkFencedError } from '../../src/sinks/errors.js';
import { JsonlStore } from '../../src/sinks/jsonl.js';
import type { PartitionWrite, SinkRecord } from '../../src/sinks/types.js';
import { gap, part, published, publishedOffsets, record, sinkRecord } from './fixtures/jsonl-records.js';
import type { WriterConfig } from './fixtures/jsonl-writer.js';

const root = mkdtempSync(path.join(tmpdir(), 'sluice-jsonl-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `d${n++}`);
const tp = (topic: string, partition: number) => ({ topic, partition });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const writerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'jsonl-writer.ts');

async function withStore<T>(
  options: ConstructorParameters<typeof JsonlStore>[0],
  fn: (s: JsonlStore) => Promise<T>,
): Promise<T> {
  const s = new JsonlStore(options);
  await s.open();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

test('append lines: every field as rows.ts defines it, one object per line', async () => {
  const dir = freshDir();
  const h = (key: string, value: string | null) => ({ key, value: value === null ? null : Buffer.from(value) });
  const records = [
    sinkRecord(
      record('orders', 2, 10, { key: null, headers: [h('trace', 'abc'), h('empty', null)] }),
      'plain "text"\n',
    ),
    sinkRecord(record('orders', 2, 11), { id: 7, tags: ['a'], nested: { ok: true }, big: 12n }),
    sinkRecord(record('orders', 2, 12), Buffer.from([0, 1, 2, 255])),
    sinkRecord(record('orders', 2, 13, { value: null }), null),
    sinkRecord(record('orders', 2, 14, { key: Buffer.from('ключ') }), 42),
  ];
  await withStore({ dir }, async (s) => {
    await s.write('g', [{ topic: 'orders', partition: 2, expected: undefined, next: 15, records }]);
    await s.flush('g', [tp('orders', 2)]);
  });
  const files = published(path.join(dir, 'orders', '2'));
  assert.deepEqual(
    files.map((f) => f.name),
    ['00000000000000000010-00000000000000000014.jsonl'],
  );
  const lines = files[0]!.lines;
  assert.deepEqual(lines[0], {
    topic: 'orders',
    partition: 2,
    offset: 10,
    timestamp: 1_700_000_000_010,
    key: null,
    value: 'plain "text"\n',
    headers: [
      ['trace', 'abc'],
      ['empty', null],
    ],
  });
  // A JSON value is embedded as JSON (an object, not its text); bigints as strings, like rows.ts.
  assert.deepEqual(lines[1]!.value, { id: 7, tags: ['a'], nested: { ok: true }, big: '12' });
  assert.equal(lines[1]!.key, 'k11');
  assert.equal(lines[1]!.headers, null);
  assert.equal(lines[2]!.value, Buffer.from([0, 1, 2, 255]).toString('base64'));
  assert.equal(lines[3]!.value, null);
  assert.equal(lines[4]!.key, 'ключ');
  assert.equal(lines[4]!.value, 42);
  assert.deepEqual(
    Object.keys(lines[0]!),
    ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers'],
    'field order',
  );
});

test('map mode: a file per table for each published range, rows as JSON objects', async () => {
  const dir = freshDir();
  const records = [10, 11, 12].map(
    (o): SinkRecord => ({
      ...sinkRecord(record('t', 0, o)),
      rows:
        o === 11
          ? [] // a record may map to no rows: its offset is still covered
          : [
              { table: 'orders', row: { id: o, total: 1.5, big: 2n ** 60n, paid: o === 10, note: null } },
              { table: 'audit', row: { offset: o, raw: Buffer.from('hi') } },
            ],
    }),
  );
  await withStore({ dir, mode: 'map' }, async (s) => {
    await s.write('g', [{ topic: 't', partition: 0, expected: undefined, next: 13, records }]);
    await s.flush('g', [tp('t', 0)]);
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 13]]));
  });
  const name = '00000000000000000010-00000000000000000012.jsonl';
  const orders = readFileSync(path.join(dir, 'orders', 't', '0', name), 'utf8');
  // Compared as text: bigints are exact JSON numbers, columns in the row's order.
  assert.equal(
    orders,
    '{"id":10,"total":1.5,"big":1152921504606846976,"paid":true,"note":null}\n' +
      '{"id":12,"total":1.5,"big":1152921504606846976,"paid":false,"note":null}\n',
  );
  const audit = published(path.join(dir, 'audit', 't', '0'));
  assert.deepEqual(audit[0]!.lines, [
    { offset: 10, raw: 'aGk=' },
    { offset: 12, raw: 'aGk=' },
  ]);
  // A table name must be safe as a directory name.
  await withStore({ dir, mode: 'map' }, async (s) => {
    const bad = { ...sinkRecord(record('t', 0, 13)), rows: [{ table: '../escape', row: { a: 1 } }] };
    await assert.rejects(
      s.write('g', [{ topic: 't', partition: 0, expected: 13, next: 14, records: [bad] }]),
      ConfigError,
    );
  });
});

test('rotation by records: files of exactly `records` records, named by the positions they cover', async () => {
  const dir = freshDir();
  await withStore({ dir, rotate: { records: 1000 } }, async (s) => {
    let at: number | undefined;
    // Batches that do not line up with the limit, from offset 5 on.
    for (let o = 5; o < 5 + 3500; ) {
      const end = Math.min(5 + 3500, o + 777);
      await s.write('g', [part('t', 0, o, end, at)]);
      at = o = end;
    }
    // 3 full files are published on the way; the rest waits for a flush.
    assert.equal(published(path.join(dir, 't', '0')).length, 3);
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 3005]]));
    await s.flush('g', [tp('t', 0)]);
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 3505]]));
  });
  const files = published(path.join(dir, 't', '0'));
  assert.deepEqual(
    files.map((f) => [f.first, f.last, f.lines.length]),
    [
      [5, 1004, 1000],
      [1005, 2004, 1000],
      [2005, 3004, 1000],
      [3005, 3504, 500],
    ],
  );
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: 3500 }, (_, i) => 5 + i),
  );
  // A new store on the same directory reads the same position.
  await withStore({ dir }, async (s) => {
    assert.deepEqual(await s.positions('g', [tp('t', 0), tp('t', 1)]), new Map([[tpKey('t', 0), 3505]]));
  });
});

test('rotation by bytes: no file past the limit, one record larger than it gets a file alone', async () => {
  const dir = freshDir();
  const limit = 2000;
  await withStore({ dir, rotate: { bytes: limit } }, async (s) => {
    // ~120-byte lines, some with multi-byte characters (bytes, not characters, count).
    await s.write('g', [part('t', 0, 0, 100, undefined, (o) => (o % 3 ? 'x' : 'é€').repeat(20))]);
    await s.write('g', [part('t', 0, 100, 101, 100, () => 'y'.repeat(5000))]);
    await s.write('g', [part('t', 0, 101, 150, 101)]);
    await s.flush('g', [tp('t', 0)]);
  });
  const files = published(path.join(dir, 't', '0'));
  for (const f of files) {
    assert.ok(f.bytes <= limit || f.lines.length === 1, `${f.name}: ${f.bytes} bytes, ${f.lines.length} lines`);
    const next = files[files.indexOf(f) + 1];
    if (next) {
      assert.equal(next.first, f.last + 1, 'files cover consecutive positions');
      // Full: the next file's first line would not have fitted.
      const firstLine = Buffer.byteLength(`${JSON.stringify(next.lines[0])}\n`);
      assert.ok(f.bytes + firstLine > limit, `${f.name} was published before it was full`);
    }
  }
  assert.ok(files.some((f) => f.bytes > limit && f.lines.length === 1 && f.first === 100));
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: 150 }, (_, i) => i),
  );
});

test('rotation by time: a file is published `ms` after its first write, without another write', async () => {
  const dir = freshDir();
  await withStore({ dir, rotate: { ms: 100 } }, async (s) => {
    await s.write('g', [part('t', 0, 0, 10, undefined)]);
    assert.equal(published(path.join(dir, 't', '0')).length, 0);
    const deadline = Date.now() + 10_000;
    while (published(path.join(dir, 't', '0')).length === 0 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(
      published(path.join(dir, 't', '0')).map((f) => f.name),
      ['00000000000000000000-00000000000000000009.jsonl'],
    );
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 10]]));
    // The writer goes on from its own position.
    await s.write('g', [part('t', 0, 10, 20, 10)]);
  });
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

test('positions move with empty writes and offset gaps; a file covers positions, not just its lines', async () => {
  const dir = freshDir();
  await withStore({ dir }, async (s) => {
    // No record stored (all skipped), but the position moves: nothing to see, a position to keep.
    await s.write('g', [{ topic: 't', partition: 0, expected: undefined, next: 40, records: [] }]);
    await s.flush('g', [tp('t', 0)]);
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 40]]));
    assert.equal(published(path.join(dir, 't', '0')).length, 0);
    // Gaps (compacted offsets, control records): 40..49 covered by a file with 3 lines.
    const records = [41, 45, 47].map((o) => sinkRecord(record('t', 0, o)));
    await s.write('g', [{ topic: 't', partition: 0, expected: 40, next: 50, records }]);
    // A write that moves nothing is a no-op.
    await s.write('g', [{ topic: 't', partition: 0, expected: 50, next: 50, records: [] }]);
    await s.flush('g', [tp('t', 0)]);
  });
  const files = published(path.join(dir, 't', '0'));
  assert.deepEqual(
    files.map((f) => [f.name, f.lines.map((l) => l.offset)]),
    [['00000000000000000040-00000000000000000049.jsonl', [41, 45, 47]]],
  );
  await withStore({ dir }, async (s) => {
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 50]]));
  });
});

test("the first write stores a position at once: a crash before any file is published resumes there, not at Kafka's committed offset", async () => {
  const dir = freshDir();
  const crashed = new JsonlStore({ dir });
  await crashed.open();
  // The runner commits offsets to Kafka once a write returns. Were the store to keep no position
  // until its first file is published, a crash now would make the restarted sink start from that
  // commit (past 10..109) and those records would never be stored.
  await crashed.write('g', [part('t', 0, 10, 110, undefined)]);
  // "kill -9": the store is never flushed nor closed.
  await withStore({ dir }, async (s) => {
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 10]]));
    await s.write('g', [part('t', 0, 10, 110, 10)]);
  });
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: 100 }, (_, i) => 10 + i),
  );
});

test('two stores publishing from the same position: exactly one wins, the loser is fenced and stores nothing', async () => {
  const dir = freshDir();
  const a = new JsonlStore({ dir });
  const b = new JsonlStore({ dir });
  await a.open();
  await b.open();
  try {
    assert.equal((await a.positions('g', [tp('t', 0)])).size, 0);
    assert.equal((await b.positions('g', [tp('t', 0)])).size, 0);
    // Both read "no position": the first to write stores its start at once, the other is fenced.
    await a.write('g', [part('t', 0, 0, 100, undefined, (o) => `a${o}`)]);
    await assert.rejects(b.write('g', [part('t', 0, 0, 50, undefined, (o) => `b${o}`)]), (e: SinkFencedError) => {
      assert.ok(e instanceof SinkFencedError);
      assert.equal(e.found, 0);
      return true;
    });
    // Both from position 0 now: different ranges from the same start, one publish wins.
    await b.write('g', [part('t', 0, 0, 50, 0, (o) => `b${o}`)]);
    await a.flush('g', [tp('t', 0)]);
    await assert.rejects(b.flush('g', [tp('t', 0)]), (e: SinkFencedError) => {
      assert.ok(e instanceof SinkFencedError);
      assert.equal(e.found, 100);
      return true;
    });
    // The loser goes on from the stored position; now b wins a round and a, whose temp file
    // continues from 100 as well, loses it.
    assert.deepEqual(await b.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 100]]));
    await b.write('g', [part('t', 0, 100, 150, 100, (o) => `b${o}`)]);
    await a.write('g', [part('t', 0, 100, 200, 100, (o) => `a${o}`)]);
    await b.flush('g', [tp('t', 0)]);
    await assert.rejects(a.flush('g', [tp('t', 0)]), SinkFencedError);
    // A zombie writing on from its own (never stored) progress is fenced at once.
    await assert.rejects(a.write('g', [part('t', 0, 200, 210, 200)]), (e: SinkFencedError) => e.found === 150);
    // Neither store has temp files left over from the lost rounds.
    const tmp = path.join(dir, '.sluice', 'tmp');
    for (const d of readdirSync(tmp)) assert.deepEqual(readdirSync(path.join(tmp, d)), [], `left in ${d}`);
  } finally {
    await a.close();
    await b.close();
  }
  const lines = published(path.join(dir, 't', '0')).flatMap((f) => f.lines);
  assert.deepEqual(
    lines.map((l) => l.offset),
    Array.from({ length: 150 }, (_, i) => i),
  );
  assert.ok(lines.slice(0, 100).every((l) => (l.value as string).startsWith('a')));
  assert.ok(lines.slice(100).every((l) => (l.value as string).startsWith('b')));
});

test('publishing races: 40 rounds of two stores publishing from the same position at once, one winner each', async () => {
  const dir = freshDir();
  const stores = [new JsonlStore({ dir }), new JsonlStore({ dir })];
  for (const s of stores) await s.open();
  const wins = [0, 0];
  let at: number | undefined;
  try {
    for (let round = 0; round < 40; round++) {
      const from: number = at ?? 0;
      const results = await Promise.allSettled(
        stores.map(async (s, i) => {
          await s.write('g', [part('t', 0, from, from + 10 + i * 5, at, (o) => `s${i}:${o}`)]);
          await s.flush('g', [tp('t', 0)]);
        }),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.status)}`);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof SinkFencedError, r.reason);
      wins[won[0]!]!++;
      at = from + 10 + won[0]! * 5;
      assert.deepEqual(await stores[0]!.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), at]]));
    }
  } finally {
    for (const s of stores) await s.close();
  }
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: at! }, (_, i) => i),
  );
  console.log(`# publishing races: store 0 won ${wins[0]}, store 1 won ${wins[1]} of 40 rounds`);
});

test('a rebalance: the old owner flushes on revoke, the new one continues from the files; a timed publish that loses is reported by the next write', async () => {
  const dir = freshDir();
  const a = new JsonlStore({ dir, rotate: { ms: 50 } });
  const b = new JsonlStore({ dir });
  await a.open();
  await b.open();
  try {
    await a.write('g', [part('t', 0, 0, 100, undefined)]);
    await a.write('g', [part('t', 0, 100, 120, 100)]);
    // Revoke: what a wrote becomes visible to the next owner.
    await a.flush('g', [tp('t', 0)]);
    const at = (await b.positions('g', [tp('t', 0)])).get(tpKey('t', 0));
    assert.equal(at, 120);
    // a, a zombie that missed the revoke, writes on from a position it read before b published…
    await b.write('g', [part('t', 0, 120, 130, 120)]);
    await a.write('g', [part('t', 0, 120, 140, 120)]);
    await b.flush('g', [tp('t', 0)]);
    // …and its timed publish loses: its next write says so.
    await sleep(300);
    await assert.rejects(a.write('g', [part('t', 0, 140, 150, 140)]), SinkFencedError);
    assert.deepEqual(await a.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 130]]));
  } finally {
    await a.close();
    await b.close();
  }
  assert.deepEqual(
    publishedOffsets(dir, 't', 0),
    Array.from({ length: 130 }, (_, i) => i),
  );
});

test('a publisher that dies after committing its claim: the next reader of the position links the file into place', async () => {
  const { Layout } = await import('../../src/sinks/jsonl-claims.js');
  const { Dirs } = await import('../../src/sinks/jsonl-files.js');
  const dir = freshDir();
  await withStore({ dir }, async (s) => {
    await s.write('g', [part('t', 0, 0, 10, undefined)]);
    await s.flush('g', [tp('t', 0)]);
  });
  // Steps 1-3 of a publish of 10..19, and a "crash" before step 4.
  const work = path.join(dir, '.sluice', 'tmp', 'dead-writer');
  mkdirSync(work, { recursive: true });
  const data = path.join(work, 'data.jsonl');
  writeFileSync(data, '{"offset":10}\n{"offset":19}\n');
  const layout = new Layout(dir, 'append', true, 'test', new Dirs(true));
  const claim = await layout.claim(
    't',
    0,
    10,
    { from: 10, next: 20 },
    [{ group: '_', path: data }],
    path.join(work, 'c'),
  );
  assert.ok(claim);
  rmSync(work, { recursive: true });
  assert.deepEqual(
    published(path.join(dir, 't', '0')).map((f) => f.last),
    [9],
  );
  await withStore({ dir }, async (s) => {
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 20]]));
  });
  assert.deepEqual(
    published(path.join(dir, 't', '0')).map((f) => [f.first, f.last, f.lines.length]),
    [
      [0, 9, 10],
      [10, 19, 2],
    ],
  );
  // The claim keeps only its marker: moving a published file away does not bring it back.
  assert.deepEqual(readdirSync(claim), ['00000000000000000010-00000000000000000020.range']);
  rmSync(path.join(dir, 't', '0', '00000000000000000010-00000000000000000019.jsonl'));
  await withStore({ dir }, async (s) => {
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 20]]));
  });
  assert.equal(published(path.join(dir, 't', '0')).length, 1);
});

test('positions gone (.sluice deleted) while the files stay: a file of the same name is an error, not skipped', async () => {
  const dir = freshDir();
  await withStore({ dir }, async (s) => {
    await s.write('g', [part('t', 0, 0, 10, undefined, (o) => `old${o}`)]);
  });
  rmSync(path.join(dir, '.sluice'), { recursive: true });
  await withStore({ dir }, async (s) => {
    assert.equal((await s.positions('g', [tp('t', 0)])).size, 0);
    await s.write('g', [part('t', 0, 0, 10, undefined, (o) => `new${o}`)]);
    const corrupt = (e: SinkError) =>
      e instanceof SinkError && e.code === 'SINK_CORRUPT' && /was .*\.sluice deleted/.test(e.message);
    await assert.rejects(s.flush('g', [tp('t', 0)]), corrupt);
    // Until someone moves the old file away, the position cannot be read…
    await assert.rejects(s.positions('g', [tp('t', 0)]), corrupt);
    rmSync(path.join(dir, 't', '0', '00000000000000000000-00000000000000000009.jsonl'));
    // …and then the new range's file takes its place.
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 10]]));
  });
  assert.deepEqual(
    published(path.join(dir, 't', '0'))[0]!.lines.map((l) => l.value),
    Array.from({ length: 10 }, (_, i) => `new${i}`),
  );
});

test('open() removes temp directories of dead processes, keeps live ones', async () => {
  const dir = freshDir();
  await withStore({ dir }, async () => {});
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const tmp = path.join(dir, '.sluice', 'tmp');
  const deadDir = path.join(tmp, `${host}+${dead}+0badc0de`);
  const liveDir = path.join(tmp, `${host}+${process.pid}+0000beef`);
  const otherHost = path.join(tmp, `elsewhere+${dead}+00000001`);
  for (const d of [deadDir, liveDir, otherHost]) {
    mkdirSync(d);
    writeFileSync(path.join(d, '1-_.jsonl'), '{"half":');
  }
  await withStore({ dir }, async () => {
    assert.equal(existsSync(deadDir), false);
    assert.equal(existsSync(liveDir), true);
    assert.equal(existsSync(otherHost), true);
  });
});

test('options and input are checked: ConfigErrors naming the option, SinkErrors for bad writes', async () => {
  const bad = (options: unknown, option: string) =>
    assert.throws(
      () => new JsonlStore(options as ConstructorParameters<typeof JsonlStore>[0]),
      (e: ConfigError) => e instanceof ConfigError && e.option === option,
    );
  bad({}, 'dir');
  bad({ dir: '' }, 'dir');
  bad({ dir: 'x', mode: 'upsert' }, 'mode');
  bad({ dir: 'x', mode: 'other' }, 'mode');
  bad({ dir: 'x', rotate: { records: 0 } }, 'rotate.records');
  bad({ dir: 'x', rotate: { bytes: 1.5 } }, 'rotate.bytes');
  bad({ dir: 'x', rotate: { ms: 2 ** 31 } }, 'rotate.ms');
  bad({ dir: 'x', rotate: { size: 1 } }, 'size');
  bad({ dir: 'x', fsync: 'yes' }, 'fsync');
  bad({ dir: 'x', table: 'y' }, 'table');
  assert.throws(() => new JsonlStore({ dir: 'x', mode: 'upsert' as 'append' }), /cannot replace a key's row/);

  const dir = freshDir();
  const s = new JsonlStore({ dir });
  await assert.rejects(s.write('g', [part('t', 0, 0, 1, undefined)]), (e: SinkError) => e.code === 'SINK_NOT_OPEN');
  await s.open();
  try {
    const invalid = (w: PartitionWrite) =>
      assert.rejects(s.write('g', [w]), (e: SinkError) => e instanceof SinkError && e.code === 'SINK_INVALID_WRITE');
    const w = part('t', 0, 0, 3, undefined);
    await invalid({ ...w, records: [w.records[1]!, w.records[0]!] });
    await invalid({ ...w, next: 2 });
    await invalid({ ...w, expected: 1 });
    await invalid({ ...w, topic: '../t' });
    await invalid({ ...w, topic: '.sluice' });
    await invalid({ ...w, partition: -1 });
    await assert.rejects(s.write('g', [w, w]), (e: SinkError) => e.code === 'SINK_INVALID_WRITE');
    // A value with no JSON form names its record.
    const odd = { ...w, records: [{ ...w.records[0]!, value: () => 1 }], next: 1 };
    await assert.rejects(
      s.write('g', [odd]),
      (e: SinkDecodeError) => e instanceof SinkDecodeError && /t-0 offset 0/.test(e.message),
    );
    // Nothing of the refused writes is stored.
    await s.flush('g', [tp('t', 0)]);
    assert.equal((await s.positions('g', [tp('t', 0)])).size, 0);
  } finally {
    await s.close();
  }
  // A directory keeps one mode.
  const m = new JsonlStore({ dir, mode: 'map' });
  await assert.rejects(m.open(), (e: ConfigError) => e instanceof ConfigError && e.option === 'mode');
});

interface Writer {
  proc: ChildProcess;
  ready: Promise<boolean>;
  done: boolean;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWriter(cfg: WriterConfig): Writer {
  const proc = spawn(process.execPath, ['--import', 'tsx', writerScript, JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { proc, done: false, stderr: '' } as Writer;
  let out = '';
  let onReady: (ok: boolean) => void;
  w.ready = new Promise((r) => {
    onReady = r;
  });
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.includes('"ev":"ready"')) onReady(true);
    if (out.includes('"ev":"done"')) w.done = true;
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    w.stderr = (w.stderr + chunk).slice(-5000);
  });
  w.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  w.exited.then(() => onReady(false));
  return w;
}

/** Runs writers on `cfg` until one finishes, kill -9'ing the first `kills` of them at random moments. */
async function crashLoop(cfg: WriterConfig, kills: number, name: string): Promise<number> {
  let killed = 0;
  for (let run = 0; run < kills + 20; run++) {
    const w = startWriter(cfg);
    if (killed < kills && (await w.ready)) {
      await sleep(Math.random() * 500);
      if (w.proc.exitCode === null && w.proc.signalCode === null && w.proc.kill('SIGKILL')) {
        killed++;
        await w.exited;
        continue;
      }
    }
    const { code, signal } = await w.exited;
    if (code === 0 && w.done) return killed;
    throw new Error(`${name} run ${run} exited with ${code ?? signal}: ${w.stderr}`);
  }
  throw new Error(`${name} never finished`);
}

/** Every partition: the files cover 0..perPartition-1 in a chain, each record (gaps aside) once. */
function assertExactlyOnce(cfg: WriterConfig): void {
  const want = Array.from({ length: cfg.perPartition }, (_, i) => i).filter((o) => !gap(o));
  for (let p = 0; p < cfg.partitions; p++) {
    const files = published(path.join(cfg.dir, cfg.topic, String(p)));
    let next = 0;
    for (const f of files) {
      // A range with no line (all gaps) has no file: the chain may skip those positions only.
      for (; next < f.first; next++) assert.ok(gap(next), `partition ${p}: ${f.name} leaves ${next} out`);
      assert.equal(f.first, next, `partition ${p}: ${f.name} overlaps the file before`);
      for (const l of f.lines) assert.ok((l.offset as number) >= f.first && (l.offset as number) <= f.last, f.name);
      next = f.last + 1;
    }
    const got = files.flatMap((f) => f.lines.map((l) => l.offset as number));
    if (got.length !== want.length || got.some((o, i) => o !== want[i])) {
      const seen = new Map<number, number>();
      for (const o of got) seen.set(o, (seen.get(o) ?? 0) + 1);
      const dup = [...seen].filter(([, c]) => c > 1).map(([o]) => o);
      const missing = want.filter((o) => !seen.has(o));
      assert.fail(
        `partition ${p}: ${got.length} lines for ${want.length} records; twice: ${dup.slice(0, 10)}; missing: ${missing.slice(0, 10)}`,
      );
    }
  }
}

async function assertClean(cfg: WriterConfig): Promise<void> {
  // Every process is gone: the next open removes their temp directories, and its close its own.
  const check = new JsonlStore({ dir: cfg.dir });
  await check.open();
  const tps = Array.from({ length: cfg.partitions }, (_, p) => tp(cfg.topic, p));
  const at = await check.positions('g', tps);
  await check.close();
  for (const t of tps) assert.equal(at.get(tpKey(t.topic, t.partition)), cfg.perPartition);
  assert.deepEqual(readdirSync(path.join(cfg.dir, '.sluice', 'tmp')), []);
  // And no claim is left unfinished (holding data links).
  const claims = path.join(cfg.dir, '.sluice', 'claims', cfg.topic);
  for (const p of readdirSync(claims)) {
    for (const c of readdirSync(path.join(claims, p))) {
      assert.deepEqual(
        readdirSync(path.join(claims, p, c)).filter((f) => f.endsWith('.jsonl')),
        [],
        `${p}/${c}`,
      );
    }
  }
}

test('crash loop: a writer of 12 partitions × 20 000 records, kill -9 at 20 random moments and restarted: every record once', {
  timeout: 300_000,
}, async () => {
  const cfg: WriterConfig = {
    dir: freshDir(),
    topic: 'crash',
    partitions: 12,
    perPartition: 20_000,
    maxBatch: 800,
    rate: 25_000,
    rotate: { records: 2000, bytes: 100_000, ms: 150 },
  };
  const t0 = Date.now();
  const killed = await crashLoop(cfg, 20, 'writer');
  assertExactlyOnce(cfg);
  await assertClean(cfg);
  const files = Array.from({ length: 12 }, (_, p) => published(path.join(cfg.dir, 'crash', String(p))).length);
  console.log(`# crash loop: ${killed} kills, ${files.reduce((a, b) => a + b)} files, ${Date.now() - t0} ms`);
  assert.ok(killed >= 10, `only ${killed} kills landed before the writer finished`);
});

test("two writers racing for the same partitions, each kill -9'd at random moments: every record once", {
  timeout: 300_000,
}, async () => {
  const cfg: WriterConfig = {
    dir: freshDir(),
    topic: 'race',
    partitions: 4,
    perPartition: 10_000,
    maxBatch: 300,
    rate: 8000,
    rotate: { records: 700, ms: 100 },
  };
  const t0 = Date.now();
  const kills = await Promise.all([crashLoop(cfg, 8, 'writer A'), crashLoop(cfg, 8, 'writer B')]);
  assertExactlyOnce(cfg);
  await assertClean(cfg);
  console.log(`# two writers: ${kills[0]} + ${kills[1]} kills, ${Date.now() - t0} ms`);
});

test('a full disk (a 256 KiB tmpfs): one clear, non-retriable SinkError; published files intact; the position unmoved', async (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    t.skip('needs root on Linux, to mount a small tmpfs');
    return;
  }
  const mnt = freshDir();
  mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,nr_inodes=200', 'tmpfs', mnt], {
    encoding: 'utf8',
  });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mount.stderr.trim()}`);
    return;
  }
  const dir = path.join(mnt, 'out');
  const files = () => published(path.join(dir, 't', '0'));
  const work = () =>
    readdirSync(path.join(dir, '.sluice', 'tmp')).flatMap((d) => readdirSync(path.join(dir, '.sluice', 'tmp', d)));
  const s = new JsonlStore({ dir });
  try {
    await s.open();
    await s.write('g', [part('t', 0, 0, 100, undefined)]);
    await s.flush('g', [tp('t', 0)]);
    const before = files();
    assert.equal(before.length, 1);

    // 1. The data does not fit: ~1.2 MB of lines into 256 KiB. Writes run behind (the next batch is
    // encoded meanwhile), so the error comes from the write or from the publish that waits for it.
    const overflow = async () => {
      await s.write('g', [part('t', 0, 100, 4196, 100, () => 'x'.repeat(200))]);
      await s.flush('g', [tp('t', 0)]);
    };
    await assert.rejects(overflow(), (e: SinkError) => {
      assert.ok(e instanceof SinkError, String(e));
      assert.equal(e.code, 'ENOSPC');
      assert.equal(e.retriable, false);
      assert.match(e.message, /t-0 offsets 100\.\.4195: no space left on the device \(the disk is full\)/);
      console.log(`# full disk, writing: ${e.message}`);
      return true;
    });
    assert.deepEqual(files(), before, 'published files unchanged');
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 100]]));
    assert.deepEqual(work(), [], 'the partial temp file is gone (and its space free)');

    // 2. The data fits but publishing does not: no inode left for the claim.
    const filler = path.join(mnt, 'filler');
    mkdirSync(filler);
    const free = statfsSync(mnt).ffree;
    for (let i = 0; i < free - 1; i++) writeFileSync(path.join(filler, String(i)), '');
    await s.write('g', [part('t', 0, 100, 150, 100)]);
    await assert.rejects(s.flush('g', [tp('t', 0)]), (e: SinkError) => {
      assert.ok(e instanceof SinkError, String(e));
      assert.equal(e.code, 'ENOSPC');
      assert.equal(e.retriable, false);
      assert.match(e.message, /cannot publish t-0 offsets 100\.\.149/);
      console.log(`# full disk, publishing: ${e.message}`);
      return true;
    });
    assert.deepEqual(files(), before);
    assert.deepEqual(await s.positions('g', [tp('t', 0)]), new Map([[tpKey('t', 0), 100]]));
    assert.deepEqual(work(), []);

    // 3. A read-only file system: EROFS, nothing stored.
    rmSync(filler, { recursive: true });
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    await assert.rejects(s.write('g', [part('t', 0, 100, 150, 100)]), (e: SinkError) => {
      assert.equal(e.code, 'EROFS');
      assert.equal(e.retriable, false);
      assert.match(e.message, /read-only/);
      return true;
    });
    assert.equal(spawnSync('mount', ['-o', 'remount,rw', mnt]).status, 0);

    // With room again, the writer goes on from the stored position.
    await s.write('g', [part('t', 0, 100, 150, 100)]);
    await s.close();
    assert.deepEqual(
      publishedOffsets(dir, 't', 0),
      Array.from({ length: 150 }, (_, i) => i),
    );
  } finally {
    await s.close().catch(() => {});
    spawnSync('umount', [mnt]);
  }
});

test('throughput: 1M records of ~100 bytes, batches of 4096, through write() and publish (a measurement, not a bound)', {
  timeout: 300_000,
}, async () => {
  const value = 'v'.repeat(90);
  const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`));
  const raw = Buffer.from(value);
  const PARTITIONS = 4;
  const TOTAL = 1_000_000;
  const BATCH = 4096;
  // Twice each: the machine is shared, one run may be slowed by others.
  for (const fsync of [true, false, true, false]) {
    const dir = freshDir();
    const s = new JsonlStore({ dir, fsync });
    await s.open();
    const at = new Array<number>(PARTITIONS).fill(0);
    let busy = 0;
    let bytes = 0;
    for (let done = 0, p = 0; done < TOTAL; p = (p + 1) % PARTITIONS) {
      // Building the batch is the runner's work, not the store's: outside the clock.
      const n = Math.min(BATCH, TOTAL - done);
      const records: SinkRecord[] = [];
      for (let i = 0; i < n; i++) {
        const offset = at[p]! + i;
        records.push({
          record: record('bench', p, offset, { key: keys[offset % 1000]!, value: raw }),
          value: `${offset}:${value}`,
        });
      }
      const w: PartitionWrite = {
        topic: 'bench',
        partition: p,
        expected: at[p] || undefined,
        next: at[p]! + n,
        records,
      };
      const t0 = performance.now();
      await s.write('g', [w]);
      busy += performance.now() - t0;
      at[p]! += n;
      done += n;
    }
    const t0 = performance.now();
    await s.close();
    busy += performance.now() - t0;
    for (let p = 0; p < PARTITIONS; p++) {
      const files = path.join(dir, 'bench', String(p));
      for (const f of readdirSync(files)) bytes += statSync(path.join(files, f)).size;
    }
    const rate = Math.round(TOTAL / (busy / 1000));
    console.log(
      `# jsonl append, fsync ${fsync ? 'on' : 'off'}: ${TOTAL} records (${(bytes / 1e6).toFixed(0)} MB of lines) in ${busy.toFixed(0)} ms: ${rate} rows/s (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    rmSync(dir, { recursive: true });
  }
});
