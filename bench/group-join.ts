// `npm run bench:group-join`: the group protocols compared, classic (cooperative-sticky, and range =
// eager) against KIP-848 `consumer`, on one broker:
//   - join to first record: a consumer of a fresh group on a filled topic, from run() to its first
//     record (median of --runs);
//   - the pause of unaffected partitions when a member joins: two members consume a topic written
//     to continuously (every partition every --every ms); a third joins; for the partitions the first
//     member keeps throughout, the longest gap between two records it delivered from --join-window
//     ms before the join to the third member's first record + the same window. With a stop-the-world
//     (eager) rebalance that gap spans the rebalance; an incremental one should not show it.
//   npm run bench:group-join [-- --runs 5] [--every 10] [--bootstrap host:port]
import { parseArgs } from 'node:util';
import { Consumer } from '../src/consumer/consumer.js';
import type { ConsumerOptions } from '../src/consumer/options.js';
import { Producer } from '../src/producer/producer.js';
import { createTopic, startBenchKafka } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    every: { type: 'string', default: '10' },
    bootstrap: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const EVERY = Number(values.every);
const PARTITIONS = 6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const uid = () => `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Variant = { name: string; options: Partial<ConsumerOptions> };
const variants: Variant[] = [
  {
    name: 'classic, range (eager)',
    options: { assignors: ['range'], heartbeatIntervalMs: 1000, sessionTimeoutMs: 10000 },
  },
  {
    name: 'classic, cooperative-sticky',
    options: { assignors: ['cooperative-sticky'], heartbeatIntervalMs: 1000, sessionTimeoutMs: 10000 },
  },
  { name: 'consumer (KIP-848)', options: { groupProtocol: 'consumer' } },
];

const kafka = await startBenchKafka(values.bootstrap);
const producer = new Producer({ brokers: kafka.bootstrap, lingerMs: 0 });
try {
  const filled = `bench-join-${uid()}`;
  await createTopic(kafka.bootstrap, filled, PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++)
    await producer.send({ topic: filled, messages: Array.from({ length: 100 }, () => ({ value: 'x', partition: p })) });

  const rows: string[] = [];
  for (const v of variants) {
    const joins: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const c = new Consumer({
        brokers: kafka.bootstrap,
        groupId: `bench-${uid()}`,
        autoOffsetReset: 'earliest',
        ...v.options,
      });
      c.subscribe(filled);
      const t0 = performance.now();
      let first = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${v.name}: no record within 60 s`)), 60000);
        c.run({
          eachMessage: () => {
            if (!first) {
              first = performance.now() - t0;
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
      joins.push(first);
      await c.close();
    }

    // Pause of unaffected partitions while a third member joins.
    const topic = `bench-pause-${uid()}`;
    await createTopic(kafka.bootstrap, topic, PARTITIONS);
    let producing = true;
    const writer = (async () => {
      for (let n = 0; producing && n < 1e6; n++) {
        await producer.send({
          topic,
          messages: Array.from({ length: PARTITIONS }, (_, p) => ({ value: `${n}`, partition: p })),
        });
        await sleep(EVERY);
      }
    })();
    const groupId = `bench-${uid()}`;
    const member = (name: string) => {
      const c = new Consumer({
        brokers: kafka.bootstrap,
        groupId,
        autoOffsetReset: 'latest',
        clientId: name,
        ...v.options,
      });
      const seen: { p: number; t: number }[] = [];
      const revoked = new Set<number>();
      const owned = new Set<number>();
      c.subscribe(topic, {
        onPartitionsAssigned: (ps) => {
          for (const p of ps) owned.add(p.partition);
        },
        onPartitionsRevoked: (ps) =>
          ps.forEach((p) => {
            revoked.add(p.partition);
            owned.delete(p.partition);
          }),
      });
      const running = c.run({ eachMessage: (r) => void seen.push({ p: r.partition, t: performance.now() }) });
      running.catch(() => {});
      return { c, seen, owned, revoked };
    };
    const a = member('a');
    const b = member('b');
    const until = async (what: string, f: () => boolean) => {
      for (let i = 0; i < 600 && !f(); i++) await sleep(100);
      if (!f()) throw new Error(`${v.name}: ${what} did not happen within 60 s`);
    };
    await until(
      'two members settled',
      () => a.owned.size > 0 && b.owned.size > 0 && a.owned.size + b.owned.size === PARTITIONS,
    );
    await sleep(2000);
    const before = new Set(a.owned);
    a.revoked.clear();
    const joinAt = performance.now();
    const c3 = member('c');
    await until('third member consuming', () => c3.seen.length > 0);
    const firstC = c3.seen[0]!.t;
    await sleep(2000);
    // Partitions the first member has before and after the join: an eager rebalance revokes and hands
    // them back (the pause this measures), an incremental one never touches them.
    const kept = [...before].filter((p) => a.owned.has(p));
    const revokedKept = kept.filter((p) => a.revoked.has(p)).length;
    const windowFrom = joinAt - 1000;
    const windowTo = firstC + 1000;
    let maxGap = 0;
    for (const p of kept) {
      const ts = a.seen.filter((s) => s.p === p && s.t >= windowFrom && s.t <= windowTo).map((s) => s.t);
      const edges = [windowFrom, ...ts, windowTo];
      for (let i = 1; i < edges.length; i++) maxGap = Math.max(maxGap, edges[i]! - edges[i - 1]!);
    }
    producing = false;
    await writer;
    await Promise.all([a.c.close(), b.c.close(), c3.c.close()]);
    rows.push(
      `| ${v.name} | ${median(joins).toFixed(0)} ms (${joins.map((j) => j.toFixed(0)).join(', ')}) | ${kept.length ? `${maxGap.toFixed(0)} ms over ${kept.length} kept partitions (${revokedKept} revoked and given back)` : 'none kept'} | ${(firstC - joinAt).toFixed(0)} ms |`,
    );
  }
  console.log(`Kafka ${kafka.version}, ${PARTITIONS} partitions, records every ${EVERY} ms per partition`);
  console.log(
    "| protocol | join to first record (median; runs) | longest gap on kept partitions while a member joins | join to the new member's first record |",
  );
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
} finally {
  await producer.close();
  await kafka.close();
}
