// What KafkaJS handlers receive: messages with string offsets and timestamps and headers as an
// object, and eachBatch's `batch` with its offset helpers.
import type { ConsumerRecord } from '../consumer/record.js';

import type { IHeaders } from './producer-messages.js';

export type { IHeaders };

/** KafkaJS's RecordBatchEntry (record format v2, all Sluice reads). */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: IHeaders;
  size?: never;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
}

export type TopicOffsets = { topic: string; partitions: Array<{ partition: number; offset: string }> };
export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface EachBatchPayload {
  batch: Batch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  isStale(): boolean;
}

export type EachMessageHandler = (payload: EachMessagePayload) => Promise<void>;
export type EachBatchHandler = (payload: EachBatchPayload) => Promise<void>;

/** Headers as KafkaJS gives them: by key, a Buffer, or an array of them when a key repeats. */
function headersOf(record: ConsumerRecord): IHeaders {
  const out: IHeaders = {};
  const list = record.headers;
  for (let i = 0; i < list.length; i++) {
    const h = list[i]!;
    // A null header value stays null, as KafkaJS decodes it.
    const v = h.value as Buffer;
    const prev = out[h.key];
    if (prev === undefined) out[h.key] = v;
    else out[h.key] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const ZEROS = ['', '0', '00', '000', '0000', '00000'];
let lastTimestamp = -1;
let lastTimestampText = '-1';

/**
 * `String(n)` for the integers offsets and timestamps are, faster: V8 prints a small integer from a
 * cache, but a number above 2^30 (every millisecond timestamp) through its general double-to-string
 * path, at about 100 ns — most of what a message costs. Two small halves print in a fraction of that.
 */
export function decimal(n: number): string {
  if (n >= 0 && n < 1_073_741_824) return String(n);
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER) || !Number.isInteger(n)) return String(n);
  const hi = Math.floor(n / 1_000_000);
  const lo = String(n - hi * 1_000_000);
  return String(hi) + ZEROS[6 - lo.length] + lo;
}

/** Records of one batch mostly share their timestamp (or a few): the last one's text is kept. */
function timestampText(ts: number): string {
  if (ts !== lastTimestamp) {
    lastTimestamp = ts;
    lastTimestampText = decimal(ts);
  }
  return lastTimestampText;
}

export function toKafkaMessage(record: ConsumerRecord): KafkaMessage {
  return {
    key: record.key,
    value: record.value,
    timestamp: timestampText(record.timestamp),
    attributes: 0,
    offset: decimal(record.offset),
    headers: record.headers.length === 0 ? {} : headersOf(record),
  };
}

/** KafkaJS's Batch over Sluice's records of one partition from one fetch. */
export function toBatch(
  topic: string,
  partition: number,
  highWatermark: number,
  records: readonly ConsumerRecord[],
): Batch {
  const messages = records.map(toKafkaMessage);
  const hw = decimal(highWatermark);
  const first = records[0];
  const last = records[records.length - 1];
  return {
    topic,
    partition,
    highWatermark: hw,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (first ? decimal(first.offset) : null),
    // KafkaJS: an empty batch's last offset is highWatermark - 1.
    lastOffset: () => (last ? decimal(last.offset) : decimal(highWatermark - 1)),
    // Lag after the batch: highWatermark - 1 - lastOffset; before it (offsetLagLow): from the first.
    offsetLag: () => String(last ? Math.max(0, highWatermark - 1 - last.offset) : 0),
    offsetLagLow: () => String(first ? Math.max(0, highWatermark - 1 - first.offset) : 0),
  };
}
