// `npm test [-- file-or-dir … | --node-test-flag … | --setup-only]`: the whole check, from a fresh clone.
//   set-up (npm ci, Java/Maven/openssl; then what the selected test files need: Kafka jars, Node 24, …,
//   see test-needs.mjs) → pre-steps (typecheck, lint; see test-steps.mjs) while the shared Kafka broker
//   starts → every test/**/*.test.ts with node's test runner, with installs forbidden → stop the
//   broker → last line "N passed, N failed". Exit code 1 on any failure.
// Plain JS: it must run before `npm install`. tools/test-matrix.mjs reuses the pieces exported here.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importTs, root, SetupError, setup } from './setup.mjs';
import { ensurePythonPeers, wantsPythonPeers } from './setup-python.mjs';
import { describe, needsOf, provide } from './test-needs.mjs';
import { preSteps } from './test-steps.mjs';

// Test files run in parallel child processes. Measured on 2 cores (docs/testing.md): 2–3 are fastest;
// more starves the JVMs some files start. More cores: up to 4.
const CONCURRENCY = Math.min(4, Math.max(2, availableParallelism()));
// A backstop against hangs, not a budget: Node applies --test-timeout to every test *and* to every file
// as a whole (each file is a subtest of the run), so it must fit the slowest file. Tests that want a
// tighter bound pass { timeout } themselves.
const TEST_TIMEOUT_MS = 10 * 60_000;
/** Set for every test process: nothing may be downloaded, installed or compiled (test/kafka/env.ts). */
const NO_INSTALL_ENV = 'SLUICE_NO_INSTALL';

export const say = (line) => console.log(line);
export const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const inCI = () => process.env.CI === 'true';

