// Checks `npm test` runs (from the repository root) before the test files (while the shared broker starts). Each step is a command
// that must exit 0; its output is shown only when it fails, and each failed step counts as one failure
// in the final "N passed, N failed" line (the test files are then not run).
//
// To add a step (e.g. the codegen diff check), append { name, command: [program, ...args] } below.
import path from 'node:path';
import { root } from './setup.mjs';

const node = process.execPath;
const pkg = (p) => path.join(root, 'node_modules', p);

export const preSteps = [
  { name: 'typecheck', command: [node, pkg('typescript/bin/tsc'), '--noEmit', '-p', '.'] },
  { name: 'lint', command: [node, pkg('@biomejs/biome/bin/biome'), 'check', '.'] },
];
