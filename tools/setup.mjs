// Set-up shared by `npm test`, `npm start` and `npm run kafka`. Plain JS with no dependencies, because it
// runs on a fresh clone before `npm install`:
//   1. node_modules present and matching package-lock.json (else `npm ci`),
//   2. Java 17+, Maven and openssl present (else, as root with apt-get, install them; else explain and exit),
//   3. then loads the TypeScript harness (test/kafka) through tsx for the caller.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** An error the user can act on: printed as one message, without a stack. */
export class SetupError extends Error {
  name = 'SetupError';
}

export function log(message) {
  console.error(`[sluice] ${message}`);
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

/** Why node_modules must be (re)installed, or undefined when it matches the lockfile. */
function nodeModulesProblem() {
  const nm = path.join(root, 'node_modules');
  if (!existsSync(nm)) return 'node_modules is missing';
  const lockFile = path.join(root, 'package-lock.json');
  if (!existsSync(lockFile)) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const deps = { ...pkg.dependencies, ...pkg.devDependencies };
    const missing = Object.keys(deps).find((d) => !existsSync(path.join(nm, d, 'package.json')));
    return missing ? `${missing} is not installed` : undefined;
  }
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  for (const [key, meta] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/') || meta.link) continue;
    const manifest = path.join(root, key, 'package.json');
    if (!existsSync(manifest)) {
      if (meta.optional) continue; // platform-specific builds (e.g. @esbuild/darwin-arm64)
      return `${key.slice('node_modules/'.length)} is not installed`;
    }
    const installed = JSON.parse(readFileSync(manifest, 'utf8')).version;
    if (meta.version && installed !== meta.version)
      return `${key} is ${installed}, package-lock.json wants ${meta.version}`;
  }
  return undefined;
}

// Set by tests that start these CLIs: an `npm ci` there would replace node_modules under the running suite.
const noInstall = () => process.env.SLUICE_NO_INSTALL === '1';

export function ensureNodeModules() {
  const problem = nodeModulesProblem();
  if (!problem) return;
  if (noInstall()) throw new SetupError(`${problem}; run npm ci (SLUICE_NO_INSTALL=1 forbids installing here).`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = existsSync(path.join(root, 'package-lock.json')) ? ['ci'] : ['install'];
  log(`${problem}; running npm ${args[0]}…`);
  const res = spawnSync(npm, [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.error || res.status !== 0) {
    throw new SetupError(
      `npm ${args[0]} failed (${res.error?.message ?? `exit ${res.status}`}); see the output above.`,
    );
  }
}

/** Major version of a java binary, or 0 when it cannot be run. */
function javaMajor(bin) {
  const res = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${res.stderr}${res.stdout}`);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]); // "1.8.0" is Java 8
}

function findJava() {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  return which('java');
}

/** What is missing among the system tools, as a list of human-readable items. */
function missingTools() {
  const missing = [];
  const java = findJava();
  if (!java) missing.push('Java 17+ (no `java` on PATH and no JAVA_HOME)');
  else {
    const major = javaMajor(java);
    if (major < 17) missing.push(`Java 17+ (${java} is ${major ? `Java ${major}` : 'not runnable'})`);
  }
  if (!which('mvn')) missing.push('Maven (`mvn`)');
  if (!which('openssl')) missing.push('openssl');
  return missing;
}

export function ensureSystemTools() {
  let missing = missingTools();
  if (missing.length === 0) return;
  const apt = which('apt-get');
  if (process.getuid?.() === 0 && apt && !noInstall()) {
    log(`missing: ${missing.join(', ')}; installing with apt-get (openjdk-17-jdk-headless, maven, openssl)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync(apt, ['update'], { stdio: 'inherit', env });
    if (update.status === 0) {
      const pkgs = ['openjdk-17-jdk-headless', 'maven', 'openssl'];
      spawnSync(apt, ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
    }
    missing = missingTools();
    if (missing.length === 0) return;
  }
  throw new SetupError(
    `Sluice's tests and local broker run a real Apache Kafka, which needs Java 17 or newer, Maven (to fetch ` +
      `Kafka's jars from Maven Central) and openssl (for test certificates). Missing: ${missing.join('; ')}. ` +
      `Install them — on Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless maven openssl ` +
      `(run as root, \`npm test\` does this itself) — or point JAVA_HOME at a JDK 17+, then run the command again.`,
  );
}

/** npm install if needed, then the system tools. */
export function setup() {
  ensureNodeModules();
  ensureSystemTools();
}

let tsxRegistered = false;

/** Imports a TypeScript module of the repo (after setup(): needs tsx from node_modules). */
export async function importTs(relativePath) {
  if (!tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(pathToFileURL(path.join(root, relativePath)).href);
}

/**
 * Runs a CLI entry point: user-fixable problems (SetupError, the harness's HarnessError) print one clear
 * message and exit 1; anything else is a bug and keeps its stack.
 */
export function runMain(main) {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      if (err?.name === 'SetupError' || err?.name === 'HarnessError') console.error(`error: ${err.message}`);
      else console.error(err);
      process.exit(1);
    },
  );
}
