// Produce benchmark: the same records, to fresh topics on the same broker, written by Sluice and its
// peers in one run. Each (scenario, client) is measured `runs` times with the client order rotated
// between runs; the median is reported with the ratio to Sluice. Usage:
//   npm run bench:produce [-- --records 1000000 --size 100 --runs 3 --clients sluice,platformatic]
// Scenarios: 1 and 12 partitions × compression none and lz4. Every client: acks=all, keyless records of
// one random-letter payload (as ProducerPerformance), 100 records per send() call, 64 calls in flight,
// default batching (Sluice: linger.ms 5, batch.size 16384, as Java). Java's ProducerPerformance runs with
// its producer defaults too (batch.size 16384, linger.ms 5) as a reference.
import path from 'node:path';
import { uniqueName } from '../test/kafka/index.js';
import { machineFacts } from './consume.js';
import { buildBench } from './lib/build.js';
import { type Measured, measure } from './lib/child.js';
import { suiteArgs } from './lib/cli.js';
import { buildDir } from './lib/clients.js';
import { javaProduce } from './lib/java-tools.js';
import { createTopic, startBenchKafka } from './lib/kafka.js';
import { ensurePeers, type Peers } from './lib/peers.js';
import { markdown, type Row, summarize } from './lib/report.js';
import { SCENARIOS } from './lib/scenarios.js';

interface Job {
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  compression: string;
  kafkaVersion: string;
  partitions: number;
  perSend: number;
}

interface ProduceClient {
  name: string;
  runtime: string;
  codecs?: string[];
  produce(job: Job): Promise<Measured>;
}

function nodeClient(
  name: string,
  client: string,
  node: string,
  runtime: string,
  opts: { codecs?: string[]; env?: NodeJS.ProcessEnv } = {},
): ProduceClient {
  return {
    name,
    runtime,
    ...(opts.codecs ? { codecs: opts.codecs } : {}),
    produce: (job) =>
      measure(
        node,
        [
          path.join(buildDir, 'bench', 'clients', 'produce-client.js'),
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
          '--partitions',
          String(job.partitions),
          '--per-send',
          String(job.perSend),
        ],
        { env: { ...process.env, SLUICE_LOG_LEVEL: 'error', ...opts.env } },
      ),
  };
}

/** The producers compared: Node 20 peers, Node 24 runs and confluent-js when available, Java. */
export function produceClients(peers: Peers, only?: string[]): ProduceClient[] {
  const v20 = `node ${process.version.slice(1)}`;
  const list: ProduceClient[] = [
    nodeClient('sluice', 'sluice', process.execPath, v20),
    nodeClient('platformatic 1.x', 'platformatic', process.execPath, v20),
    // KafkaJS ships gzip only; lz4 needs a native plugin.
    nodeClient('kafkajs', 'kafkajs', process.execPath, v20, { codecs: ['none', 'gzip'] }),
  ];
  if (peers.node24) {
    const v24 = `node ${peers.node24Version}`;
    list.push(nodeClient('sluice', 'sluice', peers.node24, v24));
    if (peers.platformatic2) {
      list.push(
        nodeClient('platformatic 2.x', 'platformatic', peers.node24, v24, {
          env: { PLATFORMATIC_KAFKA: peers.platformatic2 },
        }),
      );
    }
  }
  if (peers.confluent) {
    list.push(
      nodeClient('confluent-js', 'confluent', process.execPath, v20, { env: { CONFLUENT_KAFKA: peers.confluent } }),
    );
  }
  list.push({
    name: 'java ProducerPerformance',
    runtime: 'java 17',
    produce: (job) =>
      javaProduce({
        ...job,
        version: job.kafkaVersion,
        extraProps: { 'batch.size': 16384, 'linger.ms': 5, 'enable.idempotence': 'true' },
      }),
  });
  return only ? list.filter((c) => only.some((n) => `${c.name} ${c.runtime}`.includes(n))) : list;
}

export async function runProduceBench(o: {
  records: number;
  size: number;
  runs: number;
  clients?: string[];
  bootstrap?: string;
  kafkaVersion?: string;
  peers?: Peers;
  scenarios?: { partitions: number; compression: string }[];
  /** Records per send() call; each value is its own scenario (1000: issue 19's batching case). */
  perSend?: number[];
  log?: (line: string) => void;
}) {
  const log = o.log ?? ((l: string) => console.error(l));
  buildBench();
  const clients = produceClients(o.peers ?? { notes: [] }, o.clients);
  const kafka = await startBenchKafka(o.bootstrap, o.kafkaVersion);
  const rows: Row[] = [];
  try {
    const scenarios = (o.scenarios ?? SCENARIOS).flatMap((sc) =>
      (o.perSend ?? [100, 1000]).map((perSend) => ({ ...sc, perSend })),
    );
    for (const sc of scenarios) {
      const scenario = `${o.records.toLocaleString('en-US')} × ${o.size} B, ${sc.partitions} partition${sc.partitions > 1 ? 's' : ''}, ${sc.compression}, ${sc.perSend}/send`;
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
            partitions: sc.partitions,
            perSend: sc.perSend,
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
            `${scenario} run ${run + 1} ${client.name} (${client.runtime}): ${Math.round((m.result.records / m.result.ms) * 1000).toLocaleString('en-US')} records/s, ${(m.result.bytes / 1e6 / (m.result.ms / 1000)).toFixed(1)} MB/s, cpu ${(m.cpuUserS + m.cpuSysS).toFixed(2)} s, rss ${Math.round(m.maxRssMb)} MB`,
          );
        }
      }
      rows.push(...byClient.values());
    }
  } finally {
    await kafka.close();
  }
  const baseline = `node ${process.version.slice(1)}`;
  return {
    rows,
    summaries: summarize(rows, (s) => s.client === 'sluice' && s.runtime === baseline),
    kafkaVersion: kafka.version,
  };
}

if (process.argv[1] === import.meta.filename) {
  const args = suiteArgs();
  const res = await runProduceBench({
    ...args,
    peers: ensurePeers({ node24: args.node24, confluent: args.confluent }),
  });
  console.log(markdown(res.summaries, machineFacts(res.kafkaVersion)));
}
