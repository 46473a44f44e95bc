// `npm run bench:sink`: rows/s into SQLite, PostgreSQL and JSONL through runSink (exactly-once: rows
// and positions in one transaction per batch), against the naive loop users write first — a plain
// consumer inserting each record on its own (one transaction per record) — measured in the same run,
// on the same broker and data: `--records` records of 100-byte values (default 1M) in 8 partitions.
// The naive loops run over `--naive` records (default 20k): at their speed 1M would take many minutes.
// A fresh broker (bench mode) and PostgreSQL server are started unless given. Prints a table and writes
// bench/results/sink-<date>.json.
//   npm run bench:sink [-- --records 1000000 --naive 20000 --bootstrap host:port --pg-url postgres://…]
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Consumer } from '../src/consumer/consumer.js';
import type { ConsumerRecord } from '../src/consumer/record.js';
import { silentLogger } from '../src/logger.js';
import { runSink } from '../src/sinks/runner.js';
import type { SinkStore } from '../src/sinks/types.js';
import { TestProducer } from '../test/helpers/produce.js';
import { startPostgres } from '../test/pg/index.js';
import { root } from './lib/clients.js';
import { startBenchKafka } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    naive: { type: 'string', default: '20000' },
    bootstrap: { type: 'string' },
    'pg-url': { type: 'string' },
    only: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const NAIVE = Number(values.naive);
const PARTITIONS = 8;
const only = values.only?.split(',');

interface Row {
  name: string;
  records: number;
  rowsPerSec: number;
  cpuPerSec: number;
}

/** Runs runSink into `store` until `records` rows are stored; rows/s from the first write's start to the last's end. */
async function sinkCase(
  bootstrap: string,
  topic: string,
  store: SinkStore,
  records: number,
): Promise<Omit<Row, 'name'>> {
  const write = store.write.bind(store);
  const stop = new AbortController();
  let stored = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  let elapsed = 0;
  let cpu = { user: 0, system: 0 };
  store.write = async (groupId, parts) => {
    if (t0 === 0) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    }
    await write(groupId, parts);
    for (const p of parts) stored += p.records.length;
    if (stored >= records && !stop.signal.aborted) {
      elapsed = performance.now() - t0;
      cpu = process.cpuUsage(cpu0);
      stop.abort();
    }
  };
  await runSink({
    consumer: {
      brokers: bootstrap,
      groupId: `bench-${Date.now()}-${Math.random()}`,
      autoOffsetReset: 'earliest',
      logger: silentLogger,
    },
    topics: topic,
    store,
    signal: stop.signal,
  });
  return { records: stored, rowsPerSec: (stored / elapsed) * 1000, cpuPerSec: (cpu.user + cpu.system) / 1e3 / elapsed };
}

