// Where kcat (librdkafka's command-line client) is, and installing it (Debian's `kcat` package) when it
// is not. Installing happens only in the set-up of `npm test` (the `kcat` need, tools/test-needs.mjs),
// never while tests run: SLUICE_NO_INSTALL=1 is set then, as for the Kafka jars and PostgreSQL.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { aptInstall, canApt } from '../kafka/apt.js';
import { installsForbidden, NO_INSTALL_ENV } from '../kafka/env.js';
import { HarnessError } from '../kafka/errors.js';

/** The kcat (or older kafkacat) binary on PATH, with its version line, or undefined. */
export function findKcat(): { bin: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['kcat', 'kafkacat']) {
      const bin = path.join(dir, name);
      if (!dir || !existsSync(bin)) continue;
      try {
        const out = execFileSync(bin, ['-V'], { encoding: 'utf8', timeout: 10_000 });
        return { bin, version: /Version (\S+)/.exec(out)?.[1] ?? 'unknown' };
      } catch {}
    }
  }
  return undefined;
}

/** The binary, or a HarnessError saying how to get it. For test processes: never installs. */
export function requireKcat(): { bin: string; version: string } {
  const found = findKcat();
  if (found) return found;
  throw new HarnessError(
    'kcat is not installed. ' +
      (installsForbidden()
        ? `${NO_INSTALL_ENV}=1 forbids installing it while tests run; \`npm test\` installs it before any test ` +
          'starts for files with a `// sluice-test-needs: kcat` line. '
        : '') +
      'On Debian/Ubuntu: apt-get install -y kcat.',
  );
}

/** The set-up side: kcat, installed with apt-get (as root) when missing. Refuses while tests run. */
export async function ensureKcat(): Promise<{ bin: string; version: string }> {
  const found = findKcat();
  if (found) return found;
  if (installsForbidden()) return requireKcat();
  if (!canApt())
    throw new HarnessError('kcat is not installed and cannot be installed here (needs root and apt-get): install kcat');
  console.error('[sluice] kcat is missing; installing it with apt-get (kcat)…');
  await aptInstall('kcat');
  const installed = findKcat();
  if (!installed) throw new HarnessError('apt-get installed kcat, but no kcat is on PATH');
  return installed;
}
