// runSink into SQLite against the real broker: everything stored once, positions from the store win
// over Kafka's on restart, Kafka's committed offsets follow, and undecodable records follow onError.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Admin } from '../../src/admin/admin.js';
import { silentLogger } from '../../src/logger.js';
import { readDeadLetter } from '../../src/processing/headers.js';
import { Producer } from '../../src/producer/producer.js';
import { SinkDecodeError, SinkError } from '../../src/sinks/errors.js';
import { runSink, type SinkRunOptions } from '../../src/sinks/runner.js';
import { SqliteStore } from '../../src/sinks/sqlite.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { readAll } from '../processing/fixtures/topics.js';

const env = testEnv('sluice-sink-');

/** Runs a sink until `done(db)` holds (checked every 100 ms), then stops it. */
async function sinkUntil(
  options: Omit<SinkRunOptions, 'signal' | 'consumer'> & { groupId: string },
  dbPath: string,
  done: (db: Database.Database) => boolean,
  timeoutMs = 30000,
): Promise<void> {
  const stop = new AbortController();
  const deadline = Date.now() + timeoutMs;
  const { groupId, ...rest } = options;
  const run = runSink({
    ...rest,
    consumer: { brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest', logger: silentLogger },
    signal: stop.signal,
  });
  let failed: unknown;
  run.catch((e: unknown) => (failed = e));
  try {
    for (;;) {
      if (failed) throw failed;
      let ok = false;
      try {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          ok = done(db);
        } finally {
          db.close();
        }
      } catch {
        // Not created yet.
      }
      if (ok) break;
      if (Date.now() > deadline) throw new Error('sink did not get there in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    stop.abort();
    await run.catch(() => {});
  }
}

const count =
  (table = 'sluice_records') =>
  (db: Database.Database) =>
    (db.prepare(`SELECT count(*) n FROM ${table}`).get() as { n: number }).n;

test('append into SQLite: each record once; on restart the store’s positions win over Kafka’s', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('sink');
  const groupId = uniqueName('g');
  const dbPath = path.join(env.dir, `${groupId}.db`);
  await env.producer.createTopic(topic, 4);
  await env.producer.fillGenerated(topic, 4, 2500, (p, i) => ({
    key: `k${i}`,
    value: `${p}:${i}`,
    headers: { h: 'x' },
  }));
  const store = () => new SqliteStore({ path: dbPath });
  await sinkUntil({ groupId, topics: topic, store: store() }, dbPath, (db) => count()(db) === 10000);
  // Kafka's committed offsets followed the store.
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    const committed = await admin.listGroupOffsets(groupId);
    assert.deepEqual(
      committed.map((c) => c.offset),
      [2500, 2500, 2500, 2500],
    );
    // Move Kafka's offsets back to the start: the store's positions must win.
    await admin.alterGroupOffsets(
      groupId,
      [0, 1, 2, 3].map((partition) => ({ topic, partition, offset: 0 })),
    );
  } finally {
    admin.close();
  }
  await env.producer.fillGenerated(topic, 4, 250, (p, i) => ({ key: `k${i}`, value: `${p}:new${i}` }));
  await sinkUntil({ groupId, topics: topic, store: store() }, dbPath, (db) => count()(db) >= 11000);
  await new Promise((r) => setTimeout(r, 200));
  const db = new Database(dbPath, { readonly: true });
  try {
    assert.equal(count()(db), 11000);
    const dupes = db
      .prepare(
        'SELECT count(*) n FROM (SELECT partition, "offset" FROM sluice_records GROUP BY 1, 2 HAVING count(*) > 1)',
      )
      .get() as { n: number };
    assert.equal(dupes.n, 0);
    const perPartition = db
      .prepare('SELECT partition, count(*) n, max("offset") hi FROM sluice_records GROUP BY partition')
      .all();
    assert.deepEqual(
      perPartition,
      [0, 1, 2, 3].map((partition) => ({ partition, n: 2750, hi: 2749 })),
    );
    const positions = db
      .prepare('SELECT partition, next_offset FROM sluice_offsets WHERE group_id = ? ORDER BY partition')
      .all(groupId);
    assert.deepEqual(
      positions,
      [0, 1, 2, 3].map((partition) => ({ partition, next_offset: 2750 })),
    );
    const row = db.prepare('SELECT * FROM sluice_records WHERE partition = 2 AND "offset" = 5').get() as Record<
      string,
      unknown
    >;
    assert.equal(row.value, '2:5');
    assert.equal((row.key as Buffer).toString(), 'k5');
    assert.equal(row.headers, '[["h","x"]]');
  } finally {
    db.close();
  }
});

