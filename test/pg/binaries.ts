// Where PostgreSQL's server binaries are, and installing them (Debian's packages) when they are not.
// Installing happens only in the set-up of `npm test` (the `postgres` need, tools/test-needs.mjs), never
// while tests run: SLUICE_NO_INSTALL=1 is set then, as for the Kafka jars.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { aptInstall, canApt } from '../kafka/apt.js';
import { installsForbidden, NO_INSTALL_ENV } from '../kafka/env.js';
import { HarnessError } from '../kafka/errors.js';

export interface PostgresBinaries {
  /** The directory holding initdb and postgres. */
  bin: string;
  initdb: string;
  postgres: string;
  /** e.g. `15.18`. */
  version: string;
}

/** Names a directory of PostgreSQL binaries to use instead of the ones found on the system. */
export const PG_BIN_ENV = 'SLUICE_PG_BIN';
/** Debian and Ubuntu install each major version side by side, under /usr/lib/postgresql/<major>/bin. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

function complete(dir: string): boolean {
  return existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'));
}

function candidates(): string[] {
  const out: string[] = [];
  const fromEnv = process.env[PG_BIN_ENV];
  if (fromEnv) return [fromEnv]; // asked for: that one or none
  if (existsSync(DEBIAN_ROOT)) {
    const majors = readdirSync(DEBIAN_ROOT)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a)); // the newest first
    for (const v of majors) out.push(path.join(DEBIAN_ROOT, v, 'bin'));
  }
  // Other distributions put them on PATH.
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) out.push(dir);
  return out;
}

/** The binaries found on this machine, or undefined. */
export function findPostgres(): PostgresBinaries | undefined {
  const bin = candidates().find(complete);
  if (!bin) return undefined;
  const postgres = path.join(bin, 'postgres');
  let version = '?';
  try {
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    const out = execFileSync(postgres, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    version = /\(PostgreSQL\)\s+(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return undefined; // present but not runnable: treat as missing
  }
  return { bin, initdb: path.join(bin, 'initdb'), postgres, version };
}

/** The binaries, or a HarnessError saying how to get them. For test processes: never installs. */
export function requirePostgres(): PostgresBinaries {
  const found = findPostgres();
  if (found) return found;
  const where = process.env[PG_BIN_ENV] ? `${PG_BIN_ENV}=${process.env[PG_BIN_ENV]}` : `${DEBIAN_ROOT}/*/bin or PATH`;
  throw new HarnessError(
    `PostgreSQL's server (initdb, postgres) is not installed (looked in ${where}). ` +
      (installsForbidden()
        ? `${NO_INSTALL_ENV}=1 forbids installing it while tests run; \`npm test\` installs it before any test ` +
          'starts for the files that need it (sharedPostgres(, startPostgres( or a `// sluice-test-needs: postgres` line). '
        : '') +
      'On Debian/Ubuntu: apt-get install -y postgresql.',
  );
}

/**
 * The set-up side: the binaries, installed with apt-get (as root) when missing. Refuses while tests
 * run. Takes a minute or so on a fresh machine; output is kept and shown only if the install fails.
 */
export async function ensurePostgres(): Promise<PostgresBinaries> {
  const found = findPostgres();
  if (found) return found;
  if (installsForbidden() || process.env[PG_BIN_ENV]) return requirePostgres(); // throws, explaining
  if (!canApt()) {
    throw new HarnessError(
      'PostgreSQL is not installed and cannot be installed here (installing needs root and apt-get). ' +
        `Install the postgresql package, or point ${PG_BIN_ENV} at a directory holding initdb and postgres.`,
    );
  }
  console.error('[sluice] PostgreSQL is missing; installing it with apt-get (postgresql)…');
  await aptInstall('postgresql');
  const installed = findPostgres();
  if (!installed) throw new HarnessError(`apt-get installed postgresql, but no initdb/postgres under ${DEBIAN_ROOT}`);
  return installed;
}
