// `npm run build`: the package's dist/, from src/.
//   dist/index.js    the library (`import … from 'sluice'`)
//   dist/kafkajs.js  the KafkaJS-compatible facade (`import … from 'sluice/kafkajs'`)
//   dist/cli.js      the `sluice` command (bin/sluice.mjs runs it)
//   dist/chunks/     code the entry points share, and what they load lazily (`await import(…)`)
//   dist/types/      declarations (tsc), dist/types/index.d.ts for the main entry
// Bundled with esbuild: one file per entry point starts far faster than ~160 small modules (Node's ESM
// loader pays per module — `npm run bench:startup` measures it), and the CLI's lazy imports stay lazy as
// chunks. Dependencies stay external (installed beside the package, not copied into it), except uPlot's
// browser files, which the dashboard serves and which are inlined (see inlineUplot). Source maps
// carry the sources, so stack traces and debuggers resolve to the TypeScript without shipping src/.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** The entry points: output name → source file. */
export const entryPoints = { index: 'src/index.ts', kafkajs: 'src/kafkajs/index.ts', cli: 'src/cli/main.ts' };
/** The entry points whose declarations are public (package.json `exports`); the CLI's are not. */
const typedEntries = ['index', 'kafkajs'];

rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
pruneDeclarations();

await build({
  absWorkingDir: root,
  entryPoints,
  outdir: dist,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [inlineUplot()],
});

/**
 * src/dashboard/uplot-assets.ts reads uPlot's browser build and stylesheet from node_modules; in the
 * bundle the module becomes the two files' text, so the installed package serves the dashboard's
 * charts offline without `uplot` installed (it is a devDependency). They land in the dashboard's
 * lazily loaded chunk, not in the CLI's entry.
 */
function inlineUplot() {
  const require = createRequire(import.meta.url);
  return {
    name: 'inline-uplot',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]dashboard[\\/]uplot-assets\.ts$/ }, () => {
        const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
        const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
        const assets = JSON.stringify({ js, css });
        return {
          contents: `const assets = ${assets};\nexport function uplotAssets() { return assets; }\n`,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * Keeps only the declarations the public entry points reach. The others (the CLI, the Postgres
 * driver glue) import modules a user may not have — `pg` and `pg-copy-streams` are optional peers,
 * `commander` is the CLI's — and a project that typechecks with `skipLibCheck: false` and reaches
 * them would fail; what nothing public reaches need not ship at all.
 */
function pruneDeclarations() {
  const types = path.join(dist, 'types');
  const reached = new Set();
  const visit = (file) => {
    if (reached.has(file)) return;
    reached.add(file);
    const text = readFileSync(file, 'utf8');
    // `from './x.js'`, `import('./x.js')` and `export * from './x.js'`: relative, always with `.js`.
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      visit(path.resolve(path.dirname(file), `${m[1]}.d.ts`));
    }
  };
  for (const name of typedEntries) {
    const source = entryPoints[name].replace(/^src\//, '').replace(/\.ts$/, '.d.ts');
    visit(path.join(types, source));
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(p);
        if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
      } else if (!reached.has(p)) rmSync(p);
    }
  };
  walk(types);
}
