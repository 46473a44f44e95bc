// Nothing a test runs may download, install or compile (tools/test-needs.mjs installs first): the
// installers refuse while SLUICE_NO_INSTALL=1, and every test file's declared needs are valid.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildConfluent, findConfluent, InstallForbiddenError } from '../../bench/lib/peers.js';
import { NO_INSTALL_ENV } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** needsOf() of tools/test-needs.mjs, run in a child (it is plain JS for the runner, not typed). */
function needsOf(files: string[]): string[] | string {
  const script = `import(${JSON.stringify(path.join(root, 'tools', 'test-needs.mjs'))}).then((m) => m.needsOf(${JSON.stringify(files)})).then((n) => console.log(JSON.stringify(n)), (e) => console.log(JSON.stringify(e.message)))`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
  );
}

function testFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) testFiles(p, out);
    else if (e.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

test('a from-source build is refused while installs are forbidden, without starting it', (t) => {
  if (findConfluent()) return t.skip('confluent-kafka-javascript is already built here (npm run bench)');
  const before = process.env[NO_INSTALL_ENV];
  process.env[NO_INSTALL_ENV] = '1';
  try {
    assert.throws(
      () => buildConfluent(),
      (err: unknown) =>
        err instanceof InstallForbiddenError &&
        /SLUICE_NO_INSTALL=1 forbids installing it while tests run/.test(err.message),
    );
  } finally {
    if (before === undefined) delete process.env[NO_INSTALL_ENV];
    else process.env[NO_INSTALL_ENV] = before;
  }
});

test('the runner reads sluice-test-needs lines, implies kafka from harness calls, and rejects unknown needs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-needs-'));
  try {
    const a = path.join(dir, 'a.test.ts');
    const b = path.join(dir, 'b.test.ts');
    // (Spelled in two parts so that the runner does not take this file itself for one that needs a broker.)
    writeFileSync(a, `// sluice-test-needs: kafka-tools node24\nawait ${'shared'}Kafka();\n`);
    writeFileSync(b, '  // sluice-test-needs: kafka@3.9.1, bench-build\n');
    assert.deepEqual(needsOf([a, b]), ['bench-build', 'kafka', 'kafka-tools', 'kafka@3.9.1', 'node24']);
    writeFileSync(b, '// sluice-test-needs: confluent\n');
    assert.match(String(needsOf([b])), /unknown need "confluent"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every test file's declared needs are valid, and the files that need installs declare them", () => {
  const all = needsOf(testFiles(path.join(root, 'test')));
  assert.ok(Array.isArray(all), String(all));
  assert.deepEqual(needsOf(['test/bench/smoke.test.ts']), [
    'bench-build',
    'bench-peers',
    'kafka',
    'kafka-tools',
    'node24',
  ]);
  assert.ok(needsOf(['test/protocol/codegen/java-crosscheck.test.ts']).includes('kafka@schema'));
  assert.ok(needsOf(['test/kafka/kafka-3.9.test.ts']).includes('kafka@3.9.1'));
});
