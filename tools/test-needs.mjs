// What the selected test files need installed, and installing it: part of the set-up of `npm test`,
// before any test starts. Once tests run, nothing may be downloaded, installed or compiled
// (SLUICE_NO_INSTALL=1, see test/kafka/env.ts): a test once built confluent-kafka-javascript from
// source on both cores while the consumer tests beside it timed their rebalances.
//
// A test file declares what it needs on a line of its own:
//     // sluice-test-needs: kafka-tools node24
//   kafka            broker jars of the suite's Kafka version (implied by sharedKafka(, startKafka(, runJava()
//   kafka@<version>  broker jars of that version; kafka@schema is the version of the vendored schemas
//   kafka-tools      kafka-tools jars of the suite's version (ProducerPerformance, ConsoleConsumer, …)
//   node24           Node 24 (the npm `node` package) in .cache/node24
//   bench-peers      @platformatic/kafka 2.x in .cache/bench-peers (for the Node 24 runs)
//   bench-build      src/ and bench/clients compiled by tsc into .cache/bench-build
//   dist             the package's build (`npm run build`: dist/, as packed and installed)
//   tarball          the package as users get it: `npm pack` (which builds dist/), installed with its
//                    runtime dependencies only into an empty folder outside the checkout (test/package/)
//   postgres         PostgreSQL's server binaries (Debian's postgresql package, apt-get as root; implied by
//                    sharedPostgres( and startPostgres(, see test/pg/)
//   kcat             kcat, librdkafka's command-line client (Debian's kcat package, apt-get as root), to
//                    compare `sluice consume` with it (test/cli/)
//   chromium         Chromium (Debian's chromium package, apt-get as root), driven headless by puppeteer-core
//                    in the dashboard's browser tests (test/dashboard/)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importTs, root, SetupError } from './setup.mjs';

const KNOWN =
  /^(kafka|kafka@[0-9A-Za-z][0-9A-Za-z.+_-]*|kafka-tools|node24|bench-peers|bench-build|dist|tarball|postgres|kcat|chromium)$/;
