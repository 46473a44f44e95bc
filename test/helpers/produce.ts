// Test-only: writes records with a bare Produce request, independent of the Producer, so consumer
// tests can craft exactly the batches they need (and do not depend on producer behaviour).
import { Cluster } from '../../src/cluster/cluster.js';
import { resolveClientOptions } from '../../src/cluster/options.js';
import { kafkaError } from '../../src/protocol/errors.js';
import { CreateTopics, Produce } from '../../src/protocol/generated/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/encode.js';
import type { RecordToEncode } from '../../src/protocol/records/types.js';
import { Writer } from '../../src/protocol/writer.js';

export interface TestRecord {
  key?: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

export class TestProducer {
  readonly cluster: Cluster;

  constructor(bootstrap: string) {
    this.cluster = new Cluster(resolveClientOptions('TestProducer', { brokers: bootstrap }));
  }

  async createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    await this.cluster.connect();
    const conn = await this.cluster.anyConnection('general');
    const res = await conn.request(CreateTopics, {
      topics: [
        {
          name: topic,
          numPartitions: partitions,
          replicationFactor: -1,
          assignments: [],
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
      timeoutMs: 30000,
    });
    const t = res.topics[0]!;
    if (t.errorCode) throw kafkaError(t.errorCode, { api: 'CreateTopics', topic, serverMessage: t.errorMessage });
    // Wait until every partition has a leader.
    for (let i = 0; i < 100; i++) {
      await this.cluster.refreshMetadata({ topics: [topic] });
      const info = this.cluster.metadata.topics.get(topic);
      if (
        info &&
        !info.errorCode &&
        info.partitions.length === partitions &&
        info.partitions.every((p) => p.leader >= 0)
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`topic ${topic} has no leaders`);
  }

  /** Appends one batch to a partition (acks=all); returns the base offset. */
  async send(
    topic: string,
    partition: number,
    records: TestRecord[],
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' = 'none',
  ): Promise<number> {
    await this.cluster.connect();
    return this.cluster.retry(`Producing to ${topic}-${partition}`, async () => {
      const leader = await this.cluster.leaderFor(topic, partition);
      const conn = await this.cluster.connectionTo(leader, 'produce');
      return this.sendTo(conn, topic, partition, records, compression);
    });
  }

  private async sendTo(
    conn: import('../../src/network/connection.js').Connection,
    topic: string,
    partition: number,
    records: TestRecord[],
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd',
  ): Promise<number> {
    const w = new Writer(1024);
    const toEncode: RecordToEncode[] = records.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
    }));
    encodeRecordBatch(w, { compression, records: toEncode });
    const res = await conn.request(Produce, {
      acks: -1,
      timeoutMs: 30000,
      topicData: [
        {
          name: topic,
          topicId: this.cluster.metadata.topics.get(topic)?.topicId,
          partitionData: [{ index: partition, records: Buffer.from(w.view()) }],
        },
      ],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    if (p.errorCode) throw kafkaError(p.errorCode, { api: 'Produce', topic, partition });
    return Number(p.baseOffset);
  }

  /** Sends `count` records `prefix-i` round-robin over `partitions`, in batches of `batch`. */
  async fill(topic: string, partitions: number, count: number, prefix = 'v', batch = 500): Promise<void> {
    const per: TestRecord[][] = Array.from({ length: partitions }, () => []);
    for (let i = 0; i < count; i++) per[i % partitions]!.push({ key: `k${i}`, value: `${prefix}-${i}` });
    await Promise.all(
      per.map(async (list, p) => {
        for (let i = 0; i < list.length; i += batch) await this.send(topic, p, list.slice(i, i + batch));
      }),
    );
  }

  /**
   * Writes `perPartition` records to each of `partitions` partitions, built batch by batch by
   * `make(partition, i)` (so a million records never sit in memory at once). Within a partition
   * batches go one after another, so record `i` lands at offset `i` of an empty partition;
   * `parallel` partitions are written at the same time (default: all).
   */
  async fillGenerated(
    topic: string,
    partitions: number,
    perPartition: number,
    make: (partition: number, i: number) => TestRecord,
    opts: { batch?: number; parallel?: number } = {},
  ): Promise<void> {
    const batch = opts.batch ?? 500;
    const queue = Array.from({ length: partitions }, (_, p) => p);
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        for (let i = 0; i < perPartition; i += batch) {
          const records: TestRecord[] = [];
          for (let j = i; j < Math.min(perPartition, i + batch); j++) records.push(make(p, j));
          await this.send(topic, p, records);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(partitions, opts.parallel ?? partitions) }, worker));
  }

  close(): void {
    this.cluster.close();
  }
}
