// The embedded default store: one SQLite file (better-sqlite3 12, WAL), rows and positions written in
// one transaction. better-sqlite3 is an optional peer dependency, loaded when a store opens.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { TopicPartition } from '../consumer/topic-partition.js';
import { tpKey } from '../consumer/topic-partition.js';
import { ConfigError } from '../errors.js';
import { SinkError, SinkFencedError } from './errors.js';
import { recordRow, storedValue } from './rows.js';
import { checkIdentifier, checkStoreOptions, quote } from './store-options.js';
import type { MappedValue, PartitionWrite, SinkMode, SinkRecord, SinkStore } from './types.js';

export interface SqliteStoreOptions {
  /** The database file, created if missing. Default `./sluice.db`. */
  path?: string;
  /** Default 'append'. */
  mode?: SinkMode;
  /** The records table: default `sluice_records` (append) or `sluice_latest` (upsert); unused in map mode. */
  table?: string;
  /** Where positions are kept. Default `sluice_offsets`. */
  offsetsTable?: string;
  /**
   * `synchronous` pragma. 'full' (default): a committed write survives a power loss. 'normal' is
   * faster and still survives a crash of the process (WAL mode), not of the machine.
   */
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another process's lock before failing (retriably). Default 5000 ms. */
  busyTimeoutMs?: number;
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const require = createRequire(import.meta.url);

function loadDriver(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new ConfigError(
      'store',
      `the SQLite sink needs better-sqlite3 12 (npm install better-sqlite3@12): ${(err as Error).message}`,
    );
  }
}

/** SQLite result codes worth trying again: another connection holds the lock. */
const RETRIABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);

export class SqliteStore implements SinkStore {
  readonly description: string;
  readonly mode: SinkMode;
  private readonly path: string;
  private readonly table: string;
  private readonly offsetsTable: string;
  private readonly synchronous: 'full' | 'normal';
  private readonly busyTimeoutMs: number;
  private db: Database | undefined;
  private statements:
    | {
        position: Statement;
        insertPosition: Statement;
        updatePosition: Statement;
        append: Statement;
        upsert: Statement;
        remove: Statement;
        positions: Statement;
      }
    | undefined;
  /** Map mode: one INSERT per (table, column list), prepared once. */
  private readonly mapped = new Map<string, Statement>();

