// What importing a built entry point loads: the JS files of its static import graph (relative
// `import … from` / `export … from` / bare `import '…'`, not `import(…)`, which loads only when
// called), their bytes, and the TypeScript sources they were built from, read off their source maps.
// Works alike for tsc's one-file-per-module output and for esbuild's bundle and chunks, so that
// `npm run bench:startup` can say how many generated protocol codecs each build loads.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ModuleGraph {
  /** JS files loaded by the import itself. */
  files: number;
  bytes: number;
  /** Source files (src/…/*.ts) those JS files hold. */
  sources: string[];
  /** Base names of the src/protocol/generated/*.ts modules among them. */
  generated: string[];
}

const STATIC_IMPORT = /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const GENERATED = /src\/protocol\/generated\/([^/]+)\.ts$/;

export function moduleGraph(entry: string): ModuleGraph {
  const files = new Set<string>();
  const queue = [path.resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      queue.push(path.resolve(path.dirname(file), (m[1] ?? m[2])!));
    }
  }
  const sources = new Set<string>();
  let bytes = 0;
  for (const file of files) {
    bytes += statSync(file).size;
    const map = `${file}.map`;
    if (!existsSync(map)) continue;
    const { sources: list, sourceRoot } = JSON.parse(readFileSync(map, 'utf8')) as {
      sources: string[];
      sourceRoot?: string;
    };
    for (const s of list) sources.add(path.resolve(path.dirname(map), sourceRoot ?? '', s));
  }
  const generated = [...sources].flatMap((s) => GENERATED.exec(s)?.[1] ?? []).sort();
  return { files: files.size, bytes, sources: [...sources].sort(), generated };
}

/** How many modules src/protocol/generated holds (in the checkout at `root`). */
export function generatedModules(root: string): number {
  return readdirSync(path.join(root, 'src', 'protocol', 'generated')).filter((f) => f.endsWith('.ts')).length;
}
