import { SluiceError } from '../../errors.js';

/** Names where a batch came from; every record-layer error carries it (DESIGN.md invariant 2). */
export interface BatchLocation {
  topic: string;
  partition: number;
  /** Base offset of the offending batch (or of the message, for magic 0/1). */
  offset: number;
}

/**
 * A batch failed its checksum or does not parse: lengths, counts or varints are inconsistent, or its
 * compressed records do not decompress. The batch is never skipped silently; the consumer surfaces
 * this error with the topic, partition and offset.
 */
export class CorruptRecordError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** What is wrong, without the location (e.g. `CRC-32C mismatch: stored 0x…, computed 0x…`). */
  readonly reason: string;

  constructor(at: BatchLocation, reason: string, cause?: unknown) {
    super(`Corrupt record batch in topic ${at.topic} partition ${at.partition} at offset ${at.offset}: ${reason}`, {
      code: 'CORRUPT_RECORD',
      cause,
    });
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.reason = reason;
  }
}

/** A batch has a magic byte (format version) this client cannot read: not 0, 1 or 2. */
export class UnsupportedRecordFormatError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly magic: number;

  constructor(at: BatchLocation, magic: number) {
    super(
      `Unsupported record format (magic ${magic}) in topic ${at.topic} partition ${at.partition} at offset ${at.offset}`,
      { code: 'UNSUPPORTED_RECORD_FORMAT' },
    );
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.magic = magic;
  }
}

/**
 * A batch inflates past what the reader allows (`DecodeContext.maxBatchBytes`; the consumer derives it
 * from `maxBufferedBytes`): too large to hold within the configured memory, or a decompression bomb.
 */
export class BatchTooLargeError extends SluiceError {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly limit: number;

  constructor(at: BatchLocation, limit: number, reason: string, cause?: unknown) {
    super(
      `Record batch in topic ${at.topic} partition ${at.partition} at offset ${at.offset} is too large: ${reason}`,
      {
        code: 'DECOMPRESSED_TOO_LARGE',
        cause,
      },
    );
    this.topic = at.topic;
    this.partition = at.partition;
    this.offset = at.offset;
    this.limit = limit;
  }
}
