// Decompression bombs: a few MB that claim gigabytes. Every codec (and every zstd implementation)
// stops at the limit with a typed error, quickly and without the memory: each bomb runs in its own
// process, whose peak RSS (getrusage) is measured. Before the limits, the 2 GiB gzip bomb took 10.8 s
// and 4.2 GB; lz4 5 s and 2.1 GB; zstd through WASM 2.1 GB for 1 GiB (held for good).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bomb.ts');
const LIMIT_MIB = 64;

interface Outcome {
  code: string;
  implementation: string;
  ms: number;
  maxRssMiB: number;
  baseRssMiB: number;
  inputBytes: number;
}

function explode(codec: string, impl: string, inflatedMiB: number, via?: 'batch'): Outcome {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      fixture,
      codec,
      impl,
      String(inflatedMiB),
      String(LIMIT_MIB),
      ...(via ? [via] : []),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Outcome;
}

const cases: Array<[string, string, number]> = [
  ['gzip', '-', 2048],
  ['lz4', '-', 2048],
  ['zstd', '-', 2048],
  ['zstd', 'wasm', 2048],
  ['zstd', 'fzstd', 2048],
  ['snappy', '-', 1024],
];

for (const [codec, impl, mib] of cases) {
  test(`a ${mib} MiB ${codec}${impl === '-' ? '' : ` (${impl})`} bomb stops at the ${LIMIT_MIB} MiB limit`, {
    timeout: 150_000,
  }, () => {
    const r = explode(codec, impl, mib);
    console.log(
      `# ${codec} ${r.implementation}: ${r.code} in ${r.ms} ms, peak RSS ${r.maxRssMiB} MiB (${r.inputBytes} bytes in)`,
    );
    assert.equal(r.code, 'DECOMPRESSED_TOO_LARGE');
    // Building the bomb itself costs a little (e.g. WASM grows its heap while compressing); what
    // matters is that nothing near the claimed size was ever held.
    assert.ok(r.maxRssMiB < r.baseRssMiB + 3 * LIMIT_MIB, `peak RSS ${r.maxRssMiB} MiB from ${r.baseRssMiB} MiB`);
  });
}

test('through the record decoder: a bomb in a batch is a located BatchTooLargeError', { timeout: 150_000 }, () => {
  const r = explode('gzip', '-', 2048, 'batch');
  assert.equal(r.code, 'DECOMPRESSED_TOO_LARGE');
  assert.ok(r.maxRssMiB < r.baseRssMiB + 3 * LIMIT_MIB);
});