  constructor(options: SqliteStoreOptions = {}) {
    const o = checkStoreOptions('SqliteStore', options, ['path', 'synchronous', 'busyTimeoutMs']);
    this.mode = o.mode;
    this.table = o.table;
    this.offsetsTable = o.offsetsTable;
    if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
      throw new ConfigError('path', 'expected a file path');
    }
    this.path = options.path ?? './sluice.db';
    const sync = options.synchronous ?? 'full';
    if (sync !== 'full' && sync !== 'normal') throw new ConfigError('synchronous', "expected 'full' or 'normal'");
    this.synchronous = sync;
    const busy = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busy) || busy < 0) throw new ConfigError('busyTimeoutMs', 'expected an integer >= 0');
    this.busyTimeoutMs = busy;
    this.description = `sqlite:${this.path}`;
  }

  async open(): Promise<void> {
    if (this.db) return;
    const Driver = loadDriver();
    this.guard(() => {
      const db = new Driver(this.path, { timeout: this.busyTimeoutMs });
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${this.synchronous}`);
        this.createTables(db);
        this.statements = this.prepare(db);
      } catch (err) {
        db.close();
        throw err;
      }
      this.db = db;
    }, 'open');
  }

  private createTables(db: Database): void {
    const t = quote(this.table);
    const o = quote(this.offsetsTable);
    db.exec(`CREATE TABLE IF NOT EXISTS ${o} (
      group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
      PRIMARY KEY (group_id, topic, partition))`);
    // Columns without a type keep what is written: TEXT for decoded strings and JSON, BLOB for bytes.
    if (this.mode === 'append') {
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL, timestamp INTEGER NOT NULL,
        key BLOB, value, headers TEXT, PRIMARY KEY (topic, partition, "offset"))`);
    } else if (this.mode === 'upsert') {
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
        topic TEXT NOT NULL, key BLOB NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL,
        timestamp INTEGER NOT NULL, value, headers TEXT, PRIMARY KEY (topic, key))`);
    }
  }

  private prepare(db: Database) {
    const t = quote(this.table);
    const o = quote(this.offsetsTable);
    const records = this.mode !== 'map';
    const none = db.prepare('SELECT 1');
    return {
      position: db.prepare(`SELECT next_offset FROM ${o} WHERE group_id = ? AND topic = ? AND partition = ?`),
      insertPosition: db.prepare(`INSERT INTO ${o} (group_id, topic, partition, next_offset) VALUES (?, ?, ?, ?)`),
      updatePosition: db.prepare(`UPDATE ${o} SET next_offset = ? WHERE group_id = ? AND topic = ? AND partition = ?`),
      positions: db.prepare(`SELECT topic, partition, next_offset FROM ${o} WHERE group_id = ?`),
      append:
        records && this.mode === 'append'
          ? db.prepare(
              `INSERT INTO ${t} (topic, partition, "offset", timestamp, key, value, headers) VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
          : none,
      upsert:
        records && this.mode === 'upsert'
          ? db.prepare(
              `INSERT INTO ${t} (topic, key, partition, "offset", timestamp, value, headers) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (topic, key) DO UPDATE SET partition = excluded.partition, "offset" = excluded."offset",
               timestamp = excluded.timestamp, value = excluded.value, headers = excluded.headers`,
            )
          : none,
      remove: records && this.mode === 'upsert' ? db.prepare(`DELETE FROM ${t} WHERE topic = ? AND key = ?`) : none,
    };
  }

  async positions(groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    const st = this.opened();
    const wanted = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const out = new Map<string, number>();
    this.guard(() => {
      for (const row of st.positions.all(groupId) as Array<{ topic: string; partition: number; next_offset: number }>) {
        const key = tpKey(row.topic, row.partition);
        if (wanted.has(key)) out.set(key, row.next_offset);
      }
    }, 'read positions');
    return out;
  }

  async write(groupId: string, parts: readonly PartitionWrite[]): Promise<void> {
    const st = this.opened();
    const db = this.db!;
    const tx = db.transaction(() => {
      for (const part of parts) {
        const found = (st.position.get(groupId, part.topic, part.partition) as { next_offset: number } | undefined)
          ?.next_offset;
        if (found !== part.expected) {
          throw new SinkFencedError(this.description, part.topic, part.partition, part.expected, found);
        }
        this.writeRecords(db, part.records);
        if (found === undefined) st.insertPosition.run(groupId, part.topic, part.partition, part.next);
        else st.updatePosition.run(part.next, groupId, part.topic, part.partition);
      }
    });
    // IMMEDIATE: take the write lock first, so two processes never both read a position and then
    // deadlock upgrading to write (SQLite would fail one of them with SQLITE_BUSY mid-transaction).
    this.guard(() => tx.immediate(), 'write');
  }

  private writeRecords(db: Database, records: readonly SinkRecord[]): void {
    const st = this.statements!;
    if (this.mode === 'append') {
      for (const sr of records) {
        const r = recordRow(sr);
        st.append.run(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers);
      }
    } else if (this.mode === 'upsert') {
      // In offset order, so the last record of a key wins; a tombstone deletes the key's row.
      for (const sr of records) {
        const r = recordRow(sr);
        if (r.value === null) st.remove.run(r.topic, r.key);
        else st.upsert.run(r.topic, r.key, r.partition, r.offset, r.timestamp, r.value, r.headers);
      }
    } else {
      for (const sr of records) {
        for (const { table, row } of sr.rows ?? []) {
          const columns = Object.keys(row);
          const key = `${table}\u0000${columns.join('\u0000')}`;
          let stmt = this.mapped.get(key);
          if (!stmt) {
            stmt = db.prepare(
              `INSERT INTO ${quote(checkIdentifier('table', table))} (${columns.map((c) => quote(checkIdentifier('column', c))).join(', ')}) ` +
                `VALUES (${columns.map(() => '?').join(', ')})`,
            );
            this.mapped.set(key, stmt);
          }
          stmt.run(...columns.map((c) => column(row[c]!)));
        }
      }
    }
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.mapped.clear();
    if (db?.open) db.close();
  }

  private opened() {
    if (!this.statements)
      throw new SinkError(this.description, 'the store is not open (call open() first)', { code: 'SINK_NOT_OPEN' });
    return this.statements;
  }

  /** Runs a database call, turning SQLite's errors into SinkErrors (fencing passes through). */
  private guard<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SinkFencedError || err instanceof SinkError || err instanceof ConfigError) throw err;
      const code = (err as { code?: unknown }).code;
      const sqliteCode = typeof code === 'string' ? code : 'SQLITE_ERROR';
      throw new SinkError(this.description, `${what} failed: ${(err as Error).message} (${sqliteCode})`, {
        code: sqliteCode,
        retriable: RETRIABLE.has(sqliteCode),
        cause: err,
      });
    }
  }
}

/** A map-mode value as SQLite takes it: booleans as 0/1, other types as they are. */
function column(v: MappedValue): string | number | bigint | Buffer | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || Buffer.isBuffer(v)) {
    return v;
  }
  const s = storedValue(v);
  return s;
}
