// `npm run test:matrix [-- --versions 3.9.1,default] [-- file-or-dir …]`: the consumer-group suites
// against each Kafka version in turn, each run with its own shared broker. Set-up first for every
// version (npm ci, Java; then each version's jars and whatever else the files declare), so nothing
// is downloaded once a test has started; then typecheck and lint once; then one run per version.
// Ends, like `npm test`, with the line "N passed, N failed" (summed over the versions).
import { parseArgs } from 'node:util';
import { SetupError, setup } from './setup.mjs';
import { finish, provideNeeds, runFiles, runPreSteps, say, secs, selectFiles, startShared } from './test.mjs';

/**
 * What differs between Kafka 3.9 (the old group coordinator) and 4.x (the rewritten one, KIP-848's
 * home): group membership and rebalances as the classic protocol sees them (all of test/consumer:
 * churn, cooperative, static membership, crash/resume, …), the group admin APIs, and the producer
 * state and transaction coordinators (transaction.version 2 in 4.x). About 3 minutes per version on 2 cores.
 */
const MATRIX_FILES = [
  'test/consumer',
  'test/admin/groups.test.ts',
  'test/producer/transactions.test.ts',
  'test/producer/idempotence.test.ts',
];
/** `default` is the harness's newest 4.x (what `npm test` uses). */
const DEFAULT_VERSIONS = ['3.9.1', 'default'];

async function main() {
  const t0 = Date.now();
  // The versions are explicit here; `default` must mean the harness default, not an inherited choice.
  delete process.env.SLUICE_KAFKA_VERSION;
  const { values, positionals, tokens } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { versions: { type: 'string' } },
  });
  const versions = String(values.versions ?? DEFAULT_VERSIONS.join(','))
    .split(',')
    .filter(Boolean)
    .map((v) => (v === 'default' ? undefined : v));
  // Other flags (e.g. --test-name-pattern=…) go to node's test runner, as with `npm test`.
  const nodeArgs = tokens
    .filter((t) => t.kind === 'option' && t.name !== 'versions')
    .map((t) => (t.value === undefined ? t.rawName : `${t.rawName}=${t.value}`));
  let files;
  try {
    files = selectFiles(positionals, MATRIX_FILES);
    setup();
  } catch (err) {
    if (err?.name !== 'SetupError') throw err;
    console.error(`error: ${err.message}`);
    return finish(0, 1);
  }
  let setupFailures = 0;
  for (const version of versions) setupFailures += await provideNeeds(files, version);
  setupFailures += await runPreSteps();
  if (setupFailures > 0) return finish(0, setupFailures);

  const results = [];
  for (const version of versions) {
    const tv = Date.now();
    say(`\n── Kafka ${version ?? 'default (newest 4.x)'} ──`);
    let counts;
    try {
      const kafka = await startShared(files, version);
      counts = await runFiles(files, { kafka, version, nodeArgs });
    } catch (err) {
      if (err?.name !== 'HarnessError' && !(err instanceof SetupError)) throw err;
      console.error(`error: Kafka ${version ?? 'default'}: ${err.message}`);
      counts = { passed: 0, failed: 1 };
    }
    results.push({ version: version ?? 'default', ...counts, time: secs(tv) });
  }
  say('\nVersion matrix:');
  for (const r of results) say(`  Kafka ${r.version}: ${r.passed} passed, ${r.failed} failed (${r.time})`);
  say(`(${secs(t0)} in all)`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  return finish(passed, failed);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
