// JsonlStore's options, their defaults and their checks; and the checks of what it is asked to write.
import { ConfigError } from '../errors.js';
import { checkKnownOptions } from '../processing/dead-letter.js';
import { SinkError } from './errors.js';
import type { PartitionWrite } from './types.js';

export interface JsonlStoreOptions {
  /**
   * The directory files go to, created if missing. It holds one consumer group's output (positions
   * are kept per directory, not per group: give two groups sinking the same topics two directories)
   * and one mode.
   */
  dir: string;
  /**
   * 'append' (default): a line per record with its topic, partition, offset, timestamp, key, value
   * and headers, in `<dir>/<topic>/<partition>/`. 'map': a line per row the map function returns, in
   * `<dir>/<table>/<topic>/<partition>/` (a file per table for each published range). There is no
   * 'upsert': a line file cannot replace a key's row (SqliteStore and PostgresStore can).
   */
  mode?: 'append' | 'map';
  /**
   * When a partition's current file is published and the next begun: when it holds `records`
   * records (default 100 000), when another record would take it past `bytes` bytes (default 64 MiB;
   * a single larger record gets a file of its own), or `ms` milliseconds after its first write
   * (default 60 000). Records are not stored until their file is published: these limits bound what
   * a crash makes the sink consume again, and how stale the files may be.
   */
  rotate?: { records?: number; bytes?: number; ms?: number };
  /**
   * fsync files and directories before a file counts as published (default true): published files
   * and positions survive a power loss. false is faster and still exactly once across crashes of the
   * process (the kernel keeps what was written), not of the machine.
   */
  fsync?: boolean;
}

export interface Rotation {
  records: number;
  bytes: number;
  ms: number;
}

export interface ResolvedJsonlOptions {
  dir: string;
  mode: 'append' | 'map';
  rotate: Rotation;
  fsync: boolean;
}

const KNOWN = new Set(['dir', 'mode', 'rotate', 'fsync']);
/** setTimeout's limit: a longer delay fires at once. */
const MAX_MS = 2 ** 31 - 1;

export function checkJsonlOptions(options: JsonlStoreOptions): ResolvedJsonlOptions {
  checkKnownOptions(options, KNOWN, 'JsonlStore');
  const { dir, mode = 'append', rotate = {}, fsync = true } = options;
  if (typeof dir !== 'string' || dir === '') throw new ConfigError('dir', 'expected the path of a directory');
  if (mode === ('upsert' as string)) {
    throw new ConfigError(
      'mode',
      "a JSONL file cannot replace a key's row: use 'append' or 'map' (or SqliteStore/PostgresStore for upsert)",
    );
  }
  if (mode !== 'append' && mode !== 'map')
    throw new ConfigError('mode', `expected 'append' or 'map', got ${String(mode)}`);
  checkKnownOptions(rotate, new Set(['records', 'bytes', 'ms']), 'JsonlStore rotate');
  const limit = (name: 'records' | 'bytes' | 'ms', fallback: number, max: number): number => {
    const v = rotate[name] ?? fallback;
    if (!Number.isSafeInteger(v) || v < 1 || v > max) {
      throw new ConfigError(`rotate.${name}`, `expected an integer from 1 to ${max}, got ${String(v)}`);
    }
    return v;
  };
  if (typeof fsync !== 'boolean') throw new ConfigError('fsync', `expected true or false, got ${String(fsync)}`);
  return {
    dir,
    mode,
    rotate: {
      records: limit('records', 100_000, Number.MAX_SAFE_INTEGER),
      bytes: limit('bytes', 64 * 1024 * 1024, Number.MAX_SAFE_INTEGER),
      ms: limit('ms', 60_000, MAX_MS),
    },
    fsync,
  };
}

/** Kafka's legal topic names (also safe as directory names), less the store's own `.sluice`. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
/** A map-mode table: a directory name, and the same rule as the SQL stores' table names. */
const TABLE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

function invalid(store: string, why: string): SinkError {
  return new SinkError(store, why, { code: 'SINK_INVALID_WRITE' });
}

export function checkPartition(store: string, topic: string, partition: number): void {
  if (typeof topic !== 'string' || !TOPIC.test(topic) || topic === '.' || topic === '..' || topic === '.sluice') {
    throw invalid(store, `${JSON.stringify(topic)} is not a topic name the store can keep`);
  }
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw invalid(store, `partition ${partition} of ${topic} is not a partition number`);
  }
}

/** The runner's side of the contract: offsets in order, inside expected..next. */
export function checkWrite(store: string, part: PartitionWrite): void {
  const { topic, partition, expected, next } = part;
  checkPartition(store, topic, partition);
  const bad = (why: string) => invalid(store, `a write of ${topic}-${partition}: ${why}`);
  if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0)) throw bad(`expected ${expected}`);
  if (!Number.isSafeInteger(next) || next < (expected ?? 0)) throw bad(`next ${next} after expected ${expected}`);
  let last = expected === undefined ? -1 : expected - 1;
  for (const { record: r } of part.records) {
    if (r.offset <= last || r.offset >= next || r.partition !== partition || r.topic !== topic) {
      throw bad(`record ${r.topic}-${r.partition} offset ${r.offset} out of order or outside ${expected}..${next}`);
    }
    last = r.offset;
  }
}

export function checkTable(name: unknown): string {
  if (typeof name !== 'string' || !TABLE.test(name)) {
    throw new ConfigError('table', `map returned table ${JSON.stringify(name)}: expected letters, digits, _ and $`);
  }
  return name;
}
