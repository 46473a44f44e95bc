// Key-ordered parallel delivery (`run({ concurrency, ordering })`) against the real broker: per-key order
// with 64 handlers at once, also across a rebalance; commits only up to the contiguous completed offset;
// a kill -9 mid-stream loses nothing.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { Consumer } from '../../src/consumer/consumer.js';
import { testEnv } from '../helpers/env.js';
import { FakeCluster } from '../helpers/fake-broker.js';
import { uniqueName, waitFor } from '../kafka/index.js';
import { GroupProbe, Member, readLog } from './fixtures/children.js';
import { missing, processedRecords, uncommittedWindow, unexplainedDuplicates } from './fixtures/ownership.js';

const env = testEnv('sluice-parallel-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const assignor of ['cooperative-sticky', 'range'] as const) {
  test(`64 handlers at once over 100k records of 1k keys: per-key order holds, also across a rebalance (${assignor})`, {
    timeout: 180000,
  }, async () => {
    const PARTITIONS = 8;
    const PER = 12_500; // 100k records
    const KEYS = 125; // per partition: 1,000 keys
    const topic = uniqueName('par');
    const groupId = uniqueName('g');
    await env.producer.createTopic(topic, PARTITIONS);
    await env.producer.fillGenerated(
      topic,
      PARTITIONS,
      PER,
      (p, i) => ({ key: `${p}-${i % KEYS}`, value: String(i) }),
      {
        batch: 2000,
      },
    );
    const last = new Map<string, number>();
    const outOfOrder: string[] = [];
    let processed = 0;
    const byMember = { a: 0, b: 0 };
    let active = 0;
    let maxActive = 0;
    const onRecord = (name: 'a' | 'b') => async (r: { key: Buffer | null; value: Buffer | null }) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const key = String(r.key);
      const seq = Number(String(r.value));
      const before = last.get(key) ?? -1;
      // Strictly after the key's previous record: never out of order, never again (a graceful
      // rebalance waits for in-flight records and commits them first).
      if (seq <= before && outOfOrder.length < 10) outOfOrder.push(`${name}: ${key} #${seq} after #${before}`);
      last.set(key, seq);
      await sleep(Math.random() < 0.5 ? 1 : 0);
      active--;
      processed++;
      byMember[name]++;
    };
    const opts = {
      brokers: env.kafka.bootstrap,
      groupId,
      autoOffsetReset: 'earliest' as const,
      heartbeatIntervalMs: 500,
      assignors: [assignor],
    };
    const a = new Consumer(opts);
    const b = new Consumer(opts);
    a.subscribe(topic);
    b.subscribe(topic);
    const runs = [a.run({ eachMessage: onRecord('a'), concurrency: 64 })];
    try {
      await waitFor(() => processed > 20_000, { what: 'a is busy', timeoutMs: 60000 });
      runs.push(b.run({ eachMessage: onRecord('b'), concurrency: 64 }));
      await waitFor(() => processed >= PARTITIONS * PER, { what: 'every record', timeoutMs: 120000 });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all(runs);
    }
    console.log(
      `# ${processed} records, 64-way, most handlers at once ${maxActive}; a ${byMember.a}, b (joined mid-way) ${byMember.b}`,
    );
    assert.ok(byMember.b > 10_000, 'the rebalance happened mid-stream');
    assert.deepEqual(outOfOrder, []);
    assert.equal(processed, PARTITIONS * PER, 'each record once');
    assert.ok(maxActive > 8, `handlers ran side by side (${maxActive})`);
  });
}

