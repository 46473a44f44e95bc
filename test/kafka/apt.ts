// Installing a Debian package from the set-up of `npm test` (PostgreSQL, kcat): never while tests run.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HarnessError } from './errors.js';

/** Whether this process may install Debian packages: root, with apt-get. */
export function canApt(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
}

/**
 * `apt-get update` then `apt-get install -y --no-install-recommends <pkg>`, non-interactively. Output
 * is kept and shown (its last lines, on stderr) only if a step fails: the set-up's report shows one
 * line per need, the reason in the HarnessError.
 */
export async function aptInstall(pkg: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await apt(['update'], env);
  await apt(['install', '-y', '--no-install-recommends', pkg], env);
}

function apt(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('apt-get', args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      console.error(`${stdout}${stderr}`.trimEnd().split('\n').slice(-15).join('\n'));
      reject(
        new HarnessError(`apt-get ${args.join(' ')} failed (${err.message.split('\n')[0]}); see its output above`),
      );
    });
  });
}
