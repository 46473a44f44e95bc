// Options shared by the SQL stores: mode, table names, and safe identifiers.
import { ConfigError } from '../errors.js';
import { checkKnownOptions } from '../processing/dead-letter.js';
import type { SinkMode } from './types.js';

export interface ResolvedStoreOptions {
  mode: SinkMode;
  table: string;
  offsetsTable: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** A table or column name: letters, digits, `_` and `$`, as SQL writes them unquoted (quoted anyway). */
export function checkIdentifier(option: string, name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new ConfigError(option, `expected a table or column name (letters, digits, _ and $), got ${String(name)}`);
  }
  return name;
}

/** A checked identifier, double-quoted (both SQLite and PostgreSQL). */
export function quote(name: string): string {
  return `"${name}"`;
}

export function checkStoreOptions(owner: string, options: unknown, own: readonly string[]): ResolvedStoreOptions {
  checkKnownOptions(options ?? {}, new Set(['mode', 'table', 'offsetsTable', ...own]), owner);
  const o = (options ?? {}) as { mode?: unknown; table?: unknown; offsetsTable?: unknown };
  const mode = o.mode ?? 'append';
  if (mode !== 'append' && mode !== 'upsert' && mode !== 'map') {
    throw new ConfigError('mode', `expected 'append', 'upsert' or 'map', got ${String(mode)}`);
  }
  const table = checkIdentifier('table', o.table ?? (mode === 'upsert' ? 'sluice_latest' : 'sluice_records'));
  const offsetsTable = checkIdentifier('offsetsTable', o.offsetsTable ?? 'sluice_offsets');
  if (table === offsetsTable) throw new ConfigError('table', 'must differ from offsetsTable');
  return { mode, table, offsetsTable };
}
