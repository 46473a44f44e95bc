// KafkaJS's partitioners: `createPartitioner: () => ({ topic, partitionMetadata, message }) => partition`.
// DefaultPartitioner (alias JavaCompatiblePartitioner) hashes keys as Java does; a producer given it (or
// nothing) uses Sluice's own partitioner, which picks the same partition for every keyed record.
// LegacyPartitioner is KafkaJS 1.x's default, kept so topics written by it keep their key → partition map.
import { partitionForKey } from '../producer/partitioner.js';

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface PartitionerMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: unknown;
  timestamp?: string | number;
}

export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: PartitionerMessage;
}

export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

const M = 0x5bd1e995;
const SEED = 0x9747b28c;

const keyBytes = (key: Buffer | string): Buffer => (Buffer.isBuffer(key) ? key : Buffer.from(String(key)));

/**
 * KafkaJS 1.x's murmur2 (src/producer/partitioners/legacy/murmur2.js). It differs from Java's: its
 * multiplications are floating point (no 32-bit wrap-around before the next xor/shift truncates), its
 * word loop runs ceil(length / 4) times (the missing bytes read as 0) and the tail is then mixed in
 * again. Reproduced exactly, so keys land where KafkaJS's LegacyPartitioner put them.
 */
export function legacyMurmur2(key: Buffer | string): number {
  const data = keyBytes(key);
  const length = data.length;
  const byte = (i: number) => (i < length ? data[i]! : 0);
  let h: number = SEED ^ length;
  const words = Math.ceil(length / 4);
  for (let i = 0; i < words; i++) {
    const i4 = i * 4;
    let k: number = byte(i4) + (byte(i4 + 1) << 8) + (byte(i4 + 2) << 16) + (byte(i4 + 3) << 24);
    k = k * M;
    k = k ^ (k >>> 24);
    k = k * M;
    h = h * M;
    h = h ^ k;
  }
  const rest = length % 4;
  if (rest > 0) {
    const tail = length & ~3;
    if (rest === 3) h = h ^ (data[tail + 2]! << 16);
    if (rest >= 2) h = h ^ (data[tail + 1]! << 8);
    h = h ^ data[tail]!;
    h = h * M;
  }
  h = h ^ (h >>> 13);
  h = h * M;
  h = h ^ (h >>> 15);
  return h;
}

const toPositive = (n: number) => n & 0x7fffffff;

/**
 * KafkaJS's partitioner shape around a key hash: an explicit partition wins, a key hashes, keyless
 * records go round-robin over the partitions that have a leader (from a random start per topic).
 */
function partitionerWith(hash: (key: Buffer | string, numPartitions: number) => number): ICustomPartitioner {
  return () => {
    const counters = new Map<string, number>();
    return ({ topic, partitionMetadata, message }) => {
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      const numPartitions = partitionMetadata.length;
      if (message.key !== null && message.key !== undefined) return hash(message.key, numPartitions);
      const next = (counters.get(topic) ?? Math.floor(Math.random() * 0x100000000)) + 1;
      counters.set(topic, next);
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      if (available.length > 0) return available[toPositive(next) % available.length]!.partitionId;
      return toPositive(next) % numPartitions;
    };
  };
}

const DefaultPartitioner: ICustomPartitioner = partitionerWith((key, n) => partitionForKey(keyBytes(key), n));
const LegacyPartitioner: ICustomPartitioner = partitionerWith((key, n) => toPositive(legacyMurmur2(key)) % n);

export const Partitioners = {
  DefaultPartitioner,
  LegacyPartitioner,
  /** @deprecated KafkaJS's old name of DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner,
} as const;

/** True for KafkaJS's Java-compatible default, which Sluice's native partitioner matches for keyed records. */
export const isDefaultPartitioner = (p: ICustomPartitioner | undefined) => p === undefined || p === DefaultPartitioner;
