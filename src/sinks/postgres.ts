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
import type { Pool, PoolClient } from 'pg';
import type { TopicPartition } from '../consumer/topic-partition.js';
import { tpKey } from '../consumer/topic-partition.js';
import { ConfigError } from '../errors.js';
import { SinkDecodeError, SinkError, SinkFencedError } from './errors.js';
import { pgSinkError } from './postgres-errors.js';
import {
  checkPostgresOptions,
  describeConnection,
  type PostgresStoreOptions,
  type ResolvedPostgresOptions,
} from './postgres-options.js';
import { type CopyFrom, checkout, createPool, loadDrivers } from './postgres-pool.js';
import { appendRows, COPY_FROM_ROWS, insertMapped, upsertRows } from './postgres-rows.js';
import { OFFSETS_COLUMNS, qualified, type StoreSql, storeSql } from './postgres-sql.js';
import type { PartitionWrite, SinkMode, SinkStore } from './types.js';

export type { PostgresStoreOptions } from './postgres-options.js';

const DDL_LOCK = 'sluice: create tables';

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
    this.pool = createPool(drivers.Pool, this.o);
    const lease = await checkout(this.pool, this.description);
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
    const lease = await checkout(this.pool, this.description);
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
    const lease = await checkout(this.pool, this.description);
    const { client } = lease;
    try {
      await client.query('BEGIN');
      await this.movePositions(client, groupId, parts);
      if (this.mode === 'append') await appendRows(client, this.sql, parts, this.copyFor(parts));
      else if (this.mode === 'upsert') await upsertRows(client, this.sql, parts);
      else await insertMapped(client, this.o.schema, parts);
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

  /** COPY for this write, or undefined for INSERT (appendMethod, and for 'auto' the write's size). */
  private copyFor(parts: readonly PartitionWrite[]): CopyFrom | undefined {
    if (!this.copyFrom || this.o.appendMethod === 'insert') return undefined;
    const count = parts.reduce((n, p) => n + p.records.length, 0);
    return this.o.appendMethod === 'copy' || count >= COPY_FROM_ROWS ? this.copyFrom : undefined;
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
}
