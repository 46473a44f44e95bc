// Produce benchmark: the same records, to fresh topics on the same broker, written by Sluice and its
// peers in one run. Each (scenario, client) is measured `runs` times with the client order rotated
// between runs; the median is reported with the ratio to Sluice. Usage:
//   npm run bench:produce [-- --records 1000000 --size 100 --runs 3 --clients sluice,platformatic]
// Scenarios: 1 and 12 partitions × compression none and lz4. Every client: acks=all, keyless records of
// one random-letter payload (as ProducerPerformance), 100 records per send() call, 64 calls in flight,
// default batching (Sluice: linger.ms 5, batch.size 16384, as Java). Java's ProducerPerformance runs with
// its producer defaults too (batch.size 16384, linger.ms 5) as a reference.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { uniqueName } from '../test/kafka/index.js';
import { machineFacts } from './consume.js';
import { type Measured, measure } from './lib/child.js';
import { buildDir, root } from './lib/clients.js';
import { javaProduce } from './lib/java-tools.js';
import { createTopic, startBenchKafka } from './lib/kafka.js';
import { markdown, type Row, summarize } from './lib/report.js';

interface Job {
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  compression: string;
  kafkaVersion: string;
}

interface ProduceClient {
  name: string;
  runtime: string;
  codecs?: string[];
  produce(job: Job): Promise<Measured>;
}

const v20 = `node ${process.version.slice(1)}`;

function nodeClient(name: string, client: string, codecs?: string[]): ProduceClient {
  return {
    name,
    runtime: v20,
    ...(codecs ? { codecs } : {}),
    produce: (job) =>
      measure(process.execPath, [
        path.join(buildDir, 'bench', 'produce-client.js'),
        '--client',
        client,
        '--bootstrap',
        job.bootstrap,
        '--topic',
        job.topic,
        '--count',
        String(job.records),
        '--size',
        String(job.size),
        '--compression',
        job.compression,
      ]),
  };
}

const CLIENTS: ProduceClient[] = [
  nodeClient('sluice', 'sluice'),
  nodeClient('platformatic 1.x', 'platformatic'),
  // KafkaJS ships gzip only; lz4 needs a native plugin.
  nodeClient('kafkajs', 'kafkajs', ['none', 'gzip']),
  {
    name: 'java ProducerPerformance',
    runtime: 'java 17',
    produce: (job) =>
      javaProduce({
        ...job,
        version: job.kafkaVersion,
        extraProps: { 'batch.size': 16384, 'linger.ms': 5, 'enable.idempotence': 'true' },
      }),
  },
];

/** Compiles src and the client with tsc (no transform in the measured processes). */
function build(): void {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '--ignoreConfig',
      '--outDir',
      buildDir,
      '--rootDir',
      root,
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--strict',
      '--skipLibCheck',
      '--verbatimModuleSyntax',
      '--types',
      'node',
      path.join(root, 'bench', 'produce-client.ts'),
    ],
    { stdio: 'inherit' },
  );
}

export async function runProduceBench(o: {
  records: number;
  size: number;
  runs: number;
  clients?: string[];
  bootstrap?: string;
  log?: (line: string) => void;
}) {
  const log = o.log ?? ((l: string) => console.error(l));
  build();
  const clients = o.clients ? CLIENTS.filter((c) => o.clients!.some((n) => c.name.includes(n))) : CLIENTS;
  const kafka = await startBenchKafka(o.bootstrap);
  const rows: Row[] = [];
  try {
    for (const sc of [
      { partitions: 1, compression: 'none' },
      { partitions: 12, compression: 'none' },
      { partitions: 1, compression: 'lz4' },
      { partitions: 12, compression: 'lz4' },
    ]) {
      const scenario = `${o.records.toLocaleString('en-US')} × ${o.size} B, ${sc.partitions} partition${sc.partitions > 1 ? 's' : ''}, ${sc.compression}`;
      const here = clients.filter((c) => !c.codecs || c.codecs.includes(sc.compression));
      const byClient = new Map<ProduceClient, Row>();
      for (let run = 0; run < o.runs; run++) {
        const order = here.map((_, i) => here[(i + run) % here.length]!);
        for (const client of order) {
          const topic = uniqueName(`bench-produce-${sc.partitions}p-${sc.compression}`);
          await createTopic(kafka.bootstrap, topic, sc.partitions);
          const m = await client.produce({
            bootstrap: kafka.bootstrap,
            topic,
            records: o.records,
            size: o.size,
            compression: sc.compression,
            kafkaVersion: kafka.version,
          });
          let row = byClient.get(client);
          if (!row) {
            byClient.set(
              client,
              (row = { suite: 'produce', scenario, client: client.name, runtime: client.runtime, runs: [] }),
            );
          }
          row.runs.push(m);
          log(
            `${scenario} run ${run + 1} ${client.name}: ${Math.round((m.result.records / m.result.ms) * 1000).toLocaleString('en-US')} records/s, ${(m.result.bytes / 1e6 / (m.result.ms / 1000)).toFixed(1)} MB/s, cpu ${(m.cpuUserS + m.cpuSysS).toFixed(2)} s, rss ${Math.round(m.maxRssMb)} MB`,
          );
        }
      }
      rows.push(...byClient.values());
    }
  } finally {
    await kafka.close();
  }
  return { summaries: summarize(rows, (s) => s.client === 'sluice'), kafkaVersion: kafka.version };
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '1000000' },
      size: { type: 'string', default: '100' },
      runs: { type: 'string', default: '3' },
      clients: { type: 'string' },
    },
  });
  const res = await runProduceBench({
    records: Number(values.records),
    size: Number(values.size),
    runs: Number(values.runs),
    clients: values.clients?.split(','),
  });
  console.log(markdown(res.summaries, machineFacts(res.kafkaVersion)));
}