export function finish(passed, failed) {
  // The contract with CI and people: this is the very last line of output.
  say(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function collect(target, out) {
  if (statSync(target).isDirectory()) {
    for (const entry of readdirSync(target).sort()) {
      if (entry !== 'node_modules' && !entry.startsWith('.')) collect(path.join(target, entry), out);
    }
  } else if (target.endsWith('.test.ts')) out.push(target);
}

/** Test files named by the arguments (files or directories; default: test/), relative to the root. */
export function selectFiles(args, defaults = ['test']) {
  const files = [];
  const paths = args.filter((a) => !a.startsWith('-'));
  for (const arg of paths.length > 0 ? paths : defaults) {
    const target = path.resolve(root, arg);
    if (!existsSync(target)) throw new SetupError(`no such test file or directory: ${arg}`);
    collect(target, files);
  }
  return [...new Set(files)].map((f) => path.relative(root, f));
}

function run(command, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { cwd: root, ...opts });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: -1, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

export async function runPreSteps() {
  let failed = 0;
  for (const step of preSteps) {
    const t0 = Date.now();
    const { code, output } = await run(step.command);
    if (code === 0) say(`✔ ${step.name} (${secs(t0)})`);
    else {
      failed++;
      say(`✖ ${step.name} failed (${secs(t0)}):\n${output.trimEnd()}`);
    }
  }
  return failed;
}

/** Installs what `files` declare (test-needs.mjs); returns how many needs failed, counted in CI only. */
export async function provideNeeds(files, version) {
  const t0 = Date.now();
  const results = await provide(needsOf(files), version);
  for (const line of describe(results, t0)) say(line);
  const failed = results.filter((r) => !r.ok).length;
  // Outside CI the tests that need what is missing fail (jars) or skip (Node 24, the Java cross-check)
  // with their own message; in CI a set-up that could not install something is a failure by itself.
  return inCI() ? failed : 0;
}

/** Only files that ask for the shared broker pay for starting it (e.g. `npm test -- test/protocol`). */
export function needsSharedKafka(files) {
  return files.some((f) => readFileSync(path.join(root, f), 'utf8').includes('sharedKafka('));
}

/** Starts the shared broker of a run (a promise of undefined when no file wants one). */
export async function startShared(files, version) {
  if (!needsSharedKafka(files)) return undefined;
  const harness = await importTs('test/kafka/index.ts');
  const t0 = Date.now();
  const kafka = await harness.startKafka({ listeners: harness.SHARED_LISTENERS, ...(version ? { version } : {}) });
  say(`✔ Kafka ${kafka.version} at ${kafka.bootstrap} (ready ${secs(t0)} after launch)`);
  // Tests against a dead broker fail with connection errors; say why, once, with the broker's log.
  kafka.unexpectedExit().then(({ nodeId, code, signal }) => {
    console.error(`\n[sluice] the shared Kafka broker exited unexpectedly (${signal ?? `code ${code}`}):`);
    console.error(kafka.logTail(nodeId, 30));
  });
  return kafka;
}

/**
 * Runs the files with node's test runner (installs forbidden), then closes `kafka`. Returns the counts
 * of the count reporter; a runner that crashed without a failed test counts as one failure.
 */
export async function runFiles(files, { kafka, version, nodeArgs = [] } = {}) {
  const harness = await importTs('test/kafka/index.ts');
  const countFile = path.join(root, '.cache', `test-counts-${process.pid}-${Date.now()}.json`);
  mkdirSync(path.dirname(countFile), { recursive: true });
  const reporter = pathToFileURL(path.join(root, 'tools', 'count-reporter.mjs')).href;
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`];
  args.push('--test-reporter=spec', '--test-reporter-destination=stdout');
  args.push(`--test-reporter=${reporter}`, `--test-reporter-destination=${countFile}`);
  args.push(...nodeArgs, ...files);
  const env = { ...process.env, [NO_INSTALL_ENV]: '1' };
  if (version) env.SLUICE_KAFKA_VERSION = version;
  if (kafka) env[harness.SHARED_KAFKA_ENV] = JSON.stringify(kafka.info());
  say(
    `Running ${files.length} test file${files.length === 1 ? '' : 's'}${version ? ` against Kafka ${version}` : ''}…`,
  );
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c));
  });
  await kafka?.close();
  let counts = { passed: 0, failed: 0 };
  try {
    counts = JSON.parse(readFileSync(countFile, 'utf8'));
  } catch {
    console.error('error: the test runner ended without reporting results');
  }
  rmSync(countFile, { force: true });
  return { passed: counts.passed, failed: code !== 0 && counts.failed === 0 ? 1 : counts.failed };
}

async function main() {
  const t0 = Date.now();
  // --setup-only: install what the selected files need, run nothing (e.g. to warm a CI cache).
  const setupOnly = process.argv.includes('--setup-only');
  const argv = process.argv.slice(2).filter((a) => a !== '--setup-only');
  let files;
  try {
    files = selectFiles(argv);
    setup();
    needsOf(files); // an unknown need is a set-up error, reported before anything starts
    if (wantsPythonPeers(files)) ensurePythonPeers(); // test/interop's Python peers, before any test starts
  } catch (err) {
    if (err?.name !== 'SetupError') throw err;
    console.error(`error: ${err.message}`);
    return finish(0, 1);
  }
  if (setupOnly) {
    const t1 = Date.now();
    const results = await provide(needsOf(files));
    for (const line of describe(results, t1)) say(line);
    say(`(${secs(t0)} in all)`);
    return results.every((r) => r.ok) ? 0 : 1;
  }
  // Everything the tests need is in place before the first one starts: the jars (and the shared
  // broker, which waits for them) and the peers are provided while typecheck and lint run.
  const providing = provideNeeds(files);
  const starting = startShared(files);
  starting.catch(() => {}); // awaited below; avoid an unhandled rejection while the pre-steps run
  const stepFailures = (await runPreSteps()) + (await providing);
  let kafka;
  try {
    kafka = await starting;
  } catch (err) {
    if (err?.name !== 'HarnessError') throw err;
    console.error(`error: could not start the shared Kafka broker: ${err.message}`);
    return finish(0, stepFailures + 1);
  }
  if (stepFailures > 0) {
    await kafka?.close();
    return finish(0, stepFailures);
  }
  const counts = await runFiles(files, { kafka, nodeArgs: argv.filter((a) => a.startsWith('-')) });
  say(`(${secs(t0)} in all)`);
  return finish(counts.passed, counts.failed);
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      console.log('0 passed, 1 failed');
      process.exit(1);
    },
  );
}