test('commits stop at the first record still running: a slow record holds the commit, not the others', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append(
      't',
      0,
      Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const consumer = new Consumer({
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest',
      autoCommitIntervalMs: 50,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    consumer.subscribe('t');
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    let done = 0;
    const run = consumer.run({
      concurrency: 8,
      eachMessage: async (r) => {
        if (r.offset === 5) await slow;
        done++;
      },
    });
    await waitFor(() => done === 99, { what: 'every record but the slow one' });
    await sleep(300);
    assert.equal(c.committed('g', 't', 0), 5, 'committed up to the slow record only');
    release();
    await waitFor(() => c.committed('g', 't', 0) === 100, { what: 'the commit to move on' });
    await consumer.close();
    await run;
  } finally {
    await c.close();
  }
});

test('kill -9 during parallel processing, then a restart: no record lost', { timeout: 120000 }, async () => {
  const PARTITIONS = 4;
  const PER = 5000;
  const topic = uniqueName('parkill');
  const groupId = uniqueName('g');
  await env.producer.createTopic(topic, PARTITIONS);
  await env.producer.fillGenerated(topic, PARTITIONS, PER, (p, i) => ({ key: `${p}-${i % 50}`, value: String(i) }), {
    batch: 1000,
  });
  const cfg = (name: string) => ({
    bootstrap: env.kafka.bootstrap,
    groupId,
    topic,
    log: path.join(env.dir, `${groupId}-${name}.jsonl`),
    options: { autoCommitIntervalMs: 200 },
    parallel: 32,
    // Every record takes ~5 ms: about 6k records/s with 32 at once, so the kill comes after commits.
    pauseEvery: 1,
    pauseMs: 5,
  });
  const probe = new GroupProbe(env.kafka.bootstrap, groupId);
  const victim = new Member('victim', cfg('victim'));
  let second: Member | undefined;
  try {
    await victim.until('mid-stream', () => victim.processed > (PARTITIONS * PER) / 3, 60000);
    await victim.kill9();
    second = new Member('second', cfg('second'));
    await probe.waitCommitted(topic, PARTITIONS, () => PER, 90000);
    await second.close();
    const logs = [victim, second].map((m) => ({ name: m.name, events: readLog(m.cfg.log), killedAt: m.killedAt }));
    const records = processedRecords(logs);
    assert.deepEqual([...missing(records, PARTITIONS, PER)], [], 'every record processed');
    // Duplicates only from what the victim finished after its last accepted commit (which, with
    // parallel delivery, is its contiguous completed offset).
    assert.deepEqual(unexplainedDuplicates(records, logs[0]).slice(0, 5), []);
    const bound = [...uncommittedWindow(logs[0]!).values()].reduce((a, b) => a + b, 0);
    const dupes = records.length - PARTITIONS * PER;
    assert.ok(dupes <= bound, `${dupes} duplicates within the victim's uncommitted window of ${bound}`);
    console.log(
      `# kill -9 mid-stream (32-way): ${records.length} processed for ${PARTITIONS * PER}; ${dupes} duplicates, window ${bound}`,
    );
  } finally {
    probe.close();
    await Promise.all([victim.destroy(), second?.destroy()]);
  }
});

test('retryAfter in parallel delivery: the record and later records of its key wait, the other keys go on', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append(
      't',
      0,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 4}`, value: String(i) })),
    );
    const consumer = new Consumer({
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    consumer.subscribe('t');
    const order: number[] = [];
    let retried = 0;
    let retriedAt = 0;
    await consumer.run({
      concurrency: 8,
      eachMessage: async (r, ctx) => {
        await sleep(1);
        if (r.offset === 1 && retried++ === 0) {
          retriedAt = Date.now();
          ctx.retryAfter(300);
          return;
        }
        order.push(r.offset);
        if (order.length === 40) setImmediate(() => consumer.close());
      },
      signal: AbortSignal.timeout(10000),
    });
    const k1 = order.filter((o) => o % 4 === 1);
    assert.deepEqual(k1, [1, 5, 9, 13, 17, 21, 25, 29, 33, 37], 'key k1 kept its order through the retry');
    assert.ok(order.indexOf(1) > order.indexOf(38), 'the other keys went on meanwhile');
    assert.ok(Date.now() - retriedAt >= 300);
    assert.equal(c.committed('g', 't', 0), 40);
  } finally {
    await c.close();
  }
});

test('close() from a parallel handler does not wait for itself', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append(
      't',
      0,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const consumer = new Consumer({
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    consumer.subscribe('t');
    let took = -1;
    await consumer.run({
      concurrency: 4,
      eachMessage: async (r) => {
        await sleep(2);
        if (r.offset === 10) {
          const t0 = Date.now();
          await consumer.close();
          took = Date.now() - t0;
        }
      },
    });
    assert.ok(took >= 0 && took < 5000, `close from a parallel handler took ${took} ms`);
  } finally {
    await c.close();
  }
});

test('more records waiting on retryAfter than the pending bound: they come back and finish', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    const N = 6000; // above concurrency + 4096 pending records
    c.append(
      't',
      0,
      Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: String(i) })),
    );
    const consumer = new Consumer({
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    consumer.subscribe('t');
    const retried = new Set<number>();
    let done = 0;
    await consumer.run({
      concurrency: 4,
      ordering: 'unordered',
      eachMessage: (r, ctx) => {
        if (!retried.has(r.offset)) {
          retried.add(r.offset);
          ctx.retryAfter(200);
          return;
        }
        if (++done === N) setImmediate(() => consumer.close());
      },
      signal: AbortSignal.timeout(20000),
    });
    assert.equal(done, N);
    assert.equal(c.committed('g', 't', 0), N);
  } finally {
    await c.close();
  }
});

test('a revoke drops records waiting on retryAfter at once: the new owner gets them', async () => {
  const c = await FakeCluster.start({ topics: [{ name: 't', partitions: 1 }] });
  try {
    c.append(
      't',
      0,
      Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: String(i) })),
    );
    const options = {
      brokers: c.bootstrap,
      groupId: 'g',
      autoOffsetReset: 'earliest' as const,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    };
    const first = new Consumer(options);
    first.subscribe('t');
    let waiting = 0;
    const run = first.run({
      concurrency: 4,
      eachMessage: (r, ctx) => {
        if (r.offset >= 20) {
          waiting++;
          ctx.retryAfter(60000);
        }
      },
    });
    await waitFor(() => waiting >= 5, { timeoutMs: 10000, what: 'records waiting' });
    const t0 = Date.now();
    await first.close();
    await run;
    const closeMs = Date.now() - t0;
    assert.ok(closeMs < 5000, `close with records waiting 60 s took ${closeMs} ms`);
    assert.equal(c.committed('g', 't', 0), 20, 'committed up to the first waiting record');
    const second = new Consumer(options);
    second.subscribe('t');
    const seen: number[] = [];
    await second.run({
      concurrency: 4,
      eachMessage: (r) => {
        seen.push(r.offset);
        if (seen.length === 30) setImmediate(() => second.close());
      },
      signal: AbortSignal.timeout(10000),
    });
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => 20 + i),
    );
  } finally {
    await c.close();
  }
});
