// uPlot (the charts' library, npm `uplot`, MIT) as the page loads it: its browser build and its
// stylesheet, served by the dashboard as /uplot.js and /uplot.css so nothing comes from a CDN.
// Run from the sources (tsx, the tests), they are read from node_modules once, on first request.
// `npm run build` (tools/build.mjs) replaces this whole module with the two files' text inlined, so
// the built CLI and the installed package carry them and `uplot` stays a devDependency.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface UplotAssets {
  js: string;
  css: string;
}

let cached: UplotAssets | undefined;

export function uplotAssets(): UplotAssets {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return cached;
}
