// COPY's text format for the append table's rows: one line per row, columns separated by tabs, `\N`
// for NULL, and backslash escapes for the characters that would break a line apart. Bytes (bytea) as
// `\\x<hex>`: bytea's hex input `\x…`, its backslash escaped for COPY.
// https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2
import type { RecordRow } from './rows.js';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function text(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

function bytes(b: Buffer | null): string {
  return b === null ? '\\N' : `\\\\x${b.toString('hex')}`;
}

/** One row of APPEND_COLUMNS (postgres-sql.ts), with its line end. */
export function copyLine(r: RecordRow, value: string | null, valueBytes: Buffer | null): string {
  return (
    `${text(r.topic)}\t${r.partition}\t${r.offset}\t${r.timestamp}\t${bytes(r.key)}\t` +
    `${value === null ? '\\N' : text(value)}\t${bytes(valueBytes)}\t${r.headers === null ? '\\N' : text(r.headers)}\n`
  );
}

/** Lines batched into chunks of about `size` characters: fewer, larger writes to the socket. */
export function* copyChunks(lines: Iterable<string>, size = 256 * 1024): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= size) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
