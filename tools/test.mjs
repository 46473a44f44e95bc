// `npm test [-- file-or-dir … | --node-test-flag …]`: the whole check, from a fresh clone.
//   set-up (npm ci, Java/Maven/openssl) → pre-steps (typecheck, lint; see test-steps.mjs) while the
//   shared Kafka broker starts → every test/**/*.test.ts with node's test runner → stop the broker →
//   last line "N passed, N failed". Exit code 1 on any failure.
// Plain JS: it must run before `npm install`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importTs, root, SetupError, setup } from './setup.mjs';
import { ensurePythonPeers, wantsPythonPeers } from './setup-python.mjs';
import { preSteps } from './test-steps.mjs';

// Test files run in parallel child processes. Measured on 2 cores (docs/testing.md): 2–3 are fastest;
// more starves the JVMs some files start. More cores: up to 4.
const CONCURRENCY = Math.min(4, Math.max(2, availableParallelism()));
// A backstop against hangs, not a budget: Node applies --test-timeout to every test *and* to every file
// as a whole (each file is a subtest of the run), so it must fit the slowest file. Tests that want a
// tighter bound pass { timeout } themselves.
const TEST_TIMEOUT_MS = 10 * 60_000;

const say = (line) => console.log(line);
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function finish(passed, failed) {
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

function selectFiles(args) {
  const files = [];
  const paths = args.filter((a) => !a.startsWith('-'));
  for (const arg of paths.length > 0 ? paths : ['test']) {
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

async function runPreSteps() {
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

async function main() {
  const t0 = Date.now();
  let files;
  try {
    files = selectFiles(process.argv.slice(2));
    setup();
    if (wantsPythonPeers(files)) ensurePythonPeers(); // test/interop's Python peers, before any test starts
  } catch (err) {
    if (err?.name !== 'SetupError') throw err;
    console.error(`error: ${err.message}`);
    return finish(0, 1);
  }
  const harness = await importTs('test/kafka/index.ts');
  // Only files that ask for the shared broker pay for starting it (e.g. `npm test -- test/protocol`).
  const needKafka = files.some((f) => readFileSync(path.join(root, f), 'utf8').includes('sharedKafka('));
  const tKafka = Date.now();
  const starting = needKafka ? harness.startKafka({ listeners: harness.SHARED_LISTENERS }) : Promise.resolve();
  starting.catch(() => {}); // awaited below; avoid an unhandled rejection while the pre-steps run
  const stepFailures = await runPreSteps();
  let kafka;
  try {
    kafka = await starting;
  } catch (err) {
    if (err?.name !== 'HarnessError') throw err;
    console.error(`error: could not start the shared Kafka broker: ${err.message}`);
    return finish(0, stepFailures + 1);
  }
  if (kafka) {
    say(`✔ Kafka ${kafka.version} at ${kafka.bootstrap} (ready ${secs(tKafka)} after launch)`);
    // Tests against a dead broker fail with connection errors; say why, once, with the broker's log.
    kafka.unexpectedExit().then(({ nodeId, code, signal }) => {
      console.error(`\n[sluice] the shared Kafka broker exited unexpectedly (${signal ?? `code ${code}`}):`);
      console.error(kafka.logTail(nodeId, 30));
    });
  }
  if (stepFailures > 0) {
    await kafka?.close();
    return finish(0, stepFailures);
  }

  const countFile = path.join(root, '.cache', `test-counts-${process.pid}.json`);
  mkdirSync(path.dirname(countFile), { recursive: true });
  const reporter = pathToFileURL(path.join(root, 'tools', 'count-reporter.mjs')).href;
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`];
  args.push('--test-reporter=spec', '--test-reporter-destination=stdout');
  args.push(`--test-reporter=${reporter}`, `--test-reporter-destination=${countFile}`);
  // Flags after `npm test --` (e.g. --test-name-pattern=…) go to node's test runner; the rest are paths.
  args.push(...process.argv.slice(2).filter((a) => a.startsWith('-')), ...files);
  const env = { ...process.env };
  if (kafka) env[harness.SHARED_KAFKA_ENV] = JSON.stringify(kafka.info());
  say(`Running ${files.length} test file${files.length === 1 ? '' : 's'}…`);
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
  // A crashed runner can exit non-zero without a failed test to show for it.
  const failed = code !== 0 && counts.failed === 0 ? 1 : counts.failed;
  say(`(${secs(t0)} in all)`);
  return finish(counts.passed, failed);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
