// `npm run bench:startup`: how fast the CLI and the package start, against kcat and KafkaJS, in one run:
//   - `sluice --help` (the built CLI, dist/) against `kcat -h` (if kcat is installed) — goal < 150 ms;
//   - `import('sluice')` (dist/index.js) against `require('kafkajs')` — goal < 60 ms;
//   - a minimal consumer (bench/lib/minimal-consumer.mjs: import, assign, consume `--records` records
//     from a broker): import time, resident memory after the import and after consuming, and what the
//     import loads — JS files, bytes, and how many of the generated protocol modules
//     (src/protocol/generated) are in its graph. With `--before <commit>`, the same for that commit's
//     build (its `tsconfig.build.json` output, compiled into .cache/startup-before/<commit>), e.g.
//     `--before 43afcf8`, the last commit before the bundle. A last row bundles the Consumer class
//     alone (.cache/startup-consumer-only): what an application that constructs only a consumer
//     would load if everything else (the producer, admin, processing, sinks and their protocol
//     codecs) were loaded lazily — the bound for lazy loading.
// Times are the median of `--runs` fresh processes (a bare `node -e 0` is shown for scale), imports
// measured inside them. Builds dist/ first (`npm run build`); starts a broker unless `--bootstrap`.
//   npm run bench:startup [-- --runs 21] [--records 1000] [--before 43afcf8] [--bootstrap host:port]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { Producer } from '../src/producer/producer.js';
import { root } from './lib/clients.js';
import { createTopic, startBenchKafka } from './lib/kafka.js';
import { generatedModules, moduleGraph } from './lib/module-graph.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    records: { type: 'string', default: '1000' },
    before: { type: 'string' },
    bootstrap: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const RECORDS = Number(values.records);

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall time (ms) of running `cmd args` `RUNS` times; undefined if it cannot run. */
function wallTime(cmd: string, args: string[]): number | undefined {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'ignore' });
    if (r.error) return undefined;
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Median of what `code` prints (ms) over `RUNS` fresh node processes. */
function inProcess(code: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    times.push(Number(out.trim()));
  }
  return median(times);
}
const timed = (load: string) => `const t0 = performance.now(); ${load}; console.log(performance.now() - t0);`;

const node = process.execPath;
const index = path.join(root, 'dist/index.js');
const rows: Array<[string, number | undefined, string]> = [
  ['node -e 0 (scale)', wallTime(node, ['-e', '0']), ''],
  ['sluice --help', wallTime(node, [path.join(root, 'bin/sluice.mjs'), '--help']), 'goal < 150 ms'],
  ['kcat -h', wallTime('kcat', ['-h']), ''],
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

/** `commit`'s build (tsc -p tsconfig.build.json), from `git archive` into .cache: its main entry. */
function buildCommit(commit: string): string {
  const dir = path.join(root, '.cache', 'startup-before', commit);
  const pkgFile = path.join(dir, 'package.json');
  if (!existsSync(pkgFile) || !existsSync(path.join(dir, '.built'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'sh',
      ['-c', `git archive --format=tar ${JSON.stringify(commit)} | tar -x -C ${JSON.stringify(dir)}`],
      {
        cwd: root,
      },
    );
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    execFileSync(node, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir });
    execFileSync('touch', [path.join(dir, '.built')]);
  }
  const main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main: string }).main;
  return path.join(dir, main);
}

interface ConsumerRun {
  importMs: number;
  rssImport: number;
  rss: number;
  totalMs: number;
  seen: number;
}

/** The minimal consumer against `entry`, `RUNS` times: the median of each measure. */
function minimalConsumer(entry: string, bootstrap: string, topic: string): ConsumerRun {
  const runs: ConsumerRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(
      node,
      [path.join(root, 'bench/lib/minimal-consumer.mjs'), entry, bootstrap, topic, String(RECORDS)],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    const run = JSON.parse(out.trim().split('\n').at(-1)!) as ConsumerRun;
    if (run.seen !== RECORDS) throw new Error(`the minimal consumer saw ${run.seen} of ${RECORDS} records`);
    runs.push(run);
  }
  const m = (k: keyof ConsumerRun) => median(runs.map((r) => r[k]));
  return { importMs: m('importMs'), rssImport: m('rssImport'), rss: m('rss'), totalMs: m('totalMs'), seen: RECORDS };
}

const builds: Array<[string, string]> = [];
if (values.before) builds.push([`before: ${values.before} (tsc, unbundled)`, buildCommit(values.before)]);
builds.push(['now: dist/index.js (bundled)', index]);
builds.push(['bound: the Consumer class alone (bundled)', await consumerOnly()]);

/** The Consumer class alone, bundled as tools/build.mjs bundles the package: its entry file. */
async function consumerOnly(): Promise<string> {
  const outdir = path.join(root, '.cache', 'startup-consumer-only');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    stdin: { contents: "export { Consumer } from './src/consumer/consumer.js';", resolveDir: root, loader: 'ts' },
    outfile: path.join(outdir, 'consumer.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return path.join(outdir, 'consumer.js');
}

const kafka = await startBenchKafka(values.bootstrap);
try {
  const topic = `startup-${process.pid}-${Date.now().toString(36)}`;
  await createTopic(kafka.bootstrap, topic, 1);
  const producer = new Producer({ brokers: kafka.bootstrap });
  const value = Buffer.alloc(100, 'x');
  for (let i = 0; i < RECORDS; i += 500) {
    const n = Math.min(500, RECORDS - i);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, j) => ({ key: String(i + j), value, partition: 0 })),
    });
  }
  await producer.close();

  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const bare = median(
    Array.from({ length: RUNS }, () =>
      Number(execFileSync(node, ['-e', 'console.log(process.memoryUsage().rss)'], { encoding: 'utf8' })),
    ),
  );
  const total = generatedModules(root);
  console.log(
    `\nMinimal consumer (import, assign partition 0, consume ${RECORDS} records of 100 B), median of ${RUNS} runs; ` +
      `bare \`node -e\` RSS ${mb(bare)}; src/protocol/generated holds ${total} modules.\n`,
  );
  console.log(
    '| build | import | RSS after import | RSS after consuming | import → consumed | JS loaded by the import | generated modules loaded |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, entry] of builds) {
    const r = minimalConsumer(entry, kafka.bootstrap, topic);
    const g = moduleGraph(entry);
    console.log(
      `| ${name} | ${r.importMs.toFixed(0)} ms | ${mb(r.rssImport)} | ${mb(r.rss)} | ${r.totalMs.toFixed(0)} ms | ` +
        `${g.files} file${g.files === 1 ? '' : 's'}, ${(g.bytes / 1024).toFixed(0)} KB | ${g.generated.length} of ${total} |`,
    );
  }
} finally {
  await kafka.close();
}
