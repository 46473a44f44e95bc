// What a record's columns hold in the SQL stores (append and upsert modes) and in JSONL lines, so
// every store writes the same thing for the same record.
import type { SinkRecord } from './types.js';

/** The columns of a record in `append` mode (and, but for `offset` as the row's version, in `upsert`). */
export interface RecordRow {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: Buffer | null;
  /** Text for decoded strings and JSON, bytes for raw values, null for a tombstone. */
  value: string | Buffer | null;
  /** JSON: `[[key, value], …]`, values as UTF-8 text (null stays null); null when the record has none. */
  headers: string | null;
}

/** A decoded value as a column: strings and bytes as they are, anything else as its JSON text. */
export function storedValue(value: unknown): string | Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function headersJson(r: SinkRecord['record']): string | null {
  if (r.headers.length === 0) return null;
  return JSON.stringify(r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')]));
}

export function recordRow(sr: SinkRecord): RecordRow {
  const r = sr.record;
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    // Copied: the record's bytes are views of the fetch buffer, released after the batch.
    key: r.key === null ? null : Buffer.from(r.key),
    value: sr.value === null ? null : copyBytes(storedValue(sr.value)),
    headers: headersJson(r),
  };
}

function copyBytes<T>(v: T): T {
  return (Buffer.isBuffer(v) ? Buffer.from(v) : v) as T;
}
