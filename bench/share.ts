// `npm run bench:share`: share groups (KIP-932) on ONE partition, where a consumer group can use only
// one member: throughput with 1, 2 and 4 share consumers, each record handled by a 2 ms async handler
// (an I/O-bound job), against the same work done by a consumer group (4 members, of which one gets the
// partition) and by one consumer with `concurrency: 4` (Sluice's parallel delivery, a single process's
// alternative). Every case reads the same topic with a fresh group; records/s from the first record
// to the last, the median of `--runs`; each run also checks that every record was accepted exactly
// once (a record handled twice is counted and reported). Prints a table and writes
// bench/results/share-<date>.json.
//   npm run bench:share [-- --records 8000 --runs 3 --handler-ms 2 --bootstrap host:port]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../src/admin/admin.js';
import { Consumer } from '../src/consumer/consumer.js';
import { ShareConsumer } from '../src/share/share-consumer.js';
import { TestProducer } from '../test/helpers/produce.js';
import { root } from './lib/clients.js';
import { startBenchKafka } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '8000' },
    runs: { type: 'string', default: '3' },
    'handler-ms': { type: 'string', default: '2' },
    bootstrap: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const RUNS = Number(values.runs);
const HANDLER_MS = Number(values['handler-ms']);
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const uid = () => `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const DEADLINE_MS = Math.max(120_000, RECORDS * HANDLER_MS * 3);

/** What one run saw: first and last handled record, records handled more than once, per member counts. */
class Tally {
  first = 0;
  last = 0;
  readonly seen = new Uint8Array(RECORDS);
  unique = 0;
  duplicates = 0;

  handled(offset: number): void {
    const now = performance.now();
    if (this.first === 0) this.first = now;
    this.last = now;
    if (this.seen[offset]) this.duplicates++;
    else {
      this.seen[offset] = 1;
      this.unique++;
    }
  }

  async until(done: () => boolean, what: string): Promise<void> {
    const started = Date.now();
    while (!done()) {
      if (Date.now() - started > DEADLINE_MS)
        throw new Error(`${what}: ${this.unique}/${RECORDS} after ${DEADLINE_MS} ms`);
      await sleep(20);
    }
  }
}

interface Row {
  name: string;
  rates: number[];
  duplicates: number;
  /** Records handled by each member (last run). */
  split: number[];
}

async function shareRun(
  bootstrap: string,
  topic: string,
  members: number,
  maxPollRecords?: number,
): Promise<{ rate: number; t: Tally; split: number[] }> {
  const groupId = `bench-share-${uid()}`;
  const admin = new Admin({ brokers: bootstrap, logger });
  await admin.alterConfigs([
    { type: 'group', name: groupId, changes: [{ name: 'share.auto.offset.reset', value: 'earliest' }] },
  ]);
  admin.close();
  const t = new Tally();
  const split = new Array<number>(members).fill(0);
  const consumers = Array.from(
    { length: members },
    () => new ShareConsumer({ brokers: bootstrap, groupId, logger, ...(maxPollRecords ? { maxPollRecords } : {}) }),
  );
  const running = consumers.map((c, i) => {
    c.subscribe(topic);
    return c.run({
      eachMessage: async (r) => {
        await sleep(HANDLER_MS);
        t.handled(r.offset);
        split[i]!++;
      },
    });
  });
  try {
    await t.until(() => t.unique === RECORDS, `${members} share consumer(s)`);
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(running);
  }
  return { rate: (RECORDS - 1) / ((t.last - t.first) / 1000), t, split };
}

async function groupRun(
  bootstrap: string,
  topic: string,
  members: number,
  concurrency: number,
): Promise<{ rate: number; t: Tally; split: number[] }> {
  const groupId = `bench-group-${uid()}`;
  const t = new Tally();
  const split = new Array<number>(members).fill(0);
  const consumers = Array.from(
    { length: members },
    () => new Consumer({ brokers: bootstrap, groupId, autoOffsetReset: 'earliest', logger }),
  );
  const running = consumers.map((c, i) => {
    c.subscribe(topic);
    return c.run({
      ...(concurrency > 1 ? { concurrency, ordering: 'unordered' as const } : {}),
      eachMessage: async (r) => {
        await sleep(HANDLER_MS);
        t.handled(Number(r.offset));
        split[i]!++;
      },
    });
  });
  try {
    await t.until(() => t.unique === RECORDS, `consumer group of ${members}`);
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(running);
  }
  return { rate: (RECORDS - 1) / ((t.last - t.first) / 1000), t, split };
}

const cases: { name: string; run: (bootstrap: string, topic: string) => ReturnType<typeof shareRun> }[] = [
  { name: 'share group, 1 consumer', run: (b, t) => shareRun(b, t, 1) },
  { name: 'share group, 2 consumers', run: (b, t) => shareRun(b, t, 2) },
  { name: 'share group, 4 consumers', run: (b, t) => shareRun(b, t, 4) },
  // Each ShareFetch acquires up to maxPollRecords (default 500): smaller grabs spread the last records.
  { name: 'share group, 4 consumers, maxPollRecords 100', run: (b, t) => shareRun(b, t, 4, 100) },
  { name: 'consumer group, 4 members (1 partition: one works)', run: (b, t) => groupRun(b, t, 4, 1) },
  { name: 'consumer group, 1 member, concurrency 4 (unordered)', run: (b, t) => groupRun(b, t, 1, 4) },
];

const kafka = await startBenchKafka(values.bootstrap);
try {
  const topic = `bench-share-${uid()}`;
  const producer = new TestProducer(kafka.bootstrap);
  await producer.createTopic(topic, 1);
  await producer.fill(topic, 1, RECORDS, 'job');
  producer.close();
  console.error(
    `Kafka ${kafka.version}, Node ${process.version}: ${RECORDS} records on 1 partition, ${HANDLER_MS} ms async handler, ${RUNS} runs per case`,
  );
  const rows: Row[] = cases.map((c) => ({ name: c.name, rates: [], duplicates: 0, split: [] }));
  // Cases interleaved run by run, so a noisy stretch of the machine does not land on one case only.
  for (let run = 0; run < RUNS; run++) {
    for (const [i, c] of cases.entries()) {
      const r = await c.run(kafka.bootstrap, topic);
      const row = rows[i]!;
      row.rates.push(r.rate);
      row.duplicates += r.t.duplicates;
      row.split = r.split;
      console.error(`run ${run + 1}, ${c.name}: ${Math.round(r.rate)} records/s, split ${r.split.join('/')}`);
    }
  }
  const base = median(rows[0]!.rates);
  const lines = [
    `| case (${RECORDS} records, 1 partition, ${HANDLER_MS} ms handler) | records/s (median of ${RUNS}; range) | vs 1 share consumer | records per member (last run) | handled twice |`,
    '|---|---:|---:|---|---:|',
    ...rows.map((r) => {
      const m = median(r.rates);
      const range = `${Math.round(Math.min(...r.rates))}–${Math.round(Math.max(...r.rates))}`;
      return `| ${r.name} | ${Math.round(m).toLocaleString('en-US')} (${range}) | ${(m / base).toFixed(2)}× | ${r.split.join(' / ')} | ${r.duplicates} |`;
    }),
    '',
    `Ideal with a ${HANDLER_MS} ms handler: ${Math.round(1000 / HANDLER_MS)} records/s per consumer working one record at a time.`,
  ];
  console.log(lines.join('\n'));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `share-${new Date().toISOString().slice(0, 10)}.json`),
    `${JSON.stringify({ records: RECORDS, runs: RUNS, handlerMs: HANDLER_MS, kafka: kafka.version, node: process.version, rows }, null, 2)}\n`,
  );
} finally {
  await kafka.close();
}
