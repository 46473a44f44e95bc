// runSink into JSONL files against the real broker: the crash loop (kill -9 ×50) and a rebalance run;
// at the end the published files hold every record exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { testEnv } from '../helpers/env.js';
import { crashLoop, rebalanceRun } from './fixtures/crash-loop.js';

const env = testEnv('sluice-jsonl-sink-');

/** Published files of a store directory: `<dir>/<topic>/<partition>/<from>-<last>.jsonl`. */
function published(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.jsonl')) out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

const store = (dir: string) => ({
  stored: async () => {
    const out: Array<[number, number]> = [];
    for (const f of published(dir)) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as { partition: number; offset: number };
        out.push([r.partition, r.offset]);
      }
    }
    return out;
  },
  // From the names alone: cheap enough to poll.
  count: async () =>
    published(dir).reduce((n, f) => {
      const [from, last] = path.basename(f, '.jsonl').split('-').map(Number) as [number, number];
      return n + last - from + 1;
    }, 0),
});

test('JSONL sink killed 50 times mid-run: the files hold every record exactly once', { timeout: 400000 }, async () => {
  const dir = path.join(env.dir, 'crash');
  // Files rotate every 500 records (or second), so runs publish some before they are killed.
  const line = await crashLoop({
    env,
    store: { kind: 'jsonl', options: { dir, rotate: { records: 500, ms: 1000 } } },
    ...store(dir),
  });
  console.log(`# jsonl: ${line}`);
});

test('JSONL sink: a second sink process joins, then leaves, mid-run: every record stored exactly once', {
  timeout: 200000,
}, async () => {
  const dir = path.join(env.dir, 'rebalance');
  const line = await rebalanceRun({
    env,
    store: { kind: 'jsonl', options: { dir, rotate: { records: 500, ms: 1000 } } },
    ...store(dir),
  });
  console.log(`# jsonl rebalance: ${line}`);
});
