// The PostgreSQL store: rows and positions in one transaction of one connection of a small pool. pg 8
// and pg-copy-streams 7 are optional peer dependencies, loaded when a store opens, so users of the
// Kafka client alone never install them.
//
// How a write stays exactly-once: in its transaction, the positions move first — an UPDATE … WHERE
// next_offset = <expected> (or an INSERT … ON CONFLICT DO NOTHING when none is expected). That statement
// takes the position's row lock, so a second writer with the same expectation waits for the first to
// commit, then finds the position moved (READ COMMITTED re-checks the WHERE against the committed row)
// and is fenced; nothing of its write is stored. The rows follow, then COMMIT. A connection lost during
// COMMIT leaves its outcome unknown: the error is retriable, and the retry is fenced (found = this
// write's `next`) if the commit had landed, so the runner re-reads positions and stores nothing twice.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import type { CopyStreamQuery } from 'pg-copy-streams';
import type { TopicPartition } from '../consumer/topic-partition.js';
import { tpKey } from '../consumer/topic-partition.js';
import { ConfigError } from '../errors.js';
import { SinkDecodeError, SinkError, SinkFencedError } from './errors.js';
import { copyChunks, copyLine } from './postgres-copy.js';
import { pgSinkError } from './postgres-errors.js';
import {
  checkIdentifier,
  checkPostgresOptions,
  describeConnection,
  type PostgresStoreOptions,
  type ResolvedPostgresOptions,
} from './postgres-options.js';
import { mappedInsert, OFFSETS_COLUMNS, qualified, type StoreSql, storeSql, valueColumns } from './postgres-sql.js';
import { recordRow, storedValue } from './rows.js';
import type { MappedValue, PartitionWrite, SinkMode, SinkRecord, SinkStore } from './types.js';

export type { PostgresStoreOptions } from './postgres-options.js';

type CopyFrom = (text: string) => CopyStreamQuery;

interface Drivers {
  Pool: typeof Pool;
  copyFrom: CopyFrom | undefined;
}

async function loadDrivers(withCopy: boolean): Promise<Drivers> {
  const missing = (err: unknown) =>
    new ConfigError(
      'store',
      'the PostgreSQL sink needs the pg and pg-copy-streams packages (npm install pg pg-copy-streams): ' +
        (err as Error).message,
    );
  let PoolClass: typeof Pool;
  try {
    PoolClass = (await import('pg')).Pool;
  } catch (err) {
    throw missing(err);
  }
  if (!withCopy) return { Pool: PoolClass, copyFrom: undefined };
  try {
    const mod = (await import('pg-copy-streams')) as { from?: CopyFrom; default?: { from: CopyFrom } };
    return { Pool: PoolClass, copyFrom: mod.from ?? mod.default!.from };
  } catch (err) {
    throw missing(err);
  }
}

/** Rows per statement for column arrays (unnest): one array parameter per column, whatever the count. */
const ARRAY_ROWS = 5000;
/** PostgreSQL's limit of parameters per statement (a 16-bit count), for map mode's VALUES lists. */
const MAX_PARAMS = 65_535;
/** appendMethod 'auto': COPY from this many rows a write (measured: below it, INSERT's fewer messages win). */
const COPY_FROM_ROWS = 256;
const DDL_LOCK = 'sluice: create tables';

/** A pooled connection for one operation; destroyed rather than returned after any failure. */
interface Lease {
  client: PoolClient;
  /** The connection reported an error outside a query (the server went away between statements). */
  broken: boolean;
  done(destroy?: unknown): void;
}

