// `--store` of `sluice sink`: one URL names the store. `sqlite:<path>`, `postgres://…` (or
// `postgresql://…`), `jsonl:<dir>`. A URL that names none of them is a bad database URL: the store's
// exit code (5), with a message saying what is accepted.
import { SinkError } from '../sinks/errors.js';
import { JsonlStore } from '../sinks/jsonl.js';
import { PostgresStore } from '../sinks/postgres.js';
import { SqliteStore } from '../sinks/sqlite.js';
import type { SinkStore } from '../sinks/types.js';

export type CliSinkMode = 'append' | 'upsert';

const ACCEPTED = 'expected sqlite:<file>, postgres://user:password@host:port/database or jsonl:<directory>';

function bad(url: string, why: string): SinkError {
  return new SinkError(url === '' ? '--store' : url, `bad store URL: ${why} (${ACCEPTED})`, {
    code: 'SINK_BAD_URL',
  });
}

/** The store a `--store` URL names; a SinkError (code SINK_BAD_URL) when it names none. */
export function storeFromUrl(url: string, mode: CliSinkMode = 'append'): SinkStore {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw bad(url, 'not a valid URL');
    }
    return new PostgresStore({ url, mode });
  }
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon) : '';
  // `sqlite:./x.db` and `sqlite:///abs/x.db` both name a file; so does `jsonl:` for a directory.
  const rest = url.slice(colon + 1).replace(/^\/\/(?=\/)/, '');
  if (scheme === 'sqlite') {
    if (rest === '') throw bad(url, 'no file after sqlite:');
    return new SqliteStore({ path: rest, mode });
  }
  if (scheme === 'jsonl') {
    if (rest === '') throw bad(url, 'no directory after jsonl:');
    if (mode === 'upsert') throw bad(url, 'a JSONL store cannot upsert (use --mode append)');
    return new JsonlStore({ dir: rest, mode });
  }
  if (url === '') throw bad(url, 'empty');
  throw bad(url, scheme ? `unknown kind "${scheme}"` : 'no kind (sqlite:, postgres://, jsonl:)');
}
