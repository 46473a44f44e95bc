// `npm run bench:startup`: how fast the CLI and the package start, against kcat and KafkaJS, in one run:
//   - `sluice --help` (the built CLI, dist/) against `kcat -h` (if kcat is installed) — goal < 150 ms;
//   - `import('sluice')` (dist/index.js) against `require('kafkajs')` — goal < 60 ms;
// the CLI as the median wall time of `--runs` fresh processes (a bare `node -e 0` is shown for scale),
// the imports as the median time of the import itself, measured inside fresh processes. Builds dist/
// first (`npm run build`).
//   npm run bench:startup [-- --runs 21]
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './lib/clients.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const RUNS = Number(values.runs);

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });

/** Median wall time (ms) of running `cmd args` `RUNS` times; undefined if it cannot run. */
function median(cmd: string, args: string[]): number | undefined {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'ignore' });
    if (r.error) return undefined;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Median of what `code` prints (ms) over `RUNS` fresh node processes. */
function inProcess(code: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    times.push(Number(out.trim()));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
const timed = (load: string) => `const t0 = performance.now(); ${load}; console.log(performance.now() - t0);`;

const node = process.execPath;
const index = path.join(root, 'dist/index.js');
const rows: Array<[string, number | undefined, string]> = [
  ['node -e 0 (scale)', median(node, ['-e', '0']), ''],
  ['sluice --help', median(node, [path.join(root, 'bin/sluice.mjs'), '--help']), 'goal < 150 ms'],
  ['kcat -h', median('kcat', ['-h']), ''],
  ["import('sluice') (in process)", inProcess(timed(`await import(${JSON.stringify(index)})`)), 'goal < 60 ms'],
  [
    "import('kafkajs') (in process)",
    inProcess(timed(`await import(${JSON.stringify(path.join(root, 'node_modules/kafkajs/index.js'))})`)),
    '',
  ],
];
console.log(`| process | median of ${RUNS} runs | |\n|---|---:|---|`);
for (const [name, ms, goal] of rows)
  console.log(`| ${name} | ${ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`} | ${goal} |`);
