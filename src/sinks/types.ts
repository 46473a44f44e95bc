// The seam between the sink runner (runner.ts: consumer, decoding, batching, positions) and the stores
// that keep rows and offsets together (sqlite.ts, postgres.ts, jsonl.ts). DESIGN invariant 3:
// exactly-once into a sink = the rows and the consumed offsets written in one store transaction, and
// positions on assignment taken from the store, not from Kafka.
import type { ConsumerRecord, RecordHeader } from '../consumer/record.js';
import type { TopicPartition } from '../consumer/topic-partition.js';

/**
 * What a record becomes in the store:
 *  - `append`: one row per record — topic, partition, offset, timestamp, key, value, headers;
 *  - `upsert`: the latest value per (topic, key); a tombstone (null value) deletes the key's row,
 *    a record with a null key is an error (there is nothing to upsert on);
 *  - `map`: rows of the user's own table(s), from `map(record, value)`.
 */
export type SinkMode = 'append' | 'upsert' | 'map';

/** A row of a user table in `map` mode: column name → value (string, number, bigint, boolean, Buffer, null). */
export type MappedValue = string | number | bigint | boolean | Buffer | null;
export interface MappedRow {
  table: string;
  row: Record<string, MappedValue>;
}

/**
 * A record ready for the store: the record itself plus its decoded value (per the sink's `value`
 * option: a string, a parsed JSON value, the raw bytes, or what the user's decoder returned), and,
 * in `map` mode, the rows the user's function produced.
 */
export interface SinkRecord {
  record: ConsumerRecord;
  /** The decoded value; null for a tombstone. */
  value: unknown;
  /** `map` mode only. */
  rows?: MappedRow[];
}

/** One partition's share of a store transaction. */
export interface PartitionWrite {
  topic: string;
  partition: number;
  /**
   * The position the store must hold for this partition for the write to go ahead — what the writer
   * read at assignment or wrote last — or `undefined` if it found none stored. Anything else means
   * another member wrote since (a zombie, or a rebalance raced): the store writes nothing and throws
   * a SinkFencedError. This check is what keeps two owners from storing a record twice.
   */
  expected: number | undefined;
  /** The position stored with the rows: the offset after the last record of this write. */
  next: number;
  /** In offset order; may be empty (records skipped, or only control records): the position still moves. */
  records: SinkRecord[];
}

/** Where a store keeps rows and positions. Implementations: SqliteStore, PostgresStore, JsonlStore. */
export interface SinkStore {
  /** Human-readable, for logs and errors: `sqlite:./sluice.db`, `postgres://host/db`, `jsonl:./out`. */
  readonly description: string;
  /** What records become in this store (chosen when the store is made). */
  readonly mode: SinkMode;
  /** Connects and creates what is missing (tables, directories). Idempotent. */
  open(): Promise<void>;
  /**
   * The stored positions (next offset to consume) of these partitions for `groupId`, keyed by
   * `tpKey(topic, partition)`; partitions with none stored are absent.
   */
  positions(groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, number>>;
  /**
   * Stores the rows of every part and their positions in one transaction: all or nothing. Throws a
   * SinkFencedError (nothing written) when a part's stored position is not `expected`; a SinkError
   * with `retriable` true when trying again may succeed (connection lost, database busy).
   */
  write(groupId: string, parts: readonly PartitionWrite[]): Promise<void>;
  /**
   * Makes everything written for these partitions durable and visible to `positions()` — for stores
   * that buffer (JSONL keeps a file open until it rotates); a no-op for transactional databases.
   * Called when partitions are revoked and on close, before their next owner reads positions.
   */
  flush(groupId: string, partitions: readonly TopicPartition[]): Promise<void>;
  /** Flushes everything and releases connections and files. */
  close(): Promise<void>;
}

export type { RecordHeader };
