// The rows of a PostgresStore write, per mode, sent inside the write's transaction (postgres.ts).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { copyChunks, copyLine } from './postgres-copy.js';
import { checkIdentifier } from './postgres-options.js';
import type { CopyFrom } from './postgres-pool.js';
import { mappedInsert, qualified, type StoreSql, valueColumns } from './postgres-sql.js';
import { recordRow, storedValue } from './rows.js';
import type { MappedValue, PartitionWrite, SinkRecord } from './types.js';

/** Rows per statement for column arrays (unnest): one array parameter per column, whatever the count. */
const ARRAY_ROWS = 5000;
/** PostgreSQL's limit of parameters per statement (a 16-bit count), for map mode's VALUES lists. */
const MAX_PARAMS = 65_535;
/** appendMethod 'auto': COPY from this many rows a write (measured: below it, INSERT's fewer messages win). */
export const COPY_FROM_ROWS = 256;

/** `copyFrom` given: COPY (text format) straight into the table; else INSERT … SELECT FROM unnest(arrays). */
export async function appendRows(
  client: PoolClient,
  sql: StoreSql,
  parts: readonly PartitionWrite[],
  copyFrom: CopyFrom | undefined,
): Promise<void> {
  if (copyFrom) {
    const lines = function* () {
      for (const p of parts) {
        for (const sr of p.records) {
          const r = recordRow(sr);
          const [value, valueBytes] = valueColumns(r.value);
          yield copyLine(r, value, valueBytes);
        }
      }
    };
    await pipeline(Readable.from(copyChunks(lines())), client.query(copyFrom(sql.copyAppend)));
    return;
  }
  for (const chunk of chunks(parts.flatMap((p) => p.records))) {
    const cols: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const sr of chunk) {
      const r = recordRow(sr);
      const [value, valueBytes] = valueColumns(r.value);
      push(cols, r.topic, r.partition, r.offset, r.timestamp, r.key, value, valueBytes, r.headers);
    }
    await client.query(sql.appendUnnest, cols);
  }
}

/**
 * The last record of each key wins and a tombstone deletes; applied as one INSERT … ON CONFLICT DO
 * UPDATE and one DELETE, after keeping only each key's last record (one statement may not touch a
 * row twice, and there is nothing to gain from writing a key's older values).
 */
export async function upsertRows(client: PoolClient, sql: StoreSql, parts: readonly PartitionWrite[]): Promise<void> {
  const last = new Map<string, SinkRecord>();
  for (const p of parts) {
    for (const sr of p.records) {
      const key = sr.record.key;
      if (key === null) continue; // a tombstone without a key deletes nothing (the store refused the rest)
      const id = `${sr.record.topic}\u0000${key.toString('latin1')}`;
      last.delete(id); // re-inserted: the map keeps the order of each key's last record
      last.set(id, sr);
    }
  }
  const gone: SinkRecord[] = [];
  const kept: SinkRecord[] = [];
  for (const sr of last.values()) (sr.value === null ? gone : kept).push(sr);
  for (const chunk of chunks(kept)) {
    const cols: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const sr of chunk) {
      const r = recordRow(sr);
      const [value, valueBytes] = valueColumns(r.value);
      push(cols, r.topic, r.key, r.partition, r.offset, r.timestamp, value, valueBytes, r.headers);
    }
    await client.query(sql.upsertUnnest, cols);
  }
  for (const chunk of chunks(gone)) {
    await client.query(sql.deleteKeys, [chunk.map((sr) => sr.record.topic), chunk.map((sr) => sr.record.key)]);
  }
}

/**
 * `map` mode: the user's rows, table by table in the order each table first appears (so parents
 * named before their children go first), in record order within a table. Names are checked as the
 * SQLite store checks them (a ConfigError), then quoted.
 */
export async function insertMapped(
  client: PoolClient,
  schema: string | undefined,
  parts: readonly PartitionWrite[],
): Promise<void> {
  const tables = new Map<string, { columns: Set<string>; rows: Array<Record<string, MappedValue>> }>();
  for (const p of parts) {
    for (const sr of p.records) {
      for (const { table, row } of sr.rows ?? []) {
        const name = qualified(schema, checkIdentifier('table', table));
        let t = tables.get(name);
        if (!t) tables.set(name, (t = { columns: new Set(), rows: [] }));
        for (const c of Object.keys(row)) if (!t.columns.has(c)) t.columns.add(checkIdentifier('column', c));
        t.rows.push(row);
      }
    }
  }
  for (const [name, { columns, rows }] of tables) {
    const names = [...columns];
    if (names.length === 0) continue; // rows without columns: nothing to insert
    const perStatement = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / names.length)));
    for (let i = 0; i < rows.length; i += perStatement) {
      const values = rows.slice(i, i + perStatement).map((row) => names.map((c) => mappedValue(row[c])));
      const q = mappedInsert(name, names, values);
      await client.query(q.text, q.params);
    }
  }
}

function* chunks<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += ARRAY_ROWS) yield items.slice(i, i + ARRAY_ROWS);
}

function push(cols: unknown[][], ...values: unknown[]): void {
  for (let i = 0; i < values.length; i++) cols[i]!.push(values[i]);
}

/** A map-mode value as pg sends it: undefined means "not given" (the column's DEFAULT). */
function mappedValue(v: MappedValue | undefined): unknown {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (Buffer.isBuffer(v)) return v;
  return storedValue(v); // other bytes as a Buffer, anything else as JSON text
}
