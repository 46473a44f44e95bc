// What a record becomes in a JSONL file: one line of JSON per record (append mode) or per mapped row
// (map mode). Built as strings by hand rather than through JSON.stringify of an object: the store
// writes hundreds of thousands of lines a second, and this skips an object and a generic walk per line.
import { SinkDecodeError } from './errors.js';
import { headersJson, storedValue } from './rows.js';
import type { SinkRecord } from './types.js';

/**
 * One record in append mode, as rows.ts defines its columns:
 *  - `topic`, `partition`, `offset`, `timestamp` (milliseconds since the epoch): numbers and a string;
 *  - `key`: the key's bytes as UTF-8 text (bytes that are not UTF-8 become U+FFFD); null stays null;
 *  - `value`: a string when decoded as text; the decoded JSON value itself when decoded as JSON (an
 *    object stays an object, not its text; bigints become strings); raw bytes (`value: 'bytes'`) as a
 *    base64 string; null for a tombstone;
 *  - `headers`: `[[key, value], …]` with values as UTF-8 text (null stays null); null when there are none.
 *
 * `topicJson` is the topic as a JSON string, made once per batch.
 */
export function appendLine(sr: SinkRecord, topicJson: string): string {
  const r = sr.record;
  const key = r.key === null ? 'null' : JSON.stringify(r.key.toString('utf8'));
  const headers = r.headers.length === 0 ? 'null' : headersJson(r);
  return (
    `{"topic":${topicJson},"partition":${r.partition},"offset":${r.offset},"timestamp":${r.timestamp},` +
    `"key":${key},"value":${valueJson(sr)},"headers":${headers}}\n`
  );
}

function valueJson(sr: SinkRecord): string {
  const v = sr.value;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `"${base64(v)}"`;
  let text: unknown;
  try {
    // The same JSON text the SQL stores keep in their value column.
    text = storedValue(v);
  } catch (err) {
    throw new SinkDecodeError(sr.record.topic, sr.record.partition, sr.record.offset, err);
  }
  if (typeof text !== 'string') {
    // JSON.stringify gives undefined for a function or a symbol: not a value a line can hold.
    throw new SinkDecodeError(
      sr.record.topic,
      sr.record.partition,
      sr.record.offset,
      new Error(`the decoded value (${typeof v}) has no JSON form`),
    );
  }
  return text;
}

/**
 * A map-mode row as a JSON object, columns in the row's key order: strings and booleans as they are,
 * numbers as JSON numbers (NaN and ±Infinity, which JSON lacks, as null), bigints as exact JSON
 * numbers (a reader that parses numbers as doubles loses digits past 2^53), Buffers as base64
 * strings, null as null. Anything else (a Date, a nested object) as its JSON.
 */
export function rowLine(row: Record<string, unknown>, sr: SinkRecord): string {
  let s = '{';
  for (const column of Object.keys(row)) {
    const v = row[column];
    if (v === undefined) continue;
    if (s.length > 1) s += ',';
    s += JSON.stringify(column) + ':' + columnJson(v, sr);
  }
  return s + '}\n';
}

function columnJson(v: unknown, sr: SinkRecord): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `"${base64(v)}"`;
  let text: string | undefined;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch (err) {
    throw new SinkDecodeError(sr.record.topic, sr.record.partition, sr.record.offset, err);
  }
  if (text === undefined) {
    const why = new Error(`a mapped column holds a ${typeof v}, which has no JSON form`);
    throw new SinkDecodeError(sr.record.topic, sr.record.partition, sr.record.offset, why);
  }
  return text;
}

function base64(v: Uint8Array): string {
  return (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString('base64');
}
