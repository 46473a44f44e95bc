// The SQL of PostgresStore: its tables and the statements that write them, built once per store from
// checked, quoted names.
//
// Columns, and why:
//  - `value text` + `value_bytes bytea`: rows.ts gives a value as text (decoded strings, JSON) or as
//    bytes (raw values); each row fills the one that fits and leaves the other NULL (both NULL: a
//    tombstone), so text stays queryable as text and bytes stay bytes. One exception: PostgreSQL's text
//    cannot hold U+0000, so a string containing it is stored, UTF-8 encoded, in value_bytes rather than
//    refused.
//  - `"timestamp" bigint`: milliseconds since the epoch, as the SQLite and JSONL stores keep it. Kafka
//    allows timestamps (e.g. -1, or a producer's garbage) that a timestamptz would reject or distort;
//    `to_timestamp("timestamp" / 1000.0)` gives one for queries.
//  - `headers json` (not jsonb): `[[key, value], …]` in order, duplicates kept; json keeps the text as
//    written, where jsonb would refuse a header value with U+0000 in it.
//  - `key bytea`: keys are bytes; the upsert table's primary key is (topic, key).
import { quote } from './postgres-options.js';
import type { SinkMode } from './types.js';

/** The columns of the append table, in the order COPY and INSERT send them. */
export const APPEND_COLUMNS = ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'value_bytes', 'headers'];
/** The upsert table's. */
export const UPSERT_COLUMNS = ['topic', 'key', 'partition', 'offset', 'timestamp', 'value', 'value_bytes', 'headers'];
/** Types of the columns by name, for casts of array parameters (unnest). */
const TYPES: Record<string, string> = {
  topic: 'text',
  partition: 'integer',
  offset: 'bigint',
  timestamp: 'bigint',
  key: 'bytea',
  value: 'text',
  value_bytes: 'bytea',
  headers: 'json',
};

export const OFFSETS_COLUMNS = ['group_id', 'topic', 'partition', 'next_offset'];

export interface StoreSql {
  /** `"schema"."table"` or `"table"`, as SQL and to_regclass() take it. */
  table: string;
  offsets: string;
  createOffsets: string;
  createTable: string | undefined;
  /** The columns the records table must have for this mode. */
  tableColumns: readonly string[];
  positions: string;
  /** Moves the positions whose stored value is the expected one; returns the partitions it moved. */
  advance: string;
  /** Inserts positions for partitions that have none; returns the partitions it inserted. */
  claim: string;
  /** The stored position of one partition (after a refused advance or claim: who fenced us). */
  position: string;
  /** Append: all rows as column arrays. */
  appendUnnest: string;
  /** Append with COPY, straight into the table. */
  copyAppend: string;
  upsertUnnest: string;
  deleteKeys: string;
}

export function qualified(schema: string | undefined, name: string): string {
  return schema === undefined ? quote(name) : `${quote(schema)}.${quote(name)}`;
}

const cols = (names: readonly string[]) => names.map(quote).join(', ');
const unnest = (names: readonly string[], from = 1) =>
  `unnest(${names.map((n, i) => `$${i + from}::${TYPES[n]}[]`).join(', ')})`;

export function storeSql(mode: SinkMode, schema: string | undefined, table: string, offsetsTable: string): StoreSql {
  const t = qualified(schema, table);
  const o = qualified(schema, offsetsTable);
  const upsertSet = UPSERT_COLUMNS.filter((c) => c !== 'topic' && c !== 'key')
    .map((c) => `${quote(c)} = excluded.${quote(c)}`)
    .join(', ');
  return {
    table: t,
    offsets: o,
    createOffsets: `CREATE TABLE ${o} (
      group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (group_id, topic, partition))`,
    createTable:
      mode === 'append'
        ? `CREATE TABLE ${t} (
            topic text NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL, "timestamp" bigint NOT NULL,
            key bytea, value text, value_bytes bytea, headers json,
            PRIMARY KEY (topic, partition, "offset"))`
        : mode === 'upsert'
          ? `CREATE TABLE ${t} (
            topic text NOT NULL, key bytea NOT NULL, partition integer NOT NULL, "offset" bigint NOT NULL,
            "timestamp" bigint NOT NULL, value text, value_bytes bytea, headers json,
            PRIMARY KEY (topic, key))`
          : undefined,
    tableColumns: mode === 'append' ? APPEND_COLUMNS : mode === 'upsert' ? UPSERT_COLUMNS : [],
    positions: `SELECT topic, partition, next_offset FROM ${o}
      WHERE group_id = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::integer[]))`,
    advance: `UPDATE ${o} AS o SET next_offset = i.next, updated_at = now()
      FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::bigint[]) AS i(topic, partition, expected, next)
      WHERE o.group_id = $1 AND o.topic = i.topic AND o.partition = i.partition AND o.next_offset = i.expected
      RETURNING o.topic, o.partition`,
    claim: `INSERT INTO ${o} (group_id, topic, partition, next_offset)
      SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::bigint[])
      ON CONFLICT (group_id, topic, partition) DO NOTHING
      RETURNING topic, partition`,
    position: `SELECT next_offset FROM ${o} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
    // No ON CONFLICT: with positions fenced, a row already there means the offsets table lost positions
    // the records table kept (cleared by hand, or another group writes into the same table): an error
    // to see, as the SQLite store's, not rows to drop silently.
    appendUnnest: `INSERT INTO ${t} (${cols(APPEND_COLUMNS)}) SELECT * FROM ${unnest(APPEND_COLUMNS)}`,
    copyAppend: `COPY ${t} (${cols(APPEND_COLUMNS)}) FROM STDIN`,
    upsertUnnest: `INSERT INTO ${t} (${cols(UPSERT_COLUMNS)}) SELECT * FROM ${unnest(UPSERT_COLUMNS)}
      ON CONFLICT (topic, key) DO UPDATE SET ${upsertSet}`,
    deleteKeys: `DELETE FROM ${t} WHERE (topic, key) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))`,
  };
}

/**
 * `map` mode: an INSERT of `count` rows into `table` with these columns, as one VALUES list. A row
 * without one of the columns (undefined) gets the column's DEFAULT, as if the column were left out.
 */
export function mappedInsert(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>) {
  const params: unknown[] = [];
  const tuples = rows.map(
    (row) =>
      `(${row
        .map((v) => {
          if (v === undefined) return 'DEFAULT';
          params.push(v);
          return `$${params.length}`;
        })
        .join(', ')})`,
  );
  return { text: `INSERT INTO ${table} (${cols(columns)}) VALUES ${tuples.join(', ')}`, params };
}

/** A record's value as the (value, value_bytes) pair: text in one, bytes in the other, see above. */
export function valueColumns(v: string | Buffer | null): [string | null, Buffer | null] {
  if (v === null) return [null, null];
  if (typeof v !== 'string') return [null, v];
  return v.includes('\u0000') ? [null, Buffer.from(v, 'utf8')] : [v, null];
}
