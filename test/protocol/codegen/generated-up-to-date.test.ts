/**
 * src/protocol/generated/ must be exactly what tools/codegen emits from the vendored schemas:
 * regenerate into a temporary folder and compare file by file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { DEFAULT_OUT, generate, writeGenerated } from '../../../tools/codegen/main.js';

const HOW = 'src/protocol/generated/ is out of date with tools/codegen: run `npm run codegen`';

it('src/protocol/generated matches a fresh run of tools/codegen', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-codegen-'));
  try {
    writeGenerated(tmp, generate());
    const fresh = readdirSync(tmp).sort();
    const committed = readdirSync(DEFAULT_OUT)
      .filter((f) => f.endsWith('.ts'))
      .sort();
    const missing = fresh.filter((f) => !committed.includes(f));
    const extra = committed.filter((f) => !fresh.includes(f));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${HOW} (files differ)`);
    const changed = fresh.filter((f) => !readFileSync(join(tmp, f)).equals(readFileSync(join(DEFAULT_OUT, f))));
    assert.deepEqual(changed, [], `${HOW} (${changed.length} files changed: ${changed.slice(0, 5).join(', ')})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
