// Compiles src/ and the bench clients with tsc into .cache/bench-build, so the measured processes
// run plain JavaScript (no tsx transform in the hot path). The build is skipped when a fingerprint of
// its inputs (paths, sizes, mtimes) matches the last build's, and refused while tests run: tsc takes
// both cores for a while, so `npm test` builds it in its set-up (`// sluice-test-needs: bench-build`).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installsForbidden, NO_INSTALL_ENV } from '../../test/kafka/env.js';
import { buildDir, root } from './clients.js';

const stampFile = path.join(buildDir, '.inputs');

function sources(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(p, out);
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function fingerprint(): string {
  const files = [
    ...sources(path.join(root, 'src'), []),
    ...sources(path.join(root, 'bench', 'clients'), []),
    path.join(root, 'tsconfig.json'),
    path.join(root, 'bench', 'tsconfig.json'),
  ].sort();
  const hash = createHash('sha256');
  for (const f of files) {
    const st = statSync(f);
    hash.update(`${path.relative(root, f)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** True when .cache/bench-build was built from the current sources. */
export function benchBuildFresh(): boolean {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8') === fingerprint();
}

export function buildBench(): void {
  const inputs = fingerprint();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === inputs) return;
  if (installsForbidden()) {
    throw new Error(
      `the bench build (.cache/bench-build) is missing or older than src/, and ${NO_INSTALL_ENV}=1 forbids compiling ` +
        'while tests run; `npm test` builds it in its set-up for test files that declare `// sluice-test-needs: bench-build`.',
    );
  }
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'bench/tsconfig.json')],
    { stdio: 'inherit' },
  );
  writeFileSync(stampFile, inputs);
}
