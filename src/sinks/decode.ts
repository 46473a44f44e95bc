// Turning records into what a store writes: the value decoded per the `value` option, and in `map`
// mode the user's rows. A record that fails here follows the error policy (runner.ts): it is never
// dropped silently.
import type { ConsumerRecord } from '../consumer/record.js';
import { ConfigError } from '../errors.js';
import type { MappedRow, SinkMode, SinkRecord } from './types.js';

/** How values are decoded: UTF-8 text, JSON, the raw bytes, or a function of the bytes. */
export type ValueDecoder = 'utf8' | 'json' | 'bytes' | ((value: Buffer, record: ConsumerRecord) => unknown);

/** Map mode: a record (and its decoded value) → rows of the user's tables; none to store nothing. */
export type MapFunction = (record: ConsumerRecord, value: unknown) => MappedRow | MappedRow[] | null | undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function checkDecoder(value: unknown): ValueDecoder {
  if (value === undefined) return 'utf8';
  if (value === 'utf8' || value === 'json' || value === 'bytes' || typeof value === 'function') {
    return value as ValueDecoder;
  }
  throw new ConfigError('value', `expected 'utf8', 'json', 'bytes' or a function, got ${String(value)}`);
}

/**
 * Decodes one value. Text must be valid UTF-8 (a fatal decoder: invalid bytes are an error, not
 * replacement characters); a tombstone (null) stays null whatever the decoder.
 */
export function decodeValue(decoder: ValueDecoder, record: ConsumerRecord): unknown {
  const v = record.value;
  if (v === null) return null;
  switch (decoder) {
    case 'utf8':
      return utf8.decode(v);
    case 'json':
      return JSON.parse(utf8.decode(v));
    case 'bytes':
      return Buffer.from(v);
    default:
      return decoder(v, record);
  }
}

/** The store's input for one record; throws what the decoder or `map` threw. */
export function toSinkRecord(
  mode: SinkMode,
  decoder: ValueDecoder,
  map: MapFunction | undefined,
  record: ConsumerRecord,
): SinkRecord {
  const value = decodeValue(decoder, record);
  if (mode === 'upsert' && record.key === null) throw new Error('upsert needs a key, and this record has none');
  if (mode !== 'map') return { record, value };
  const out = map!(record, value);
  const rows = out === null || out === undefined ? [] : Array.isArray(out) ? out : [out];
  for (const r of rows) {
    if (typeof r !== 'object' || r === null || typeof r.table !== 'string' || r.table === '') {
      throw new Error('map must return { table, row } objects (or an array of them)');
    }
    if (typeof r.row !== 'object' || r.row === null || Object.keys(r.row).length === 0) {
      throw new Error(`map returned a row for table "${r.table}" without columns`);
    }
  }
  return { record, value, rows };
}
