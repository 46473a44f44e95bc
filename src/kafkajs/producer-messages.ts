// KafkaJS's message and result shapes ↔ Sluice's. Keys, values and header values may be a Buffer, a
// string (UTF-8) or null, as in KafkaJS; `timestamp` a string or number of ms; header values may be
// arrays (one header per element, as KafkaJS writes them).
import type { Message as SluiceMessage, RecordMetadata as SluiceRecordMetadata } from '../producer/types.js';
import { KafkaJSNonRetriableError } from './errors.js';
import type { PartitionerMessage } from './partitioners.js';

export interface IHeaders {
  [key: string]: Buffer | string | (Buffer | string)[] | undefined;
}

export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: IHeaders;
  timestamp?: string | number;
}

/** KafkaJS's result: one entry per partition written, offsets as strings. */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
}

/** A fresh Buffer object over the same bytes, so the partitioner hook can find the message it came from. */
const view = (b: Buffer) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function bytesOf(v: unknown, what: string, own: boolean): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v);
  if (Buffer.isBuffer(v)) return own ? view(v) : v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new KafkaJSNonRetriableError(`${what} must be a Buffer, a string or null, got ${typeof v}`);
}

function headersOf(h: IHeaders | undefined, what: string): Array<{ key: string; value: Buffer | null }> | undefined {
  if (h === undefined || h === null) return undefined;
  if (typeof h !== 'object') throw new KafkaJSNonRetriableError(`${what} must be an object`);
  const out: Array<{ key: string; value: Buffer | null }> = [];
  for (const key of Object.keys(h)) {
    const v = h[key];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push({ key, value: bytesOf(one, `${what}.${key}`, false) });
  }
  return out;
}

function timestampOf(t: unknown, what: string, now: number): number {
  if (t === undefined || t === null) return now;
  const n = typeof t === 'string' ? Number(t) : t;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new KafkaJSNonRetriableError(`${what} must be milliseconds since the epoch, got ${String(t)}`);
  }
  return n;
}

export interface Converted {
  messages: SluiceMessage[];
  /** The timestamp sent for each message (to tell CreateTime from LogAppendTime in the results). */
  timestamps: number[];
}

/**
 * Sluice messages for KafkaJS's; with `originals`, each key/value Buffer is a fresh object mapped back
 * to its KafkaJS message, for a KafkaJS partitioner that must see the message as given.
 */
export function toSluiceMessages(
  topic: string,
  messages: readonly Message[],
  originals: WeakMap<Buffer, PartitionerMessage> | undefined,
): Converted {
  const now = Date.now();
  const out: SluiceMessage[] = new Array(messages.length);
  const timestamps: number[] = new Array(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (typeof m !== 'object' || m === null) {
      throw new KafkaJSNonRetriableError(`Invalid message for topic "${topic}": ${JSON.stringify(m)}`);
    }
    if (m.value === undefined) {
      throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}": ${JSON.stringify(m)}`);
    }
    const what = `messages[${i}]`;
    const own = originals !== undefined;
    const key = bytesOf(m.key, `${what}.key`, own);
    const value = bytesOf(m.value, `${what}.value`, own);
    if (originals !== undefined) {
      if (key !== null) originals.set(key, m);
      if (value !== null) originals.set(value, m);
    }
    const timestamp = timestampOf(m.timestamp, `${what}.timestamp`, now);
    timestamps[i] = timestamp;
    const sm: SluiceMessage = { key, value, timestamp };
    const headers = headersOf(m.headers, `${what}.headers`);
    if (headers !== undefined && headers.length > 0) sm.headers = headers;
    if (m.partition !== undefined && m.partition !== null) sm.partition = m.partition;
    out[i] = sm;
  }
  return { messages: out, timestamps };
}

/**
 * KafkaJS's result for one topic: an entry per partition in ascending order, `baseOffset` the first
 * offset written there, `logAppendTime` the broker's time when the topic uses LogAppendTime, else '-1'.
 * Sluice does not report the log start offset, so `logStartOffset` is '-1'.
 */
export function toRecordMetadata(
  topic: string,
  results: readonly SluiceRecordMetadata[],
  timestamps: readonly number[],
): RecordMetadata[] {
  const byPartition = new Map<number, { base: number; appendTime: number }>();
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    const appended = r.timestamp !== timestamps[i] ? r.timestamp : -1;
    const seen = byPartition.get(r.partition);
    if (seen === undefined) byPartition.set(r.partition, { base: r.offset, appendTime: appended });
    else if (r.offset < seen.base) seen.base = r.offset;
  }
  return [...byPartition.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([partition, { base, appendTime }]) => ({
      topicName: topic,
      partition,
      errorCode: 0,
      baseOffset: String(base),
      logAppendTime: String(appendTime),
      logStartOffset: '-1',
    }));
}
