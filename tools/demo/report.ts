// What the demo prints after the sink stopped: the group's lag per partition, and SQL over the orders.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Admin } from '../../src/admin/admin.js';
import { tpKey } from '../../src/consumer/topic-partition.js';
import { type Cell, formatTable } from './table.js';

export interface LagRow {
  topic: string;
  partition: number;
  /** The sink's position in the store (what exactly-once resumes from). */
  stored: number | null;
  /** The group's offset committed to Kafka (what lag tools see). */
  committed: number | null;
  end: number;
  /** end − committed (end − stored without a commit). */
  lag: number;
}

/**
 * The demo group's lag, per partition. A small local version of `sluice lag`, plus the store's own
 * positions next to Kafka's committed offsets, since for a sink the store's are the ones that count.
 */
export async function lagRows(admin: Admin, dbPath: string, topic: string, groupId: string): Promise<LagRow[]> {
  const [description] = await admin.describeTopics(topic);
  const partitions = description!.partitions.map((p) => ({ topic, partition: p.partition }));
  const [committed, ends] = await Promise.all([
    admin.listGroupOffsets(groupId, partitions),
    admin.listOffsets(partitions.map((p) => ({ ...p, at: 'latest' as const }))),
  ]);
  const stored = storedPositions(dbPath, groupId, topic);
  const committedAt = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  return ends
    .map((e) => {
      const key = tpKey(e.topic, e.partition);
      const c = committedAt.get(key);
      const s = stored.get(e.partition);
      const commit = c === undefined || c < 0 ? null : c;
      const from = commit ?? s ?? 0;
      return {
        topic,
        partition: e.partition,
        stored: s ?? null,
        committed: commit,
        end: e.offset,
        lag: e.offset - from,
      };
    })
    .sort((a, b) => a.partition - b.partition);
}

export function formatLag(rows: LagRow[]): string {
  const total = rows.reduce((s, r) => s + r.lag, 0);
  const table = formatTable(
    ['topic', 'partition', 'stored', 'committed', 'end', 'lag'],
    rows.map((r) => [r.topic, r.partition, r.stored, r.committed, r.end, r.lag]),
  );
  return `${table}\ntotal lag: ${total.toLocaleString('en-US')}`;
}

const require = createRequire(import.meta.url);

function openDb(dbPath: string): BetterSqlite3.Database {
  const Driver = require('better-sqlite3') as typeof BetterSqlite3;
  return new Driver(dbPath, { readonly: true, fileMustExist: true });
}

function storedPositions(dbPath: string, groupId: string, topic: string): Map<number, number> {
  const db = openDb(dbPath);
  try {
    const rows = db
      .prepare('SELECT partition, next_offset FROM sluice_offsets WHERE group_id = ? AND topic = ?')
      .all(groupId, topic) as Array<{ partition: number; next_offset: number }>;
    return new Map(rows.map((r) => [r.partition, r.next_offset]));
  } finally {
    db.close();
  }
}

export interface QueryResult {
  title: string;
  sql: string;
  headers: string[];
  rows: Cell[][];
}

/** The orders as stored: rows, distinct order ids (equal: exactly once), per status, top customers. */
export function orderQueries(dbPath: string, topic: string): QueryResult[] {
  const db = openDb(dbPath);
  const run = (title: string, sql: string): QueryResult => {
    const stmt = db.prepare(sql);
    const rows = stmt.raw(true).all(topic) as Cell[][];
    return { title, sql, headers: stmt.columns().map((c) => c.name), rows };
  };
  try {
    return [
      run(
        'Stored rows and distinct order ids (equal when every record is stored exactly once)',
        `SELECT count(*) AS rows, count(DISTINCT json_extract(value, '$.orderId')) AS distinct_orders
  FROM sluice_records WHERE topic = ?`,
      ),
      run(
        'Orders per status',
        `SELECT json_extract(value, '$.status') AS status, count(*) AS orders,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS percent
  FROM sluice_records WHERE topic = ?
 GROUP BY status ORDER BY orders DESC`,
      ),
      run(
        'Top 5 customers by orders (cancelled orders left out of the revenue)',
        `SELECT json_extract(value, '$.customer.id') AS customer,
       json_extract(value, '$.customer.name') AS name, count(*) AS orders,
       round(sum(CASE WHEN json_extract(value, '$.status') <> 'cancelled'
                      THEN json_extract(value, '$.amount') ELSE 0 END), 2) AS revenue,
       json_extract(value, '$.currency') AS currency
  FROM sluice_records WHERE topic = ?
 GROUP BY customer ORDER BY orders DESC, customer LIMIT 5`,
      ),
    ];
  } finally {
    db.close();
  }
}

export function formatQuery(q: QueryResult): string {
  const sql = q.sql
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `${q.title}:\n${sql}\n\n${formatTable(q.headers, q.rows)}`;
}
