// Peers that are not devDependencies, kept in .cache/ (never runtime dependencies of Sluice):
// - Node 24 from the npm `node` package, in .cache/node24 (not `npx node@24`: npx fetches into its own
//   cache on first use, i.e. in the middle of whatever runs it);
// - @platformatic/kafka 2.x (needs Node >= 22.22), pure JavaScript, in .cache/bench-peers/platformatic2;
// - @confluentinc/kafka-javascript, a librdkafka binding whose prebuilt binary is on GitHub, unreachable
//   here, so it is built from source (its bundled librdkafka linked against Debian's compression/TLS/
//   SASL libraries with CKJS_LINKING=dynamic): minutes of gcc on every core. Only `npm run bench`
//   builds it, never a test.
// The set-up of `npm test` installs Node 24 and platformatic 2.x for the smoke test (tools/test-needs.mjs);
// while tests run (SLUICE_NO_INSTALL=1) nothing here installs anything.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installsForbidden, NO_INSTALL_ENV } from '../../test/kafka/env.js';

const root = path.resolve(import.meta.dirname, '../..');
const node24Dir = path.join(root, '.cache', 'node24');
const peersDir = path.join(root, '.cache', 'bench-peers');

export interface Peers {
  node24?: string;
  node24Version?: string;
  platformatic2?: string;
  confluent?: string;
  notes: string[];
}

/** A peer is missing and installing it is forbidden here (see NO_INSTALL_ENV). */
export class InstallForbiddenError extends Error {
  override readonly name = 'InstallForbiddenError';
}

function refuseIfForbidden(what: string): void {
  if (!installsForbidden()) return;
  throw new InstallForbiddenError(
    `${what} is not installed, and ${NO_INSTALL_ENV}=1 forbids installing it while tests run. ` +
      '`npm test` installs it in its set-up for test files that declare it (`// sluice-test-needs: …`, see docs/testing.md).',
  );
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): string {
  return execFileSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

function npmInstall(dir: string, spec: string, env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', spec], {
    cwd: dir,
    env,
    timeoutMs: 900_000,
  });
}

export function peerPaths(p: Peers) {
  return { node24: p.node24, platformatic2: p.platformatic2, confluent: p.confluent };
}

/** Node 24 in .cache/node24, if installed: its binary and version. */
export function findNode24(): { bin: string; version: string } | undefined {
  const pkg = path.join(node24Dir, 'node_modules', 'node');
  const bin = path.join(pkg, 'bin', 'node');
  if (!existsSync(bin)) return undefined;
  const version = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).version as string;
  return { bin, version };
}

/** Installs Node 24 (the npm `node` package, whose install step fetches the binary from npm). */
export function installNode24(): { bin: string; version: string } {
  const found = findNode24();
  if (found) return found;
  refuseIfForbidden('Node 24 (.cache/node24)');
  npmInstall(node24Dir, 'node@24');
  const installed = findNode24();
  if (!installed) throw new Error(`npm installed node@24 into ${node24Dir}, but node_modules/node/bin/node is missing`);
  return installed;
}

export function findPlatformatic2(): string | undefined {
  const entry = path.join(peersDir, 'platformatic2', 'node_modules', '@platformatic', 'kafka', 'dist', 'index.js');
  return existsSync(entry) ? entry : undefined;
}

export function installPlatformatic2(): string {
  const found = findPlatformatic2();
  if (found) return found;
  refuseIfForbidden('@platformatic/kafka 2.x (.cache/bench-peers/platformatic2)');
  npmInstall(path.join(peersDir, 'platformatic2'), '@platformatic/kafka@2');
  const installed = findPlatformatic2();
  if (!installed) throw new Error('npm installed @platformatic/kafka@2, but its dist/index.js is missing');
  return installed;
}

export function findConfluent(): string | undefined {
  const entry = path.join(
    peersDir,
    'confluent',
    'node_modules',
    '@confluentinc',
    'kafka-javascript',
    'lib',
    'index.js',
  );
  return existsSync(entry) ? entry : undefined;
}

/** Builds confluent-kafka-javascript from source (bench only: it compiles librdkafka with gcc). */
export function buildConfluent(): string {
  const found = findConfluent();
  if (found) return found;
  refuseIfForbidden('@confluentinc/kafka-javascript (a from-source build)');
  ensureDebianPackages([
    'libzstd-dev',
    'liblz4-dev',
    'libsasl2-dev',
    'libssl-dev',
    'zlib1g-dev',
    'libcurl4-openssl-dev',
  ]);
  npmInstall(path.join(peersDir, 'confluent'), '@confluentinc/kafka-javascript', {
    ...process.env,
    CKJS_LINKING: 'dynamic',
  });
  const built = findConfluent();
  if (!built) throw new Error('npm built @confluentinc/kafka-javascript, but its lib/index.js is missing');
  return built;
}

const firstLines = (err: unknown, n = 1) => ((err as Error).message ?? String(err)).split('\n').slice(0, n).join(' ');

/**
 * Finds the optional peers, installing missing ones unless installs are forbidden (then only what is
 * already there is used). Each failure becomes a note instead of an error: the bench measures what it can.
 */
export function ensurePeers(want: { node24: boolean; confluent: boolean }): Peers {
  const peers: Peers = { notes: [] };
  if (want.node24) {
    try {
      const node24 = installNode24();
      peers.node24 = node24.bin;
      peers.node24Version = node24.version;
      peers.platformatic2 = installPlatformatic2();
    } catch (err) {
      peers.notes.push(`Node 24 / platformatic 2.x unavailable: ${firstLines(err)}`);
    }
  }
  if (want.confluent) {
    try {
      peers.confluent = buildConfluent();
      peers.notes.push(
        'confluent-js: built from source (its bundled librdkafka, linked against Debian packages for zstd/lz4/ssl/sasl/curl with CKJS_LINKING=dynamic), because its prebuilt binary is on GitHub, which is unreachable here',
      );
    } catch (err) {
      peers.notes.push(`confluent-js not measured: ${firstLines(err, 3)}`);
    }
  }
  return peers;
}

function ensureDebianPackages(pkgs: string[]): void {
  const statusFormat = '-f=$' + '{Status}'; // dpkg-query's own field syntax, not a template
  const missing = pkgs.filter((p) => {
    try {
      return !run('dpkg-query', ['-W', statusFormat, p]).includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(`needs Debian packages ${missing.join(' ')} (run as root to install them)`);
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