test('upsert into SQLite from Kafka, with tombstones', { timeout: 60000 }, async () => {
  const topic = uniqueName('upsert');
  const groupId = uniqueName('g');
  const dbPath = path.join(env.dir, `${groupId}.db`);
  await env.producer.createTopic(topic, 2);
  // Key k<j> on partition j % 2; 10 versions each; keys divisible by 3 end with a tombstone.
  for (let p = 0; p < 2; p++) {
    const records = [];
    for (let v = 0; v < 10; v++) for (let j = p; j < 40; j += 2) records.push({ key: `k${j}`, value: `k${j}v${v}` });
    for (let j = p; j < 40; j += 2) if (j % 3 === 0) records.push({ key: `k${j}`, value: null });
    await env.producer.send(topic, p, records);
  }
  await sinkUntil(
    { groupId, topics: topic, store: new SqliteStore({ path: dbPath, mode: 'upsert' }) },
    dbPath,
    (db) => {
      const pos = db.prepare('SELECT sum(next_offset) n FROM sluice_offsets').get() as { n: number | null };
      return pos.n === 2 * (200 + 7);
    },
  );
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM sluice_latest ORDER BY key').all() as Array<{
      key: Buffer;
      value: string;
    }>;
    const expected = Array.from({ length: 40 }, (_, j) => j)
      .filter((j) => j % 3 !== 0)
      .map((j) => ({ key: `k${j}`, value: `k${j}v9` }))
      .sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(
      rows.map((r) => ({ key: r.key.toString(), value: r.value })),
      expected,
    );
  } finally {
    db.close();
  }
});

test('records that cannot be decoded: fail stops before them, skip stores the rest, dlq copies them out', {
  timeout: 90000,
}, async () => {
  const topic = uniqueName('decode');
  await env.producer.createTopic(topic, 1);
  await env.producer.send(
    topic,
    0,
    Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: i % 25 === 10 ? '{broken' : JSON.stringify({ i }) })),
  );
  // fail: stops with a SinkDecodeError naming the record; nothing at or after it is stored.
  {
    const groupId = uniqueName('g');
    const dbPath = path.join(env.dir, `${groupId}.db`);
    const err = await runSink({
      consumer: { brokers: env.kafka.bootstrap, groupId, autoOffsetReset: 'earliest', logger: silentLogger },
      topics: topic,
      store: new SqliteStore({ path: dbPath }),
      value: 'json',
      signal: AbortSignal.timeout(20000),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SinkDecodeError, String(err));
    assert.equal(err.offset, 10);
    const db = new Database(dbPath, { readonly: true });
    try {
      const stored = db.prepare('SELECT max("offset") hi, count(*) n FROM sluice_records').get() as {
        hi: number | null;
        n: number;
      };
      assert.ok(stored.hi === null || stored.hi < 10, `stored up to ${stored.hi}`);
    } finally {
      db.close();
    }
  }
  // skip and dlq: the other 96 stored; dlq copies the 4 with Spring's headers.
  const producer = new Producer({ brokers: env.kafka.bootstrap });
  const admin = new Admin({ brokers: env.kafka.bootstrap });
  try {
    for (const onError of ['skip', 'dlq'] as const) {
      const groupId = uniqueName('g');
      const dbPath = path.join(env.dir, `${groupId}.db`);
      await sinkUntil(
        {
          groupId,
          topics: topic,
          store: new SqliteStore({ path: dbPath }),
          value: 'json',
          onError,
          ...(onError === 'dlq' ? { deadLetter: { producer, admin } } : {}),
        },
        dbPath,
        (db) => (db.prepare('SELECT next_offset n FROM sluice_offsets').get() as { n: number } | undefined)?.n === 100,
      );
      const db = new Database(dbPath, { readonly: true });
      try {
        const rows = db.prepare('SELECT "offset", value FROM sluice_records ORDER BY "offset"').all() as Array<{
          offset: number;
          value: string;
        }>;
        assert.equal(rows.length, 96);
        assert.ok(rows.every((r) => r.offset % 25 !== 10));
        assert.deepEqual(JSON.parse(rows[11]!.value), { i: 12 });
      } finally {
        db.close();
      }
    }
    const dlq = await readAll(env.kafka.bootstrap, `${topic}.dlq`, 4);
    assert.deepEqual(
      dlq.map((r) => readDeadLetter(r.headers).offset),
      [10, 35, 60, 85],
    );
    assert.equal(readDeadLetter(dlq[0]!.headers).exceptionName, 'SyntaxError');
  } finally {
    await producer.close();
    admin.close();
  }
});

