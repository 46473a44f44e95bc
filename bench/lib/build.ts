// Compiles src/ and the bench clients with tsc into .cache/bench-build, so the measured processes
// run plain JavaScript (no tsx transform in the hot path).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { root } from './clients.js';

export function buildBench(): void {
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'bench/tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}
