#!/usr/bin/env node
// The `sluice` command. Runs the compiled CLI (dist/, written by `npm run build`); from a checkout
// without a build, run `node --import tsx src/cli/main.ts` instead.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(
    'sluice: the CLI is not built (no dist/cli.js): run `npm run build`, ' +
      'or use `node --import tsx src/cli/main.ts` from the repository\n',
  );
  process.exit(1);
}
await import(main);
