// The benchmark in miniature, so it never rots: every client reads and writes a few thousand records,
// and the check is that each one handled every record — never a speed. `npm test` runs it (as
// test/bench/smoke.test.ts) with the peers its set-up installs; `npm run bench -- --smoke` runs it
// with every peer, confluent-kafka-javascript included (built from source on first use).
import { runConsumeBench } from '../consume.js';
import { runProduceBench } from '../produce.js';
import type { Peers } from './peers.js';
import type { Row } from './report.js';

export const SMOKE_RECORDS = 3000;

export interface SmokeOptions {
  peers: Peers;
  /** Use this broker (the test suite's); default: start a bench broker. */
  bootstrap?: string;
  kafkaVersion?: string;
  log?: (line: string) => void;
}

/** Clients that must have run, by `name (runtime prefix)`: what the peers found make possible. */
function expected(peers: Peers): { consume: string[]; produce: string[] } {
  const consume = [
    'sluice eachMessage (node 2',
    'sluice eachBatch (node 2',
    'sluice iterator (node 2',
    'kafkajs eachMessage (node',
    'platformatic 1.x (node',
    'java ConsumerPerformance (java',
  ];
  const produce = ['sluice (node 2', 'platformatic 1.x (node', 'kafkajs (node', 'java ProducerPerformance (java'];
  if (peers.node24) {
    consume.push('sluice eachMessage (node 24', 'sluice eachBatch (node 24');
    produce.push('sluice (node 24');
    if (peers.platformatic2) {
      consume.push('platformatic 2.x (node 24');
      produce.push('platformatic 2.x (node 24');
    }
  }
  if (peers.confluent) {
    consume.push(
      'confluent-js consume loop (node',
      'confluent-js migration API eachMessage (node',
      'confluent-js migration API eachBatch (node',
    );
    produce.push('confluent-js (node');
  }
  return { consume, produce };
}

/** Runs both suites on a few thousand records; returns what went wrong (empty: all good) and the rows. */
export async function runSmoke(o: SmokeOptions): Promise<{ problems: string[]; rows: Row[] }> {
  const common = {
    records: SMOKE_RECORDS,
    size: 100,
    runs: 1,
    peers: o.peers,
    bootstrap: o.bootstrap,
    kafkaVersion: o.kafkaVersion,
    log: o.log,
  };
  const consume = await runConsumeBench({
    ...common,
    scenarios: [
      { partitions: 3, compression: 'none' },
      { partitions: 3, compression: 'lz4' },
    ],
    node24: Boolean(o.peers.node24),
    confluent: Boolean(o.peers.confluent),
  });
  const produce = await runProduceBench({ ...common, scenarios: [{ partitions: 3, compression: 'none' }] });
  const problems: string[] = [];
  const want = expected(o.peers);
  const ran = (rows: Row[]) => rows.map((r) => `${r.client} (${r.runtime})`);
  for (const [suite, rows, names] of [
    ['consume', consume.rows, want.consume],
    ['produce', produce.rows, want.produce],
  ] as const) {
    for (const name of names) {
      if (!ran(rows).some((r) => r.startsWith(name)))
        problems.push(`${suite}: ${name}…) did not run; ran: ${ran(rows).join(', ')}`);
    }
  }
  for (const row of consume.rows) {
    for (const m of row.runs) {
      if (m.result.records < SMOKE_RECORDS)
        problems.push(`${row.client} (${row.runtime}) consumed ${m.result.records} of ${SMOKE_RECORDS}`);
    }
  }
  for (const row of produce.rows) {
    for (const m of row.runs) {
      if (m.result.records !== SMOKE_RECORDS)
        problems.push(`${row.client} (${row.runtime}) produced ${m.result.records} of ${SMOKE_RECORDS}`);
    }
  }
  return { problems, rows: [...consume.rows, ...produce.rows] };
}
