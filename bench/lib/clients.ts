// The consumers compared by the bench, and how each one is launched. Node clients run from the
// compiled build (tsc, not tsx: no transform overhead in the measured code).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Measured } from './child.js';
import { measure } from './child.js';
import { javaConsume } from './java-tools.js';
import { type Peers, peerPaths } from './peers.js';
import { CEILING } from './report.js';

export const root = path.resolve(import.meta.dirname, '../..');
export const buildDir = path.join(root, '.cache', 'bench-build');

export interface ConsumeJob {
  bootstrap: string;
  topic: string;
  records: number;
  group: string;
  kafkaVersion?: string;
}

export interface BenchClient {
  name: string;
  /** Runtime shown in the table, e.g. "node 20.20.2" or "java 17". */
  runtime: string;
  /** Codecs the client can read; undefined = all. */
  codecs?: string[];
  consume(job: ConsumeJob): Promise<Measured>;
}

function nodeClient(
  name: string,
  script: string,
  mode: string,
  node: string,
  runtime: string,
  env: NodeJS.ProcessEnv = {},
): BenchClient {
  return {
    name,
    runtime,
    consume: (job) =>
      measure(
        node,
        [
          path.join(buildDir, 'bench', 'clients', script),
          '--bootstrap',
          job.bootstrap,
          '--topic',
          job.topic,
          '--count',
          String(job.records),
          '--group',
          job.group,
          ...(mode ? ['--mode', mode] : []),
        ],
        { env: { ...process.env, SLUICE_LOG_LEVEL: 'error', ...env } },
      ),
  };
}

/** Every client available on this machine: Node 20 peers, Node 24 runs (if fetched), confluent (if built), Java. */
export function consumeClients(peers: Peers, only?: string[]): BenchClient[] {
  const node20 = process.execPath;
  const v20 = `node ${process.version.slice(1)}`;
  const list: BenchClient[] = [
    // The ceiling: Fetch + CRC on Sluice's protocol layer, no records built (uncompressed data only).
    { ...nodeClient(CEILING, 'ceiling-consume.js', '', node20, v20), codecs: ['none'] },
    nodeClient('sluice eachMessage', 'sluice-consume.js', 'eachMessage', node20, v20),
    nodeClient('sluice eachBatch', 'sluice-consume.js', 'eachBatch', node20, v20),
    nodeClient('sluice iterator', 'sluice-consume.js', 'iterator', node20, v20),
    // The same with an async handler: the baseline for sluice/kafkajs, whose handlers are async.
    nodeClient('sluice eachMessage async', 'sluice-consume.js', 'eachMessageAsync', node20, v20),
    // KafkaJS ships gzip only; its LZ4/snappy/zstd plugins need native builds (not installable here).
    {
      ...nodeClient('kafkajs eachMessage', 'kafkajs-consume.js', 'eachMessage', node20, v20),
      codecs: ['none', 'gzip'],
    },
    { ...nodeClient('kafkajs eachBatch', 'kafkajs-consume.js', 'eachBatch', node20, v20), codecs: ['none', 'gzip'] },
    nodeClient('platformatic 1.x', 'platformatic-consume.js', '', node20, v20),
    // KafkaJS's API on Sluice (the same client code as kafkajs-consume.ts, another import).
    nodeClient('sluice/kafkajs eachMessage', 'sluice-kafkajs-consume.js', 'eachMessage', node20, v20),
    nodeClient('sluice/kafkajs eachBatch', 'sluice-kafkajs-consume.js', 'eachBatch', node20, v20),
  ];
  const p = peerPaths(peers);
  if (p.node24) {
    const v24 = `node ${peers.node24Version}`;
    list.push(nodeClient('sluice eachMessage', 'sluice-consume.js', 'eachMessage', p.node24, v24));
    list.push(nodeClient('sluice eachBatch', 'sluice-consume.js', 'eachBatch', p.node24, v24));
    if (p.platformatic2) {
      list.push(
        nodeClient('platformatic 2.x', 'platformatic-consume.js', '', p.node24, v24, {
          PLATFORMATIC_KAFKA: p.platformatic2,
        }),
      );
    }
  }
  if (p.confluent && existsSync(p.confluent)) {
    list.push(
      nodeClient('confluent-js consume loop', 'confluent-standard-consume.js', '', node20, v20, {
        CONFLUENT_KAFKA: p.confluent,
      }),
    );
    // Its KafkaJS-compatible layer: the migration API, kept for KafkaJS users weighing a move.
    list.push(
      nodeClient('confluent-js migration API eachMessage', 'confluent-consume.js', 'eachMessage', node20, v20, {
        CONFLUENT_KAFKA: p.confluent,
      }),
    );
    list.push(
      nodeClient('confluent-js migration API eachBatch', 'confluent-consume.js', 'eachBatch', node20, v20, {
        CONFLUENT_KAFKA: p.confluent,
      }),
    );
  }
  list.push({
    name: 'java ConsumerPerformance',
    runtime: 'java 17',
    consume: (job) => javaConsume({ ...job, version: job.kafkaVersion }),
  });
  return only ? list.filter((c) => only.some((o) => `${c.name} ${c.runtime}`.includes(o))) : list;
}
