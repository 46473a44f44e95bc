// Where Chromium is (Debian's `chromium` package), and installing it when it is not. Installing happens
// only in the set-up of `npm test` (the `chromium` need, tools/test-needs.mjs), never while tests run
// (SLUICE_NO_INSTALL=1 then), as for kcat and PostgreSQL. The browser tests drive it with
// puppeteer-core, which downloads no browser of its own.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { aptInstall, canApt } from '../kafka/apt.js';
import { installsForbidden, NO_INSTALL_ENV } from '../kafka/env.js';
import { HarnessError } from '../kafka/errors.js';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** The browser on PATH (or CHROMIUM_PATH), with its version, or undefined. */
export function findChromium(): { bin: string; version: string } | undefined {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) for (const name of NAMES) candidates.push(path.join(dir, name));
  }
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    try {
      const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 });
      return { bin, version: /(\d+\.[\d.]+)/.exec(out)?.[1] ?? 'unknown' };
    } catch {}
  }
  return undefined;
}

/** The browser, or a HarnessError saying how to get it. For test processes: never installs. */
export function requireChromium(): { bin: string; version: string } {
  const found = findChromium();
  if (found) return found;
  throw new HarnessError(
    'Chromium is not installed. ' +
      (installsForbidden()
        ? `${NO_INSTALL_ENV}=1 forbids installing it while tests run; \`npm test\` installs it before any test ` +
          'starts for files with a `// sluice-test-needs: chromium` line. '
        : '') +
      'On Debian/Ubuntu: apt-get install -y chromium (or set CHROMIUM_PATH).',
  );
}

/** The set-up side: Chromium, installed with apt-get (as root) when missing. Refuses while tests run. */
export async function ensureChromium(): Promise<{ bin: string; version: string }> {
  const found = findChromium();
  if (found) return found;
  if (installsForbidden()) return requireChromium();
  if (!canApt()) {
    throw new HarnessError('Chromium is not installed and cannot be installed here (needs root and apt-get)');
  }
  console.error('[sluice] Chromium is missing; installing it with apt-get (chromium)…');
  await aptInstall('chromium');
  const installed = findChromium();
  if (!installed) throw new HarnessError('apt-get installed chromium, but no chromium is on PATH');
  return installed;
}
