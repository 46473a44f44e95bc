// Memory stays bounded whatever a broker sends, measured by the OS in a consumer process of its own
// (fixtures/bomb-consumer.ts, against the in-process fake broker). Before: a 2 MB gzip batch that
// inflates to 2 GiB took 14.5 s and 4.2 GB; a gzip batch of 6M tiny records reached 989 MB (a bigger
// one ended in a fatal V8 out-of-memory), because a whole batch became objects at once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bomb-consumer.ts');
const BUFFER_MIB = 64;

function run(kind: 'bomb' | 'tiny' | 'make-tiny', file = '') {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fixture, kind, String(BUFFER_MIB), file],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as {
    records: number;
    code: string;
    ms: number;
    maxRssMiB: number;
    baseRssMiB: number;
  };
}

test('a 2 GiB gzip bomb in a fetch: a typed error at maxBufferedBytes, not gigabytes', { timeout: 150_000 }, () => {
  const r = run('bomb');
  console.log(`# bomb: ${r.code} after ${r.ms} ms, peak RSS ${r.maxRssMiB} MiB (from ${r.baseRssMiB} MiB)`);
  assert.equal(r.code, 'DECOMPRESSED_TOO_LARGE');
  assert.equal(r.records, 0);
  assert.ok(r.maxRssMiB < r.baseRssMiB + 2 * BUFFER_MIB, `peak RSS ${r.maxRssMiB} MiB`);
});

test('a batch of 6M tiny records is delivered in slices: every record, bounded memory', { timeout: 150_000 }, () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sluice-tiny-')), 'payload.gz');
  execFileSync(process.execPath, ['--import', 'tsx', fixture, 'make-tiny', String(BUFFER_MIB), file], {
    timeout: 120_000,
  });
  const r = run('tiny', file);
  rmSync(path.dirname(file), { recursive: true, force: true });
  console.log(`# tiny records: ${r.records} in ${r.ms} ms, peak RSS ${r.maxRssMiB} MiB (from ${r.baseRssMiB} MiB)`);
  assert.equal(r.code, 'NONE');
  assert.equal(r.records, 6_000_000);
  // The inflated batch (~50 MB) is held while its records are delivered, and the garbage of
  // millions of short-lived record objects comes on top until the collector runs; before slicing,
  // the whole batch became objects at once (+890 MB).
  assert.ok(r.maxRssMiB < r.baseRssMiB + 4 * BUFFER_MIB, `peak RSS ${r.maxRssMiB} MiB (from ${r.baseRssMiB} MiB)`);
});