export class PostgresStore implements SinkStore {
  readonly description: string;
  readonly mode: SinkMode;
  private readonly o: ResolvedPostgresOptions;
  private readonly sql: StoreSql;
  private pool: Pool | undefined;
  private copyFrom: CopyFrom | undefined;
  private opening: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions = {}) {
    this.o = checkPostgresOptions(options);
    this.mode = this.o.mode;
    this.sql = storeSql(this.mode, this.o.schema, this.o.table, this.o.offsetsTable);
    this.description = describeConnection(this.o.url);
  }

  /** Connects, and creates the schema and tables that are missing. Idempotent; may be retried after a failure. */
  async open(): Promise<void> {
    this.opening ??= this.doOpen().catch(async (err) => {
      this.opening = undefined;
      const pool = this.pool;
      this.pool = undefined;
      await pool?.end().catch(() => {});
      throw err;
    });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const useCopy = this.mode === 'append' && this.o.appendMethod !== 'insert';
    const drivers = await loadDrivers(useCopy);
    this.copyFrom = drivers.copyFrom;
    const pool = new drivers.Pool({
      ...(this.o.url === undefined ? {} : { connectionString: this.o.url }),
      ...(this.o.ssl === undefined ? {} : { ssl: this.o.ssl }),
      max: this.o.maxConnections,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: this.o.applicationName,
    });
    // An idle connection the server closed (a restart, an idle timeout): the pool drops it and the next
    // checkout connects afresh. Without a listener the 'error' event would crash the process.
    pool.on('error', () => {});
    this.pool = pool;
    const lease = await this.lease();
    try {
      await this.createMissing(lease.client);
      await this.checkColumns(lease.client);
      lease.done();
    } catch (err) {
      lease.done(err);
      throw err instanceof SinkError ? err : pgSinkError(this.description, 'open', err);
    }
  }

  /**
   * Creates what is missing, looking first: `CREATE … IF NOT EXISTS` needs the CREATE privilege even
   * when the object exists, and a sink may run as a role that may only write its tables. The advisory
   * lock keeps two stores opening at once from racing to create the same table.
   */
  private async createMissing(client: PoolClient): Promise<void> {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK]);
    const { schema } = this.o;
    if (schema !== undefined) {
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${qualified(undefined, schema)}`);
    }
    const tables: Array<[string, string | undefined]> = [
      [this.sql.offsets, this.sql.createOffsets],
      [this.sql.table, this.sql.createTable],
    ];
    for (const [name, create] of tables) {
      if (create === undefined) continue;
      const found = await client.query('SELECT to_regclass($1) AS oid', [name]);
      if (found.rows[0]?.oid === null) await client.query(create);
    }
    await client.query('COMMIT');
  }

  /** A table of that name made by someone else fails here, once, with a message naming it. */
  private async checkColumns(client: PoolClient): Promise<void> {
    const check = async (name: string, option: string, wanted: readonly string[]) => {
      const res = await client.query<{ attname: string }>(
        'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
        [name],
      );
      const have = new Set(res.rows.map((r) => r.attname));
      const lacking = wanted.filter((c) => !have.has(c));
      if (lacking.length > 0) {
        throw new SinkError(
          this.description,
          `table ${name} exists without column(s) ${lacking.join(', ')}: it is not a Sluice ${option === 'offsetsTable' ? 'offsets' : this.mode} table; choose another \`${option}\``,
          { code: 'PG_SCHEMA' },
        );
      }
    };
    await check(this.sql.offsets, 'offsetsTable', OFFSETS_COLUMNS);
    if (this.mode !== 'map') await check(this.sql.table, 'table', this.sql.tableColumns);
  }

  async positions(groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (partitions.length === 0) return out;
    const lease = await this.lease();
    try {
      const res = await lease.client.query<{ topic: string; partition: number; next_offset: string }>(
        this.sql.positions,
        [groupId, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
      );
      lease.done();
      for (const row of res.rows) out.set(tpKey(row.topic, row.partition), Number(row.next_offset));
      return out;
    } catch (err) {
      lease.done(err);
      throw pgSinkError(this.description, 'read positions', err);
    }
  }

  async write(groupId: string, parts: readonly PartitionWrite[]): Promise<void> {
    if (parts.length === 0) return;
    this.checkWrite(parts);
    const lease = await this.lease();
    const { client } = lease;
    try {
      await client.query('BEGIN');
      await this.movePositions(client, groupId, parts);
      if (this.mode === 'append') await this.append(client, parts);
      else if (this.mode === 'upsert') await this.upsert(client, parts);
      else await this.insertMapped(client, parts);
      await client.query('COMMIT');
      lease.done();
    } catch (err) {
      if (err instanceof SinkFencedError && !lease.broken) {
        // A refusal, not a failure: the connection is fine once the transaction is gone.
        await client.query('ROLLBACK').then(
          () => lease.done(),
          (e) => lease.done(e),
        );
      } else {
        lease.done(err); // closing the connection also ends its transaction, whatever state it is in
      }
      if (err instanceof SinkFencedError || err instanceof SinkDecodeError || err instanceof ConfigError) throw err;
      throw pgSinkError(this.description, 'write', err, this.advice(err));
    }
  }

  /** What the user can do about a write's failure, where the server's message does not say. */
  private advice(err: unknown): string | undefined {
    const code = (err as { code?: unknown }).code;
    if (this.mode === 'map' && code === '42P01')
      return 'map mode writes into tables you create; Sluice creates only its own';
    if (this.mode === 'append' && code === '23505') {
      return (
        `${this.sql.table} already holds records the offsets table has no position past: ` +
        'was the offsets table cleared, or does another group write into the same table?'
      );
    }
    return undefined;
  }

  /** What must hold before anything is sent: one part per partition, keys for upserts. */
  private checkWrite(parts: readonly PartitionWrite[]): void {
    const seen = new Set<string>();
    for (const p of parts) {
      const key = tpKey(p.topic, p.partition);
      if (seen.has(key)) {
        throw new SinkError(this.description, `write: ${p.topic}-${p.partition} appears twice in one write`, {
          code: 'SINK_INVALID_WRITE',
        });
      }
      seen.add(key);
      if (this.mode !== 'upsert') continue;
      for (const sr of p.records) {
        const r = sr.record;
        if (r.key === null && sr.value !== null) {
          throw new SinkDecodeError(
            r.topic,
            r.partition,
            r.offset,
            new Error('upsert needs a key, and this record has none'),
          );
        }
      }
    }
  }

  /** Moves every part's position from `expected` to `next`, or throws SinkFencedError for the first that is not at `expected`. */
  private async movePositions(client: PoolClient, groupId: string, parts: readonly PartitionWrite[]): Promise<void> {
    const moved = new Set<string>();
    const note = (rows: Array<{ topic: string; partition: number }>) => {
      for (const r of rows) moved.add(tpKey(r.topic, r.partition));
    };
    const known = parts.filter((p) => p.expected !== undefined);
    const fresh = parts.filter((p) => p.expected === undefined);
    if (known.length > 0) {
      const res = await client.query<{ topic: string; partition: number }>(this.sql.advance, [
        groupId,
        known.map((p) => p.topic),
        known.map((p) => p.partition),
        known.map((p) => p.expected),
        known.map((p) => p.next),
      ]);
      note(res.rows);
    }
    if (fresh.length > 0) {
      const res = await client.query<{ topic: string; partition: number }>(this.sql.claim, [
        groupId,
        fresh.map((p) => p.topic),
        fresh.map((p) => p.partition),
        fresh.map((p) => p.next),
      ]);
      note(res.rows);
    }
    for (const p of parts) {
      if (moved.has(tpKey(p.topic, p.partition))) continue;
      const res = await client.query<{ next_offset: string }>(this.sql.position, [groupId, p.topic, p.partition]);
      const found = res.rows[0] === undefined ? undefined : Number(res.rows[0].next_offset);
      throw new SinkFencedError(this.description, p.topic, p.partition, p.expected, found);
    }
  }

  private async append(client: PoolClient, parts: readonly PartitionWrite[]): Promise<void> {
    const count = parts.reduce((n, p) => n + p.records.length, 0);
    if (count === 0) return;
    if (this.copyFrom && (this.o.appendMethod === 'copy' || count >= COPY_FROM_ROWS)) {
      const lines = function* () {
        for (const p of parts) {
          for (const sr of p.records) {
            const r = recordRow(sr);
            const [value, valueBytes] = valueColumns(r.value);
            yield copyLine(r, value, valueBytes);
          }
        }
      };
      await pipeline(Readable.from(copyChunks(lines())), client.query(this.copyFrom(this.sql.copyAppend)));
      return;
    }
    for (const chunk of chunks(parts.flatMap((p) => p.records))) {
      const cols: unknown[][] = [[], [], [], [], [], [], [], []];
      for (const sr of chunk) {
        const r = recordRow(sr);
        const [value, valueBytes] = valueColumns(r.value);
        push(cols, r.topic, r.partition, r.offset, r.timestamp, r.key, value, valueBytes, r.headers);
      }
      await client.query(this.sql.appendUnnest, cols);
    }
  }

  /**
   * The last record of each key wins and a tombstone deletes; applied as one INSERT … ON CONFLICT DO
   * UPDATE and one DELETE, after keeping only each key's last record (one statement may not touch a
   * row twice, and there is nothing to gain from writing a key's older values).
   */
  private async upsert(client: PoolClient, parts: readonly PartitionWrite[]): Promise<void> {
    const last = new Map<string, SinkRecord>();
    for (const p of parts) {
      for (const sr of p.records) {
        const key = sr.record.key;
        if (key === null) continue; // a tombstone without a key deletes nothing (checkWrite refused the rest)
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
      await client.query(this.sql.upsertUnnest, cols);
    }
    for (const chunk of chunks(gone)) {
      await client.query(this.sql.deleteKeys, [chunk.map((sr) => sr.record.topic), chunk.map((sr) => sr.record.key)]);
    }
  }

  /**
   * `map` mode: the user's rows, table by table in the order each table first appears (so parents
   * named before their children go first), in record order within a table.
   */
  private async insertMapped(client: PoolClient, parts: readonly PartitionWrite[]): Promise<void> {
    const tables = new Map<string, { columns: Map<string, number>; rows: Array<Record<string, MappedValue>> }>();
    for (const p of parts) {
      for (const sr of p.records) {
        for (const { table, row } of sr.rows ?? []) {
          const name = qualified(this.o.schema, checkIdentifier('table', table));
          let t = tables.get(name);
          if (!t) tables.set(name, (t = { columns: new Map(), rows: [] }));
          for (const c of Object.keys(row)) {
            if (!t.columns.has(c)) t.columns.set(checkIdentifier('column', c), t.columns.size);
          }
          t.rows.push(row);
        }
      }
    }
    for (const [name, { columns, rows }] of tables) {
      const names = [...columns.keys()];
      if (names.length === 0) continue; // rows without columns: nothing to insert
      const perStatement = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS / names.length)));
      for (let i = 0; i < rows.length; i += perStatement) {
        const values = rows.slice(i, i + perStatement).map((row) => names.map((c) => mappedValue(row[c])));
        const q = mappedInsert(name, names, values);
        await client.query(q.text, q.params);
      }
    }
  }

  /** Positions are written with the rows: nothing is buffered, so nothing to flush. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    await opening?.catch(() => {});
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private async lease(): Promise<Lease> {
    const pool = this.pool;
    if (!pool) {
      throw new SinkError(this.description, 'the store is not open (call open() first)', { code: 'SINK_NOT_OPEN' });
    }
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw pgSinkError(this.description, 'connecting', err);
    }
    // Checked out, a connection has no 'error' listener of the pool's: one that breaks between two
    // statements would crash the process without ours. The next statement fails anyway.
    const lease: Lease = {
      client,
      broken: false,
      done: (destroy?: unknown) => {
        client.off('error', onError);
        if (destroy === undefined && !lease.broken) client.release();
        else client.release(destroy instanceof Error ? destroy : true);
      },
    };
    const onError = () => {
      lease.broken = true;
    };
    client.on('error', onError);
    return lease;
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