/** A plain consumer whose handler stores each record on its own; `insert` does one record. */
async function naiveCase(
  bootstrap: string,
  topic: string,
  records: number,
  insert: (r: ConsumerRecord) => unknown,
): Promise<Omit<Row, 'name'>> {
  const consumer = new Consumer({
    brokers: bootstrap,
    groupId: `bench-naive-${Date.now()}-${Math.random()}`,
    autoOffsetReset: 'earliest',
    logger: silentLogger,
  });
  consumer.subscribe(topic);
  let n = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  let elapsed = 0;
  let cpu = { user: 0, system: 0 };
  await consumer.run({
    eachMessage: async (r) => {
      if (n === records) return;
      if (n === 0) {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      await insert(r);
      if (++n === records) {
        elapsed = performance.now() - t0;
        cpu = process.cpuUsage(cpu0);
        setImmediate(() => void consumer.close());
      }
    },
  });
  return { records: n, rowsPerSec: (n / elapsed) * 1000, cpuPerSec: (cpu.user + cpu.system) / 1e3 / elapsed };
}

const dir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-sink-'));
const kafka = await startBenchKafka(values.bootstrap);
const server = values['pg-url'] ? undefined : await startPostgres();
const pgUrl = values['pg-url'] ?? server!.url;
const rows: Row[] = [];
const want = (name: string) => !only || only.some((o) => name.toLowerCase().includes(o));
try {
  const producer = new TestProducer(kafka.bootstrap);
  const topic = `bench-sink-${Date.now()}`;
  await producer.createTopic(topic, PARTITIONS);
  await producer.fillGenerated(
    topic,
    PARTITIONS,
    Math.ceil(RECORDS / PARTITIONS),
    (p, i) => ({ key: `k${i % 10000}`, value: `${p}:${i}:`.padEnd(100, 'x') }),
    { batch: 5000 },
  );
  producer.close();
  const run = async (name: string, f: () => Promise<Omit<Row, 'name'>>) => {
    if (!want(name)) return;
    const r = { name, ...(await f()) };
    rows.push(r);
    console.error(`${name}: ${Math.round(r.rowsPerSec).toLocaleString('en-US')} rows/s (${r.records} rows)`);
  };
  const { SqliteStore } = await import('../src/sinks/sqlite.js');
  const { PostgresStore } = await import('../src/sinks/postgres.js');
  await run('SQLite, runSink (exactly-once)', () =>
    sinkCase(kafka.bootstrap, topic, new SqliteStore({ path: path.join(dir, 'sink.db') }), RECORDS),
  );
  await run('SQLite, naive: INSERT per record', () => {
    const db = new Database(path.join(dir, 'naive.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = full');
    db.exec('CREATE TABLE t (topic TEXT, partition INTEGER, "offset" INTEGER, key BLOB, value TEXT)');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?)');
    return naiveCase(kafka.bootstrap, topic, NAIVE, (r) =>
      insert.run(r.topic, r.partition, r.offset, r.key, r.value!.toString()),
    ).finally(() => db.close());
  });
  await run('PostgreSQL, runSink (exactly-once)', () =>
    sinkCase(kafka.bootstrap, topic, new PostgresStore({ url: pgUrl, table: `bench_${Date.now()}` }), RECORDS),
  );
  await run('PostgreSQL, naive: INSERT per record', async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const table = `naive_${Date.now()}`;
    await client.query(`CREATE TABLE ${table} (topic text, partition int, "offset" bigint, key bytea, value text)`);
    try {
      return await naiveCase(kafka.bootstrap, topic, NAIVE, (r) =>
        client.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5)`, [
          r.topic,
          r.partition,
          r.offset,
          r.key,
          r.value!.toString(),
        ]),
      );
    } finally {
      await client.end();
    }
  });
  const jsonlModule = '../src/sinks/jsonl.js';
  const jsonl = (await import(jsonlModule).catch(() => undefined)) as
    | { JsonlStore: new (o: { dir: string }) => SinkStore }
    | undefined;
  if (jsonl) {
    await run('JSONL, runSink (exactly-once)', () =>
      sinkCase(kafka.bootstrap, topic, new jsonl.JsonlStore({ dir: path.join(dir, 'jsonl') }), RECORDS),
    );
    await run('JSONL, naive: appendFileSync per record', () => {
      const file = path.join(dir, 'naive.jsonl');
      return naiveCase(kafka.bootstrap, topic, NAIVE, (r) =>
        appendFileSync(
          file,
          `${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, value: r.value!.toString() })}\n`,
        ),
      );
    });
  }
  const goals: Record<string, number> = { SQLite: 250_000, PostgreSQL: 150_000, JSONL: 500_000 };
  const lines = [
    '| case | rows | rows/s | CPU (cores) |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.records.toLocaleString('en-US')} | ${Math.round(r.rowsPerSec).toLocaleString('en-US')} | ${r.cpuPerSec.toFixed(2)} |`,
    ),
    '',
    ...Object.entries(goals).flatMap(([store, goal]) => {
      const sink = rows.find((r) => r.name.startsWith(store) && r.name.includes('runSink'));
      const naive = rows.find((r) => r.name.startsWith(store) && r.name.includes('naive'));
      if (!sink) return [];
      const vs = naive ? `, ${(sink.rowsPerSec / naive.rowsPerSec).toFixed(0)}× the naive loop` : '';
      const met = sink.rowsPerSec >= goal ? 'met' : 'NOT met';
      return [
        `${store}: ${Math.round(sink.rowsPerSec).toLocaleString('en-US')} rows/s (goal ≥ ${goal.toLocaleString('en-US')}: ${met})${vs}`,
      ];
    }),
  ];
  console.log(lines.join('\n'));
  const out = path.join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, `sink-${new Date().toISOString().slice(0, 10)}.json`),
    `${JSON.stringify({ records: RECORDS, naive: NAIVE, partitions: PARTITIONS, node: process.version, rows }, null, 2)}\n`,
  );
} finally {
  await server?.close();
  await kafka.close();
  rmSync(dir, { recursive: true, force: true });
}
