// The benchmark's broker: a fresh single node in bench mode (2 GiB heap, full JIT), or a given one.
import { Cluster } from '../../src/cluster/cluster.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { kafkaError } from '../../src/protocol/errors.js';
import { CreateTopics } from '../../src/protocol/generated/index.js';
import { readSharedKafkaEnv } from '../../test/kafka/env.js';
import { startKafka } from '../../test/kafka/index.js';

export interface KafkaHandle {
  bootstrap: string;
  version: string;
  close(): Promise<void>;
}

export async function startBenchKafka(bootstrap?: string, version?: string): Promise<KafkaHandle> {
  if (bootstrap) {
    return { bootstrap, version: version ?? readSharedKafkaEnv()?.version ?? 'unknown', close: async () => {} };
  }
  const kafka = await startKafka({ mode: 'bench' });
  return { bootstrap: kafka.bootstrap, version: kafka.version, close: () => kafka.close() };
}

/** Creates a topic and waits until every partition has a leader. */
export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const cluster = new Cluster(resolveClientOptions('Bench', { brokers: bootstrap }));
  try {
    await cluster.connect();
    const conn = await cluster.anyConnection('general');
    const res = await conn.request(CreateTopics, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: 30000,
    });
    const t = res.topics[0]!;
    if (t.errorCode) throw kafkaError(t.errorCode, { api: 'CreateTopics', topic, serverMessage: t.errorMessage });
    for (let i = 0; i < 100; i++) {
      await cluster.refreshMetadata({ topics: [topic] });
      const info = cluster.metadata.topics.get(topic);
      if (info?.partitions.length === partitions && info.partitions.every((p) => p.leader >= 0)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`topic ${topic} has no leaders`);
  } finally {
    cluster.close();
  }
}
