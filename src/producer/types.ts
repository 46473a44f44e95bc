/** Keys, values and header values: bytes, a string (encoded as UTF-8), or null. */
export type Bytes = Buffer | Uint8Array | string | null;

/** Headers as an object (`{ traceId: 'abc' }`) or as a list, which may repeat a key. */
export type MessageHeaders = Record<string, Bytes | undefined> | ReadonlyArray<{ key: string; value: Bytes }>;

export interface Message {
  key?: Bytes | undefined;
  value: Bytes;
  headers?: MessageHeaders | undefined;
  /** Send to this partition; default: the partitioner picks (murmur2 of the key, or sticky for null keys). */
  partition?: number | undefined;
  /** Milliseconds since the epoch (CreateTime); default: when `send` was called. */
  timestamp?: number | undefined;
}

export interface SendInput {
  topic: string;
  messages: readonly Message[];
  /**
   * Stop waiting for room in the buffer or for the topic's metadata. Records already handed to the
   * batching layer are still delivered (an abort never makes a batch half-sent).
   */
  signal?: AbortSignal | undefined;
}

/** Where one record landed. With `acks: 0` the broker says nothing, so `offset` is -1. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  /** The record's CreateTime, or the broker's LogAppendTime when the topic uses it. */
  timestamp: number;
}

/** What a custom partitioner sees. `key` is already encoded (strings as UTF-8). */
export interface PartitionerInput {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Partitions of the topic right now. */
  partitionCount: number;
  /** Partitions that currently have a leader, for partitioners that avoid unavailable ones. */
  availablePartitions: readonly number[];
}

/**
 * Chooses a partition in `[0, partitionCount)`. Return `undefined` to fall back to the default
 * (murmur2 of the key; sticky for null keys).
 */
export type Partitioner = (input: PartitionerInput) => number | undefined;

/** A consumer group's identity for `sendOffsetsToTransaction` (KIP-447 fencing of zombie consumers). */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId?: number | undefined;
  memberId?: string | undefined;
  groupInstanceId?: string | null | undefined;
}

export interface OffsetToSend {
  topic: string;
  partition: number;
  /** The next offset to consume (the last processed record's offset + 1). */
  offset: number;
  leaderEpoch?: number | undefined;
  metadata?: string | null | undefined;
}
