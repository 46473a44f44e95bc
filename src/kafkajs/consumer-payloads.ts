// What KafkaJS handlers receive: messages with string offsets and timestamps and headers as an
// object, and eachBatch's `batch` with its offset helpers.
import type { ConsumerRecord } from '../consumer/record.js';

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

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

export function toKafkaMessage(record: ConsumerRecord): KafkaMessage {
  return {
    key: record.key,
    value: record.value,
    timestamp: String(record.timestamp),
    attributes: 0,
    offset: String(record.offset),
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
  const hw = String(highWatermark);
  const first = records[0];
  const last = records[records.length - 1];
  return {
    topic,
    partition,
    highWatermark: hw,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (first ? String(first.offset) : null),
    // KafkaJS: an empty batch's last offset is highWatermark - 1.
    lastOffset: () => (last ? String(last.offset) : String(highWatermark - 1)),
    // Lag after the batch: highWatermark - 1 - lastOffset; before it (offsetLagLow): from the first.
    offsetLag: () => String(last ? Math.max(0, highWatermark - 1 - last.offset) : 0),
    offsetLagLow: () => String(first ? Math.max(0, highWatermark - 1 - first.offset) : 0),
  };
}
