// `npm run bench`: the consume and produce suites against one real broker, every available peer,
// median of `runs` runs with the client order rotated. Writes bench/results/<date>.json and .md.
//   npm run bench [-- --records 1000000 --runs 3 --no-peers]
//   npm run bench -- --smoke    the miniature of test/bench/smoke.test.ts with every peer, confluent-js
//                               included (built from source on first use); checks counts, writes nothing
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machineFacts, runConsumeBench } from './consume.js';
import { root } from './lib/clients.js';
import { startBenchKafka } from './lib/kafka.js';
import { ensurePeers } from './lib/peers.js';
import { markdown } from './lib/report.js';
import { runSmoke } from './lib/smoke.js';
import { runProduceBench } from './produce.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    'no-peers': { type: 'boolean', default: false },
    suites: { type: 'string', default: 'consume,produce' },
    smoke: { type: 'boolean', default: false },
  },
});
const records = Number(values.records);
const size = Number(values.size);
const runs = Number(values.runs);
const suites = values.suites.split(',');
const withPeers = !values['no-peers'];

const peers = ensurePeers({ node24: withPeers, confluent: withPeers });
for (const n of peers.notes) console.error(`note: ${n}`);
const kafka = await startBenchKafka();
if (values.smoke) {
  try {
    const { problems, rows } = await runSmoke({ peers, bootstrap: kafka.bootstrap, kafkaVersion: kafka.version });
    console.log(
      `smoke: ${rows.length} client runs; ${problems.length === 0 ? 'every record accounted for' : 'problems:'}`,
    );
    for (const p of problems) console.log(`  ${p}`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    await kafka.close();
  }
  process.exit();
}
try {
  const consume = suites.includes('consume')
    ? await runConsumeBench({
        records,
        size,
        runs,
        scenarios: (await import('./lib/scenarios.js')).SCENARIOS,
        node24: withPeers,
        confluent: withPeers,
        peers,
        bootstrap: kafka.bootstrap,
        kafkaVersion: kafka.version,
      })
    : undefined;
  const produce = suites.includes('produce')
    ? await runProduceBench({ records, size, runs, peers, bootstrap: kafka.bootstrap, kafkaVersion: kafka.version })
    : undefined;
  // Keep today's results of a suite that was not run this time (each table's ratios come from one run).
  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(root, 'bench', 'results');
  const file = path.join(dir, `${date}.json`);
  const previous: { suite: string }[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).summaries : [];
  const kept = previous.filter((s) => !suites.includes(s.suite)) as typeof fresh;
  const fresh = [...(consume?.summaries ?? []), ...(produce?.summaries ?? [])];
  const summaries = [...fresh, ...kept].sort((a, b) => (a.suite === b.suite ? 0 : a.suite === 'consume' ? -1 : 1));
  const facts = [
    ...machineFacts(kafka.version),
    `${runs} runs per client, median; ${records.toLocaleString('en-US')} records of ${size} B`,
    ...peers.notes,
  ];
  const md = markdown(summaries, facts);
  mkdirSync(dir, { recursive: true });
  const rawRuns = [...(consume?.rows ?? []), ...(produce?.rows ?? [])].map((r) => ({
    suite: r.suite,
    scenario: r.scenario,
    client: r.client,
    runtime: r.runtime,
    runs: r.runs,
  }));
  writeFileSync(file, `${JSON.stringify({ date, facts, summaries, runs: rawRuns }, null, 2)}\n`);
  writeFileSync(path.join(dir, `${date}.md`), `# Benchmark ${date}\n\n${md}\n`);
  console.log(md);
  console.error(`written: bench/results/${date}.json and .md`);
} finally {
  await kafka.close();
}
