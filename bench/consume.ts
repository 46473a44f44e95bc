// Consume benchmark: the same topics, on the same broker, read by Sluice and its peers in one run.
// Each (scenario, client) is measured `runs` times, with the client order rotated between runs, and
// the median is reported with the ratio to Sluice. Usage:
//   node --import tsx bench/consume.ts [--records 1000000] [--runs 3] [--clients sluice,kafkajs] [--node24] [--confluent]
import { cpus, loadavg } from 'node:os';
import { uniqueName } from '../test/kafka/index.js';
import { buildBench } from './lib/build.js';
import { suiteArgs } from './lib/cli.js';
import { type BenchClient, consumeClients } from './lib/clients.js';
import { javaProduce } from './lib/java-tools.js';
import { createTopic, type KafkaHandle, startBenchKafka } from './lib/kafka.js';
import { ensurePeers, type Peers } from './lib/peers.js';
import { markdown, type Row, type Summary, summarize } from './lib/report.js';
import { SCENARIOS } from './lib/scenarios.js';

export interface ConsumeBenchOptions {
  records: number;
  size: number;
  runs: number;
  scenarios: { partitions: number; compression: string }[];
  clients?: string[];
  node24: boolean;
  confluent: boolean;
  /** Peers already found (run.ts shares them between suites). */
  peers?: Peers;
  /** Use this broker instead of starting one (the smoke test passes the suite's broker). */
  bootstrap?: string;
  kafkaVersion?: string;
  log?: (line: string) => void;
}

export async function runConsumeBench(
  o: ConsumeBenchOptions,
): Promise<{ rows: Row[]; summaries: Summary[]; notes: string[]; kafkaVersion: string }> {
  const log = o.log ?? ((l: string) => console.error(l));
  buildBench();
  const peers = o.peers ?? ensurePeers({ node24: o.node24, confluent: o.confluent });
  for (const n of peers.notes) log(`note: ${n}`);
  const clients = consumeClients(peers, o.clients);
  const kafka: KafkaHandle = await startBenchKafka(o.bootstrap, o.kafkaVersion);
  const rows: Row[] = [];
  try {
    for (const sc of o.scenarios) {
      const scenario = `${o.records.toLocaleString('en-US')} × ${o.size} B, ${sc.partitions} partition${sc.partitions > 1 ? 's' : ''}, ${sc.compression}`;
      const topic = uniqueName(`bench-${sc.partitions}p-${sc.compression}`);
      await createTopic(kafka.bootstrap, topic, sc.partitions);
      const produced = await javaProduce({
        bootstrap: kafka.bootstrap,
        topic,
        records: o.records,
        size: o.size,
        compression: sc.compression,
        version: kafka.version,
      });
      log(
        `${scenario}: data written (${Math.round(produced.result.records / (produced.result.ms / 1000)).toLocaleString('en-US')} records/s by ProducerPerformance)`,
      );
      const byClient = new Map<BenchClient, Row>();
      const clientsHere = clients.filter((c) => !c.codecs || c.codecs.includes(sc.compression));
      // One discarded warm-up consume per topic: the first reader of fresh data pays for the broker's
      // cold page cache and JIT, which no measured client should carry.
      const warm = clientsHere.find((c) => c.name === 'sluice eachMessage') ?? clientsHere[0];
      if (warm) {
        await warm.consume({
          bootstrap: kafka.bootstrap,
          topic,
          records: o.records,
          group: uniqueName('bench-warm'),
          kafkaVersion: kafka.version,
        });
      }
      for (let run = 0; run < o.runs; run++) {
        // Rotate the order so no client always runs first (cold page cache) or last.
        const order = clientsHere.map((_, i) => clientsHere[(i + run) % clientsHere.length]!);
        for (const client of order) {
          const m = await client.consume({
            bootstrap: kafka.bootstrap,
            topic,
            records: o.records,
            group: uniqueName('bench'),
            kafkaVersion: kafka.version,
          });
          if (m.result.records < o.records)
            throw new Error(`${client.name} consumed ${m.result.records} of ${o.records}`);
          let row = byClient.get(client);
          if (!row)
            byClient.set(
              client,
              (row = { suite: 'consume', scenario, client: client.name, runtime: client.runtime, runs: [] }),
            );
          row.runs.push(m);
          log(
            `  run ${run + 1} ${client.name} (${client.runtime}): ${Math.round((m.result.records / m.result.ms) * 1000).toLocaleString('en-US')} records/s, cpu ${(m.cpuUserS + m.cpuSysS).toFixed(2)} s, rss ${Math.round(m.maxRssMb)} MB`,
          );
        }
      }
      rows.push(...byClient.values());
    }
  } finally {
    await kafka.close();
  }
  const summaries = summarize(
    rows,
    (s) => s.client === 'sluice eachMessage' && s.runtime === `node ${process.version.slice(1)}`,
  );
  return { rows, summaries, notes: peers.notes, kafkaVersion: kafka.version };
}

export function machineFacts(kafkaVersion: string): string[] {
  return [
    `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
    `Node ${process.version}`,
    `Apache Kafka ${kafkaVersion} (single broker, KRaft, loopback)`,
    // Other work on the same cores skews records/s; the load says how much there was.
    `load average when written (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  ];
}

if (process.argv[1] === import.meta.filename) {
  const args = suiteArgs();
  const res = await runConsumeBench({ ...args, scenarios: SCENARIOS });
  console.log(markdown(res.summaries, machineFacts(res.kafkaVersion)));
}