const PRAGMA = /^[ \t]*\/\/[ \t]*sluice-test-needs:(.*)$/gm;
const IMPLIES_KAFKA = /\b(sharedKafka|startKafka|runJava)\(/;
const IMPLIES_POSTGRES = /\b(sharedPostgres|startPostgres)\(/;

/** The needs of the given files (paths relative to the repository root), as a sorted list. */
export function needsOf(files) {
  const needs = new Set();
  for (const file of files) {
    const text = readFileSync(path.resolve(root, file), 'utf8');
    if (IMPLIES_KAFKA.test(text)) needs.add('kafka');
    if (IMPLIES_POSTGRES.test(text)) needs.add('postgres');
    for (const m of text.matchAll(PRAGMA)) {
      for (const need of m[1]
        .trim()
        .split(/[\s,]+/)
        .filter(Boolean)) {
        if (!KNOWN.test(need)) {
          throw new SetupError(
            `${file}: unknown need "${need}" on its sluice-test-needs line ` +
              '(known: kafka, kafka@<version>, kafka-tools, node24, bench-peers, bench-build, dist, tarball, postgres, kcat, chromium)',
          );
        }
        needs.add(need);
      }
    }
  }
  return [...needs].sort();
}

const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Installs `needs` for the Kafka version `version` (undefined: SLUICE_KAFKA_VERSION, else the default
 * 4.x). Maven resolutions run one after another (they share ~/.m2), beside the npm installs. Returns
 * one line per need: `{ need, ok, what, ms }`; failures carry the reason in `what`.
 */
export async function provide(needs, version = process.env.SLUICE_KAFKA_VERSION || undefined) {
  const harness = await importTs('test/kafka/index.ts');
  const schema = readFileSync(path.join(root, 'tools', 'codegen', 'schemas', 'VERSION'), 'utf8').trim();
  const step = async (need, fn) => {
    const t0 = Date.now();
    try {
      const what = await fn();
      return { need, ok: true, what, ms: Date.now() - t0 };
    } catch (err) {
      return { need, ok: false, what: String(err?.message ?? err).split('\n')[0], ms: Date.now() - t0 };
    }
  };
  const maven = async () => {
    const out = [];
    if (needs.includes('kafka') || needs.includes('kafka-tools')) {
      out.push(await step('kafka', async () => `Kafka ${(await harness.resolveKafka(version)).version} jars`));
    }
    if (needs.includes('kafka-tools')) {
      out.push(
        await step('kafka-tools', async () => `kafka-tools ${(await harness.resolveKafkaTools(version)).version} jars`),
      );
    }
    for (const need of needs.filter((n) => n.startsWith('kafka@'))) {
      const v = need === 'kafka@schema' ? schema : need.slice('kafka@'.length);
      out.push(await step(need, async () => `Kafka ${(await harness.resolveKafka(v)).version} jars`));
    }
    return out;
  };
  const npm = async () => {
    const out = [];
    // `npm pack` builds dist/ itself (prepack): the two must never build at once, and one build will do.
    if (needs.includes('dist') && !needs.includes('tarball')) out.push(await step('dist', () => buildDist()));
    if (needs.includes('tarball')) {
      const tarball = await importTs('test/package/tarball.ts');
      out.push(
        await step('tarball', () => {
          const tgz = tarball.installTarball();
          return `package build (dist/), ${path.basename(tgz)} installed in ${tarball.appDir}`;
        }),
      );
    }
    if (!needs.includes('node24') && !needs.includes('bench-peers') && !needs.includes('bench-build')) return out;
    const peers = await importTs('bench/lib/peers.ts');
    if (needs.includes('node24')) out.push(await step('node24', () => `Node ${peers.installNode24().version}`));
    if (needs.includes('bench-peers'))
      out.push(await step('bench-peers', () => peers.installPlatformatic2() && '@platformatic/kafka 2.x'));
    if (needs.includes('bench-build')) {
      const build = await importTs('bench/lib/build.ts');
      out.push(
        await step('bench-build', () => {
          build.buildBench();
          return 'bench build';
        }),
      );
    }
    return out;
  };
  // System packages (apt-get), beside the rest: they share nothing with Maven or npm.
  const system = async () => {
    // One apt-get at a time: dpkg holds a lock.
    const out = [];
    if (needs.includes('postgres')) {
      const pg = await importTs('test/pg/binaries.ts');
      out.push(await step('postgres', async () => `PostgreSQL ${(await pg.ensurePostgres()).version}`));
    }
    if (needs.includes('kcat')) {
      const kcat = await importTs('test/cli/kcat.ts');
      out.push(await step('kcat', async () => `kcat ${(await kcat.ensureKcat()).version}`));
    }
    if (needs.includes('chromium')) {
      const chromium = await importTs('test/dashboard/chromium.ts');
      out.push(await step('chromium', async () => `Chromium ${(await chromium.ensureChromium()).version}`));
    }
    return out;
  };
  const [a, b, c] = await Promise.all([maven(), npm(), system()]);
  return [...a, ...b, ...c];
}

/** `npm run build` (tools/build.mjs) in a child process; resolves to a description, rejects with its output. */
function buildDist() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'tools', 'build.mjs')], { cwd: root });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve('package build (dist/)') : reject(new Error(`npm run build failed: ${output.trim()}`)),
    );
  });
}

/** One line for the run's log: what set-up provided, or what it could not. */
export function describe(results, t0) {
  const seen = new Set();
  const ok = results
    .filter((r) => r.ok && !seen.has(r.what) && seen.add(r.what)) // kafka and kafka@schema are often one version
    .map((r) => `${r.what} (${(r.ms / 1000).toFixed(1)} s)`);
  const lines = [];
  if (ok.length > 0) lines.push(`✔ set-up: ${ok.join(', ')} — ${secs(t0)}`);
  for (const r of results.filter((x) => !x.ok)) lines.push(`✖ set-up could not provide ${r.need}: ${r.what}`);
  return lines;
}
