import type { SluiceError } from '../../errors.js';
import type { CompressionId, CompressionName } from '../compression/codec.js';

/**
 * Record batch v2 attribute bits (`DefaultRecordBatch.java`, implementation.html §5.3.1): codec in
 * bits 0-2, then one flag per bit.
 */
export const BatchAttributes = {
  COMPRESSION_MASK: 0x07,
  /** 0 = CreateTime (set by the producer), 1 = LogAppendTime (set by the broker). */
  TIMESTAMP_TYPE: 0x08,
  /** Written by a transactional producer (KIP-98). */
  TRANSACTIONAL: 0x10,
  /** The batch holds one control record (a transaction marker, or a KRaft control record). */
  CONTROL: 0x20,
  /** baseTimestamp holds the compaction delete horizon (KIP-534). */
  DELETE_HORIZON: 0x40,
} as const;

export const TimestampTypes = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampTypes)[keyof typeof TimestampTypes];

/** Control record types (`ControlRecordType.java`); 2-6 only appear in KRaft's metadata log. */
export const ControlRecordTypes = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;
export type ControlRecordTypeName = keyof typeof ControlRecordTypes | 'UNKNOWN';

export interface RecordHeader {
  /** UTF-8 decoded; never null in the protocol. */
  readonly key: string;
  /** A zero-copy view of the fetched (or decompressed) bytes; null when the header value is null. */
  readonly value: Buffer | null;
}

/**
 * One record as handed to the application. Keys and values are zero-copy views (do not mutate).
 * Built once by the decoder with every field the consumer delivers, so the hot path allocates one
 * object per record (plus its key/value views).
 */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch; with LogAppendTime batches, the broker's append time. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Shared frozen empty array when the record has no headers. */
  headers: readonly RecordHeader[];
  /** Leader epoch of the batch the record came in (KIP-320), -1 if unknown (legacy formats). */
  leaderEpoch: number;
}

/** The decoded control record of a control batch (implementation.html §5.3.1.1). */
export interface ControlRecord {
  type: ControlRecordTypeName;
  /** The raw type id from the key (int16). */
  typeId: number;
  /** Version of the control record key. */
  version: number;
  /** Transaction markers (ABORT/COMMIT) only: the EndTxnMarker's coordinator epoch; otherwise -1. */
  coordinatorEpoch: number;
  offset: number;
  timestamp: number;
}

export interface RecordBatch {
  baseOffset: number;
  /** Bytes after the length field: the batch occupies 12 + batchLength bytes. */
  batchLength: number;
  /** Set by the broker; not covered by the CRC. -1 for magic 0/1 messages. */
  partitionLeaderEpoch: number;
  /** 2 for record batches; 0 or 1 for legacy message sets. */
  magic: number;
  /** The stored checksum: CRC-32C for magic 2, CRC-32 (IEEE) for magic 0/1. */
  crc: number;
  attributes: number;
  compression: CompressionId;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  /** -1 when the producer is not idempotent. */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** The count the header declares; compaction can leave it 0 while the batch still spans offsets. */
  recordCount: number;
  /**
   * The data records. Empty for control batches: control records are never for the application, their
   * decoded form is {@link RecordBatch.control}.
   */
  records: KafkaRecord[];
  /** Set for control batches (attribute bit 5), else null. */
  control: ControlRecord | null;
}

/** The offset to fetch after this batch: baseOffset + lastOffsetDelta + 1, even if compaction emptied it. */
export function nextOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.lastOffsetDelta + 1;
}

export interface DecodeContext {
  /** Topic and partition are only used to name the source in errors. */
  topic: string;
  partition: number;
  /** Verify each batch's CRC (CRC-32C for v2, CRC-32 for v0/v1). Default true (Java's check.crcs). */
  verifyCrc?: boolean;
  /**
   * Most bytes one batch's compressed payload may inflate to; past it the batch fails with
   * BatchTooLargeError, before more is allocated. Default 64 MiB (DEFAULT_MAX_BATCH_BYTES).
   */
  maxBatchBytes?: number;
  /**
   * On a bad batch, return the batches before it with the error in {@link DecodedRecords.error}
   * instead of throwing, so a consumer can deliver them and then stop exactly at the bad batch (as
   * Java's consumer does). Default false: throw.
   */
  partialOnError?: boolean;
}

export interface DecodedRecords {
  batches: RecordBatch[];
  /**
   * Bytes left at the end that do not hold a whole batch. A partial trailing batch is normal in a fetch
   * response (the broker cuts at the byte limits, KIP-74): fetch again from the next offset. When no
   * batch decoded and this is > 0, the first batch is larger than the fetch size.
   */
  truncatedBytes: number;
  /** Only with `partialOnError`: the error at the first bad batch (the batches before it are above). */
  error?: SluiceError;
}

/** One record to encode. Offsets and timestamps default to the record's index and the batch time. */
export interface RecordToEncode {
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
  timestamp?: number;
  /** Defaults to the record's index in the batch. Must increase. */
  offsetDelta?: number;
}

export interface BatchToEncode {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionId | CompressionName;
  timestampType?: TimestampType;
  transactional?: boolean;
  /** Writes a control batch; build its single record with `transactionMarkerRecord` (control.ts). */
  control?: boolean;
  /** With deleteHorizon set, baseTimestamp is the delete horizon (brokers' compaction only). */
  deleteHorizon?: boolean;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: number;
  records: readonly RecordToEncode[];
}