test('a full disk stops the sink with one clear error; neither the store nor Kafka is committed past what was stored', {
  timeout: 60000,
}, async () => {
  // A 1 MiB tmpfs (we run as root, in CI too): SQLite fails with SQLITE_FULL when it is used up.
  const mnt = path.join(env.dir, 'full');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  try {
    const topic = uniqueName('full');
    const groupId = uniqueName('g');
    await env.producer.createTopic(topic, 2);
    await env.producer.fillGenerated(
      topic,
      2,
      5000,
      (p, i) => ({ key: `k${i}`, value: `${p}:${i}:${'x'.repeat(200)}` }),
      {
        batch: 100,
      },
    );
    const dbPath = path.join(mnt, 'full.db');
    const err = await runSink({
      consumer: {
        brokers: env.kafka.bootstrap,
        groupId,
        autoOffsetReset: 'earliest',
        maxPartitionFetchBytes: 65536,
        logger: silentLogger,
      },
      topics: topic,
      store: new SqliteStore({ path: dbPath }),
      signal: AbortSignal.timeout(30000),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SinkError, String(err));
    assert.equal(err.code, 'SQLITE_FULL');
    assert.equal(err.retriable, false);
    assert.match(err.message, /full/i);
    const db = new Database(dbPath, { readonly: true });
    let positions: Array<{ partition: number; next_offset: number }>;
    try {
      positions = db
        .prepare('SELECT partition, next_offset FROM sluice_offsets ORDER BY partition')
        .all() as typeof positions;
      for (const { partition, next_offset } of positions) {
        const r = db
          .prepare('SELECT count(*) n, max("offset") hi FROM sluice_records WHERE partition = ?')
          .get(partition) as { n: number; hi: number };
        assert.deepEqual(r, { n: next_offset, hi: next_offset - 1 }, 'rows match the stored position');
      }
    } finally {
      db.close();
    }
    const stored = new Map(positions.map((p) => [p.partition, p.next_offset]));
    assert.ok([...stored.values()].reduce((a, b) => a + b, 0) < 10000, 'the disk filled before the end');
    const admin = new Admin({ brokers: env.kafka.bootstrap });
    try {
      for (const c of await admin.listGroupOffsets(groupId)) {
        assert.ok(
          c.offset <= (stored.get(c.partition) ?? 0),
          `Kafka committed ${c.offset} for ${c.partition}, stored ${stored.get(c.partition)}`,
        );
      }
    } finally {
      admin.close();
    }
    console.log(`# disk full after ${[...stored.values()].join(' + ')} records: ${err.message}`);
  } finally {
    execFileSync('umount', [mnt]);
  }
});
