// Runs one of KafkaJS's documented examples (test/kafkajs/examples/*.cjs) as a child process against the
// test broker. The fixture text is used as published; the runner makes exactly two textual changes, and
// fails if either finds nothing to change:
//   1. the import: every `require('kafkajs')` → `require(<module under test>)`;
//   2. the broker address: the example's broker list (`[`${host}:9092`]` or `['kafka1:9092', 'kafka2:9092']`)
//      → the test broker's bootstrap list, and with it `require('ip')` (the `ip` package the examples use to
//      find the host's address is not installed) → an object whose `address()` is the loopback address.
// SLUICE_EXAMPLES_MODULE chooses the module under test: `facade` (default, src/kafkajs/index.ts run through
// tsx), `dist` (the built dist/kafkajs.js) or `kafkajs` (KafkaJS 2.2.4 itself, which validates this harness).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(ROOT, 'test/kafkajs/examples');

export const MODULES = {
  facade: { path: path.join(ROOT, 'src/kafkajs/index.ts'), nodeArgs: ['--import', 'tsx'] },
  dist: { path: path.join(ROOT, 'dist/kafkajs.js'), nodeArgs: [] },
  kafkajs: { path: path.join(ROOT, 'node_modules/kafkajs'), nodeArgs: [] },
} as const;

export type ModuleName = keyof typeof MODULES;

export function moduleUnderTest(): ModuleName {
  const name = process.env.SLUICE_EXAMPLES_MODULE ?? 'facade';
  if (!(name in MODULES)) throw new Error(`SLUICE_EXAMPLES_MODULE must be one of ${Object.keys(MODULES).join(', ')}`);
  return name as ModuleName;
}

/** How many places each substitution changed (both must be > 0). */
export interface Substituted {
  text: string;
  imports: number;
  brokers: number;
}

// The broker lists as the examples write them (ConsumerExample/ProducerExample; GettingStarted/Transactions).
// biome-ignore lint/suspicious/noTemplateCurlyInString: the example's source text, not a template
export const BROKER_LISTS = ['[`${host}:9092`]', "['kafka1:9092', 'kafka2:9092']"];

/** The fixture's text with the import and the broker address replaced; throws if either is missing. */
export function substitute(source: string, modulePath: string, bootstrap: string): Substituted {
  let imports = 0;
  let text = source.replaceAll("require('kafkajs')", () => {
    imports++;
    return `require(${JSON.stringify(modulePath)})`;
  });
  let brokers = 0;
  const list = JSON.stringify(bootstrap.split(','));
  for (const from of BROKER_LISTS) {
    text = text.replaceAll(from, () => {
      brokers++;
      return list;
    });
  }
  // Part of the broker-address change: `ip.address()` only ever fed the broker list replaced above.
  text = text.replaceAll("require('ip')", "({ address: () => '127.0.0.1' })");
  assert.ok(imports > 0, "the fixture has a require('kafkajs') line to replace");
  assert.ok(brokers > 0, 'the fixture has a broker list to replace');
  assert.doesNotMatch(text, /require\('(kafkajs|ip)'\)|:9092/, 'nothing of the original import or address is left');
  return { text, imports, brokers };
}

export interface RunningExample {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves when the process has exited: its code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  substituted: Substituted;
  /** Output so far, for assertion messages. */
  describe(): string;
}

export interface StartOptions {
  bootstrap: string;
  /** Killed (SIGKILL) after this long, whatever it is doing. Default 60 s. */
  killAfterMs?: number;
}

/** Starts `examples/<fixture>` (after the two substitutions) with the module under test. */
export function startExample(fixture: string, opts: StartOptions): RunningExample {
  const mod = MODULES[moduleUnderTest()];
  const substituted = substitute(readFileSync(path.join(FIXTURES, fixture), 'utf8'), mod.path, opts.bootstrap);
  const dir = mkdtempSync(path.join(tmpdir(), 'kjs-example-'));
  const file = path.join(dir, fixture);
  writeFileSync(file, substituted.text);
  // cwd is the repository, so `--import tsx` resolves from its node_modules.
  const child = spawn(process.execPath, [...mod.nodeArgs, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  const tail = (s: string) => (s.length > 6000 ? `…${s.slice(-6000)}` : s);
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    substituted,
    describe: () => `${fixture} with ${moduleUnderTest()}\n--- stdout:\n${tail(out)}\n--- stderr:\n${tail(err)}`,
  };
}

/** Polls `check` (every 100 ms, at most `timeoutMs`) until it returns true; false if it never did. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the example's stdout satisfies `check`; fails with its output if it exits or times out. */
export async function waitForOutput(
  ex: RunningExample,
  check: (out: string) => boolean,
  what: string,
  timeoutMs = 30_000,
) {
  let exited = false;
  void ex.exited.then(() => (exited = true));
  const ok = await eventually(() => exited || check(ex.out()), timeoutMs);
  assert.ok(ok && check(ex.out()), `${what}; ${exited ? 'the example exited' : 'timed out'}\n${ex.describe()}`);
}

/** Sends SIGTERM and waits (bounded) for the process to end; returns how it ended. */
export async function stop(ex: RunningExample, timeoutMs = 20_000) {
  ex.child.kill('SIGTERM');
  const timer = setTimeout(() => ex.child.kill('SIGKILL'), timeoutMs);
  const result = await ex.exited;
  clearTimeout(timer);
  return result;
}
