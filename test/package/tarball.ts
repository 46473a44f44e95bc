// The `tarball` test need: the package as a user gets it. `npm pack` (its prepack hook builds dist/)
// and `npm install --omit=dev <tarball>` into an empty folder, so that folder holds sluice and its
// runtime dependencies only. Done by the set-up of `npm test` (tools/test-needs.mjs), before any test
// runs; test/package/tarball.test.ts then writes and runs small apps there.
//
// The folder is outside the repository on purpose: Node (and tsc) look for a package in every
// node_modules from the importing file up to the root, so an app under the checkout would quietly find
// the repository's dev dependencies (kafkajs, @types/pg, …) and hide a dependency the package forgot.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installsForbidden, NO_INSTALL_ENV } from '../kafka/env.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The app folder for this checkout (one per checkout: worktrees beside each other must not share it). */
export const appDir = path.join(
  tmpdir(),
  `sluice-tarball-app-${createHash('sha256').update(root).digest('hex').slice(0, 10)}`,
);
/** Where `npm pack` writes the tarball. */
export const packDir = path.join(root, '.cache', 'tarball');

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.stderr || e.stdout || e.message}`);
  }
}

/**
 * Packs the repository and installs the tarball into a fresh `appDir` with its runtime dependencies
 * only. `--prefer-offline`: `npm ci` has put every dependency in npm's cache, so nothing is downloaded
 * on a machine that ran it. Returns the tarball's path.
 */
export function installTarball(): string {
  if (installsForbidden()) {
    throw new Error(
      `packing and installing sluice's tarball is forbidden while tests run (${NO_INSTALL_ENV}=1): ` +
        '`npm test` does it in its set-up for test files that declare `// sluice-test-needs: tarball`',
    );
  }
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  run('npm', ['pack', '--silent', '--pack-destination', packDir], root);
  const tgz = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack wrote no tarball into ${packDir}`);

  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    path.join(appDir, 'package.json'),
    `${JSON.stringify({ name: 'sluice-tarball-app', private: true, version: '0.0.0' }, null, 2)}\n`,
  );
  run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', path.join(packDir, tgz)], appDir);
  return path.join(packDir, tgz);
}
