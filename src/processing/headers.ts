// The headers a forwarded record (retry topic or dead-letter topic) carries, with Spring Kafka's names
// and value encodings, so that tools written for Spring's dead-letter and retry-topic records read ours.
//
// Sources (spring-projects/spring-kafka, main as of 2026-08):
//  - support/KafkaHeaders.java: the `kafka_dlt-*` names (DeadLetterPublishingRecoverer's defaults) and
//    the `kafka_original-*` / `kafka_exception-*` names (used by the retry-topic feature instead).
//  - listener/DeadLetterRecordManager.java (maybeAddOriginalHeaders, addExceptionInfoHeaders): topic,
//    group, timestamp type and exception texts as UTF-8; partition as a 4-byte big-endian int
//    (ByteBuffer.putInt); offset and timestamp as 8-byte big-endian longs (ByteBuffer.putLong).
//  - retrytopic/RetryTopicHeaders.java and DeadLetterPublishingRecovererFactory.java (addHeaders,
//    getAttempts): `retry_topic-attempts` as a 4-byte big-endian int (1 byte also read, as Spring
//    does); `retry_topic-backoff-timestamp` and `retry_topic-original-timestamp` as
//    `BigInteger.valueOf(ms).toByteArray()`: minimal big-endian two's complement, 1 to 8 bytes.
import type { RecordHeader } from '../consumer/record.js';

/** Header names, as Spring Kafka spells them. */
export const HeaderNames = {
  // DeadLetterPublishingRecoverer (dead-letter records).
  DLT_ORIGINAL_TOPIC: 'kafka_dlt-original-topic',
  DLT_ORIGINAL_PARTITION: 'kafka_dlt-original-partition',
  DLT_ORIGINAL_OFFSET: 'kafka_dlt-original-offset',
  DLT_ORIGINAL_TIMESTAMP: 'kafka_dlt-original-timestamp',
  DLT_ORIGINAL_TIMESTAMP_TYPE: 'kafka_dlt-original-timestamp-type',
  /** Also Spring's `KafkaHeaders.ORIGINAL_CONSUMER_GROUP` (the retry-topic feature writes the same name). */
  DLT_ORIGINAL_CONSUMER_GROUP: 'kafka_dlt-original-consumer-group',
  DLT_EXCEPTION_FQCN: 'kafka_dlt-exception-fqcn',
  DLT_EXCEPTION_CAUSE_FQCN: 'kafka_dlt-exception-cause-fqcn',
  DLT_EXCEPTION_MESSAGE: 'kafka_dlt-exception-message',
  DLT_EXCEPTION_STACKTRACE: 'kafka_dlt-exception-stacktrace',
  // The retry-topic feature (every forwarded record).
  ORIGINAL_TOPIC: 'kafka_original-topic',
  ORIGINAL_PARTITION: 'kafka_original-partition',
  ORIGINAL_OFFSET: 'kafka_original-offset',
  ORIGINAL_TIMESTAMP: 'kafka_original-timestamp',
  ORIGINAL_TIMESTAMP_TYPE: 'kafka_original-timestamp-type',
  EXCEPTION_FQCN: 'kafka_exception-fqcn',
  EXCEPTION_CAUSE_FQCN: 'kafka_exception-cause-fqcn',
  EXCEPTION_MESSAGE: 'kafka_exception-message',
  EXCEPTION_STACKTRACE: 'kafka_exception-stacktrace',
  RETRY_ATTEMPTS: 'retry_topic-attempts',
  RETRY_BACKOFF_TIMESTAMP: 'retry_topic-backoff-timestamp',
  RETRY_ORIGINAL_TIMESTAMP: 'retry_topic-original-timestamp',
} as const;

/** Every header this module writes: replaced on each hop, stripped when a dead letter is replayed. */
export const FORWARDING_HEADERS: ReadonlySet<string> = new Set([
  ...Object.values(HeaderNames),
  // Written by Spring only; dropped too, so a replayed record does not look forwarded.
  'kafka_dlt-key-exception-fqcn',
  'kafka_dlt-key-exception-message',
  'kafka_dlt-key-exception-stacktrace',
  'kafka_key-exception-fqcn',
  'kafka_key-exception-message',
  'kafka_key-exception-stacktrace',
]);

/** 4-byte big-endian int (Java's `ByteBuffer.putInt`). */
export function encodeInt32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** 8-byte big-endian long (Java's `ByteBuffer.putLong`). */
export function encodeInt64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(Math.trunc(n)));
  return b;
}

/**
 * Java's `BigInteger.valueOf(n).toByteArray()`: the shortest big-endian two's complement form that
 * keeps the sign (0 → [00], 127 → [7f], 128 → [00 80], -1 → [ff]).
 */
