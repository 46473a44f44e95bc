// Peers that are not devDependencies, installed on demand into .cache/bench-peers/ (never runtime
// dependencies of Sluice): Node 24 from the npm `node` package, @platformatic/kafka 2.x (needs
// Node >= 22.22), and @confluentinc/kafka-javascript (a librdkafka binding; its prebuilt binary is
// on GitHub, unreachable here, so it is built from source: its bundled librdkafka, linked against
// Debian's compression/TLS/SASL libraries with CKJS_LINKING=dynamic).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const peersDir = path.join(root, '.cache', 'bench-peers');

export interface Peers {
  node24?: string;
  node24Version?: string;
  platformatic2?: string;
  confluent?: string;
  notes: string[];
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

/** Finds or installs the optional peers; each failure becomes a note instead of an error. */
export function ensurePeers(want: { node24: boolean; confluent: boolean }): Peers {
  const peers: Peers = { notes: [] };
  if (want.node24) {
    try {
      const out = run('npx', ['-y', 'node@24', '-p', 'process.version + " " + process.execPath'])
        .trim()
        .split('\n')
        .pop()!;
      const [version, bin] = out.split(' ');
      peers.node24 = bin;
      peers.node24Version = version!.slice(1);
      const dir = path.join(peersDir, 'platformatic2');
      const entry = path.join(dir, 'node_modules', '@platformatic', 'kafka', 'dist', 'index.js');
      if (!existsSync(entry)) npmInstall(dir, '@platformatic/kafka@2');
      peers.platformatic2 = entry;
    } catch (err) {
      peers.notes.push(`Node 24 / platformatic 2.x unavailable: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (want.confluent) {
    const dir = path.join(peersDir, 'confluent');
    const entry = path.join(dir, 'node_modules', '@confluentinc', 'kafka-javascript', 'lib', 'index.js');
    try {
      if (!existsSync(entry)) {
        ensureDebianPackages([
          'libzstd-dev',
          'liblz4-dev',
          'libsasl2-dev',
          'libssl-dev',
          'zlib1g-dev',
          'libcurl4-openssl-dev',
        ]);
        npmInstall(dir, '@confluentinc/kafka-javascript', { ...process.env, CKJS_LINKING: 'dynamic' });
      }
      peers.confluent = entry;
      peers.notes.push(
        'confluent-js: built from source (its bundled librdkafka, linked against Debian packages for zstd/lz4/ssl/sasl/curl with CKJS_LINKING=dynamic), because its prebuilt binary is on GitHub, which is unreachable here',
      );
    } catch (err) {
      peers.notes.push(`confluent-js not measured: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
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
