// runSink into PostgreSQL against the real broker and a real server: the crash loop (kill -9 ×50),
// and the server stopped mid-run and started again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { PostgresStore } from '../../src/sinks/postgres.js';
import { runSink } from '../../src/sinks/runner.js';
import { testEnv } from '../helpers/env.js';
import { uniqueName } from '../kafka/index.js';
import { sharedPostgres, startPostgres } from '../pg/index.js';
import { assertExactlyOnce, crashLoop, rebalanceRun } from './fixtures/crash-loop.js';

const env = testEnv();

/** Reads what a sink stored in `database` of the shared server. */
async function probe(name: string) {
  const pg = await sharedPostgres();
  const url = await pg.createDatabase(uniqueName(name).replaceAll('-', '_'));
  const database = new URL(url).pathname.slice(1);
  const rows = async (sql: string) => {
    try {
      return await pg.query(sql, [], database);
    } catch {
      return []; // the table is not there yet
    }
  };
  return {
    url,
    stored: async () =>
      (await rows('SELECT partition, "offset" FROM sluice_records')).map(
        (r) => [Number(r.partition), Number(r.offset)] as [number, number],
      ),
    count: async () => Number((await rows('SELECT count(*) AS n FROM sluice_records'))[0]?.n ?? 0),
  };
}

test('PostgreSQL sink killed 50 times mid-run: every record stored exactly once', { timeout: 400000 }, async () => {
  const { url, stored, count } = await probe('crash');
  const line = await crashLoop({ env, store: { kind: 'postgres', options: { url } }, stored, count });
  console.log(`# postgres: ${line}`);
});

test('PostgreSQL stopped mid-run and started again: the sink waits, retries and resumes; nothing lost or doubled', {
  timeout: 120000,
}, async () => {
  const pg = await startPostgres();
  try {
    const topic = uniqueName('pgstop');
    const PARTITIONS = 4;
    const PER = 5000;
    await env.producer.createTopic(topic, PARTITIONS);
    await env.producer.fillGenerated(topic, PARTITIONS, PER, (p, i) => ({ key: `k${i}`, value: `${p}:${i}` }), {
      batch: 50,
    });
    const count = async () => {
      try {
        return Number((await pg.query('SELECT count(*) AS n FROM sluice_records'))[0]!.n);
      } catch {
        return -1;
      }
    };
    const store = new PostgresStore({ url: pg.url });
    // Slow writes (small fetches, a pause per write) so the stop comes mid-run.
    const write = store.write.bind(store);
    store.write = async (g, parts) => {
      await new Promise((r) => setTimeout(r, 5));
      return write(g, parts);
    };
    const stop = new AbortController();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
    const run = runSink({
      consumer: {
        brokers: env.kafka.bootstrap,
        groupId: uniqueName('g'),
        autoOffsetReset: 'earliest',
        maxPartitionFetchBytes: 8192,
        logger,
      },
      topics: topic,
      store,
      retry: { minDelayMs: 50, maxDelayMs: 500 },
      signal: stop.signal,
    });
    let failed: unknown;
    run.catch((e: unknown) => (failed = e));
    const until = async (what: string, check: (n: number) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      for (let n = await count(); !check(n); n = await count()) {
        if (failed) throw failed;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (at ${n})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until('a third stored', (n) => n >= (PARTITIONS * PER) / 3, 60000);
    await pg.stop();
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(failed, undefined, 'the sink kept going while the database was down');
    await pg.start();
    await until('everything stored', (n) => n === PARTITIONS * PER, 60000);
    stop.abort();
    await run;
    const stored = (await pg.query('SELECT partition, "offset" FROM sluice_records')).map(
      (r) => [Number(r.partition), Number(r.offset)] as [number, number],
    );
    assertExactlyOnce(stored, PARTITIONS, PER);
    const retries = warnings.filter((w) => /retrying/.test(w)).length;
    assert.ok(retries >= 2, `${retries} retries logged while the database was down`);
    console.log(`# postgres stopped for 2 s mid-run: ${retries} retries logged, then everything stored once`);
  } finally {
    await pg.close();
  }
});

test('PostgreSQL sink: a second sink process joins, then leaves, mid-run: every record stored exactly once', {
  timeout: 200000,
}, async () => {
  const { url, stored, count } = await probe('rebalance');
  const line = await rebalanceRun({ env, store: { kind: 'postgres', options: { url } }, stored, count });
  console.log(`# postgres rebalance: ${line}`);
});