export function encodeBigInteger(n: number): Buffer {
  let v = BigInt(Math.trunc(n));
  const bytes: number[] = [];
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.unshift(byte);
    v >>= 8n;
    // Done once the rest is pure sign extension of the byte just written.
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

/** Reads `new BigInteger(bytes).longValue()` for 1 to 8 bytes; undefined for anything else. */
export function decodeBigInteger(b: Uint8Array | null | undefined): number | undefined {
  if (!b || b.length === 0 || b.length > 8) return undefined;
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  if (b[0]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return Number(v);
}

export function decodeInt32(b: Uint8Array | null | undefined): number | undefined {
  if (b?.length !== 4) return undefined;
  return Buffer.from(b.buffer, b.byteOffset, 4).readInt32BE(0);
}

export function decodeInt64(b: Uint8Array | null | undefined): number | undefined {
  if (b?.length !== 8) return undefined;
  return Number(Buffer.from(b.buffer, b.byteOffset, 8).readBigInt64BE(0));
}

/** The last header with this key (Spring reads `lastHeader`), or undefined. */
export function lastHeader(headers: readonly RecordHeader[], key: string): Buffer | null | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i]!.value;
  return undefined;
}

export function headerString(headers: readonly RecordHeader[], key: string): string | undefined {
  const v = lastHeader(headers, key);
  return v ? v.toString('utf8') : undefined;
}

/**
 * `retry_topic-attempts` as Spring reads it: a 4-byte int, or one unsigned byte (older Spring
 * versions); undefined when absent or malformed.
 */
export function decodeAttempts(b: Uint8Array | null | undefined): number | undefined {
  if (!b) return undefined;
  const n = b.length === 1 ? b[0]! : decodeInt32(b);
  return n !== undefined && n >= 1 ? n : undefined;
}

/** Where a forwarded record came from: the record as first consumed from its source topic. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/** The origin a forwarded record carries in its `kafka_original-*` headers (undefined if incomplete). */
export function readOrigin(headers: readonly RecordHeader[]): RecordOrigin | undefined {
  const topic = headerString(headers, HeaderNames.ORIGINAL_TOPIC);
  const partition = decodeInt32(lastHeader(headers, HeaderNames.ORIGINAL_PARTITION));
  const offset = decodeInt64(lastHeader(headers, HeaderNames.ORIGINAL_OFFSET));
  const timestamp = decodeInt64(lastHeader(headers, HeaderNames.ORIGINAL_TIMESTAMP));
  if (topic === undefined || partition === undefined || offset === undefined) return undefined;
  return { topic, partition, offset, timestamp: timestamp ?? -1 };
}

/** Everything a dead letter says about itself, decoded (see docs/processing.md for the header list). */
export interface DeadLetterInfo {
  topic: string | undefined;
  partition: number | undefined;
  offset: number | undefined;
  timestamp: number | undefined;
  consumerGroup: string | undefined;
  exceptionName: string | undefined;
  exceptionCauseName: string | undefined;
  exceptionMessage: string | undefined;
  stackTrace: string | undefined;
  /** `retry_topic-attempts`: Spring's meaning, the attempt the record is on (attempts made + 1). */
  attempts: number | undefined;
  /** `retry_topic-original-timestamp`. */
  originalTimestamp: number | undefined;
  /** `retry_topic-backoff-timestamp`: when the record was due (for a dead letter: when it was sent). */
  dueAt: number | undefined;
}

/**
 * Decodes the headers of a dead letter: the `kafka_dlt-*` family, falling back to the retry-topic
 * family (`kafka_original-*`, `kafka_exception-*`) that Spring's retry topics write to their DLT.
 */
export function readDeadLetter(headers: readonly RecordHeader[]): DeadLetterInfo {
  const str = (dlt: string, plain: string) => headerString(headers, dlt) ?? headerString(headers, plain);
  const raw = (dlt: string, plain: string) => lastHeader(headers, dlt) ?? lastHeader(headers, plain);
  return {
    topic: str(HeaderNames.DLT_ORIGINAL_TOPIC, HeaderNames.ORIGINAL_TOPIC),
    partition: decodeInt32(raw(HeaderNames.DLT_ORIGINAL_PARTITION, HeaderNames.ORIGINAL_PARTITION)),
    offset: decodeInt64(raw(HeaderNames.DLT_ORIGINAL_OFFSET, HeaderNames.ORIGINAL_OFFSET)),
    timestamp: decodeInt64(raw(HeaderNames.DLT_ORIGINAL_TIMESTAMP, HeaderNames.ORIGINAL_TIMESTAMP)),
    consumerGroup: headerString(headers, HeaderNames.DLT_ORIGINAL_CONSUMER_GROUP),
    exceptionName: str(HeaderNames.DLT_EXCEPTION_FQCN, HeaderNames.EXCEPTION_FQCN),
    exceptionCauseName: str(HeaderNames.DLT_EXCEPTION_CAUSE_FQCN, HeaderNames.EXCEPTION_CAUSE_FQCN),
    exceptionMessage: str(HeaderNames.DLT_EXCEPTION_MESSAGE, HeaderNames.EXCEPTION_MESSAGE),
    stackTrace: str(HeaderNames.DLT_EXCEPTION_STACKTRACE, HeaderNames.EXCEPTION_STACKTRACE),
    attempts: decodeAttempts(lastHeader(headers, HeaderNames.RETRY_ATTEMPTS)),
    originalTimestamp: decodeBigInteger(lastHeader(headers, HeaderNames.RETRY_ORIGINAL_TIMESTAMP)),
    dueAt: decodeBigInteger(lastHeader(headers, HeaderNames.RETRY_BACKOFF_TIMESTAMP)),
  };
}
