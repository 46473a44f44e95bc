// `npm run bench:parallel`: what key-ordered parallel delivery (`run({ concurrency, ordering })`) buys
// and costs, against a real broker, in one run:
//  - a 5 ms async handler (an I/O-bound job): concurrency 64 against 1 (plain eachMessage);
//  - a 0 ms handler (nothing to wait for): the parallel path's overhead against plain eachMessage.
// Each case runs `--runs` times in this process with a fresh group; medians of records/s (first record
// to last) and of CPU seconds per 100k records. Prints a table and writes bench/results/parallel-<date>.json.
//   npm run bench:parallel [-- --records 1000000 --runs 3 --bootstrap host:port]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Consumer } from '../src/consumer/consumer.js';
import type { RunOptions } from '../src/consumer/delivery.js';
import { TestProducer } from '../test/helpers/produce.js';
import { root } from './lib/clients.js';
import { startBenchKafka } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    bootstrap: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const RUNS = Number(values.runs);
const PARTITIONS = 8;
const KEYS = 1000;
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  name: string;
  records: number;
  handler: () => unknown;
  run: Pick<RunOptions, 'concurrency' | 'ordering'>;
}

async function measure(bootstrap: string, topic: string, c: Case) {
  const consumer = new Consumer({
    brokers: bootstrap,
    groupId: `bench-${Date.now()}-${Math.random()}`,
    autoOffsetReset: 'earliest',
    logger,
  });
  consumer.subscribe(topic);
  let n = 0;
  let first = 0;
  let cpu0 = process.cpuUsage();
  const handler = c.handler;
  await consumer.run({
    ...c.run,
    eachMessage: () => {
      if (n === 0) {
        first = performance.now();
        cpu0 = process.cpuUsage();
      }
      if (++n === c.records) setImmediate(() => consumer.close());
      return handler();
    },
  });
  const ms = performance.now() - first;
  const cpu = process.cpuUsage(cpu0);
  return { rate: (c.records / ms) * 1000, cpuPer100k: ((cpu.user + cpu.system) / 1e6) * (100_000 / c.records) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kafka = values.bootstrap ? undefined : await startBenchKafka();
const bootstrap = values.bootstrap ?? kafka!.bootstrap;
try {
  const producer = new TestProducer(bootstrap);
  const topic = `bench-parallel-${Date.now()}`;
  await producer.createTopic(topic, PARTITIONS);
  await producer.fillGenerated(
    topic,
    PARTITIONS,
    Math.ceil(RECORDS / PARTITIONS),
    (p, i) => ({ key: `k${(i * PARTITIONS + p) % KEYS}`, value: 'x'.repeat(100) }),
    {
      batch: 5000,
    },
  );
  producer.close();
  const io = async () => sleep(5);
  const none = () => undefined;
  const noneAsync = async () => undefined;
  const cases: Case[] = [
    { name: '5 ms handler, eachMessage (concurrency 1)', records: 1000, handler: io, run: {} },
    { name: '5 ms handler, concurrency 64, key order', records: 30_000, handler: io, run: { concurrency: 64 } },
    { name: '0 ms handler, eachMessage', records: RECORDS, handler: none, run: {} },
    { name: '0 ms handler, concurrency 64, key order', records: RECORDS, handler: none, run: { concurrency: 64 } },
    {
      name: '0 ms handler, concurrency 64, unordered',
      records: RECORDS,
      handler: none,
      run: { concurrency: 64, ordering: 'unordered' },
    },
    { name: '0 ms async handler, eachMessage', records: RECORDS, handler: noneAsync, run: {} },
    {
      name: '0 ms async handler, concurrency 64, key order',
      records: RECORDS,
      handler: noneAsync,
      run: { concurrency: 64 },
    },
  ];
  const rows: Array<{
    name: string;
    rate: number;
    cpuPer100k: number;
    runs: Array<{ rate: number; cpuPer100k: number }>;
  }> = [];
  for (const c of cases) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measure(bootstrap, topic, c));
    rows.push({
      name: c.name,
      rate: median(runs.map((r) => r.rate)),
      cpuPer100k: median(runs.map((r) => r.cpuPer100k)),
      runs,
    });
    console.error(`${c.name}: ${Math.round(rows.at(-1)!.rate).toLocaleString('en-US')} records/s`);
  }
  const rate = (i: number) => rows[i]!.rate;
  const speedup = rate(1) / rate(0);
  const overheadKey = 1 - rate(3) / rate(2);
  const overheadUnordered = 1 - rate(4) / rate(2);
  const lines = [
    `| case | records/s (median of ${RUNS}) | CPU s per 100k |`,
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.cpuPer100k.toFixed(3)} |`),
    '',
    `5 ms handler: concurrency 64 is ${speedup.toFixed(1)}× concurrency 1 (target ≥ 20×)`,
    `0 ms handler: the key-ordered parallel path costs ${(overheadKey * 100).toFixed(1)}% of plain eachMessage's throughput, unordered ${(overheadUnordered * 100).toFixed(1)}% (target ≤ 15%)`,
    `0 ms async handler (a promise per record): key-ordered parallel costs ${((1 - rate(6) / rate(5)) * 100).toFixed(1)}% of plain eachMessage's throughput`,
  ];
  console.log(lines.join('\n'));
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `parallel-${new Date().toISOString().slice(0, 10)}.json`),
    `${JSON.stringify({ records: RECORDS, runs: RUNS, node: process.version, rows, speedup, overheadKey, overheadUnordered }, null, 2)}\n`,
  );
} finally {
  await kafka?.close();
}
