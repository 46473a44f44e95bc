// `npm run bench:scale`: Sluice at scale, default consumer options. Writes each backlog with Kafka's
// ProducerPerformance, then consumes it in a child process under GNU time (peak RSS of the whole
// process). Scenarios (issue 19): a 10M-record backlog behind a slow handler (1 ms per 100 records;
// goal peak RSS ≤ 150 MiB), 1 KiB records, and 100 partitions.
//   npm run bench:scale [-- --records 10000000 --only slow,1k,100p]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { uniqueName } from '../test/kafka/index.js';
import { buildBench } from './lib/build.js';
import { measure } from './lib/child.js';
import { buildDir } from './lib/clients.js';
import { javaProduce } from './lib/java-tools.js';
import { createTopic, startBenchKafka } from './lib/kafka.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    only: { type: 'string', default: 'slow,1k,100p' },
  },
});
const records = Number(values.records);
const only = values.only.split(',');
const scenarios = [
  { key: 'slow', label: 'slow handler (1 ms / 100 records)', partitions: 12, size: 100, mode: 'slow', records },
  // 1 KiB and 100 partitions: a tenth of the backlog is enough to show rate, CPU and RSS.
  { key: '1k', label: '1 KiB records', partitions: 12, size: 1024, mode: 'eachMessage', records: records / 10 },
  { key: '100p', label: '100 partitions', partitions: 100, size: 100, mode: 'eachMessage', records: records / 10 },
].filter((s) => only.includes(s.key));

buildBench();
const kafka = await startBenchKafka();
try {
  for (const sc of scenarios) {
    const topic = uniqueName(`bench-scale-${sc.key}`);
    await createTopic(kafka.bootstrap, topic, sc.partitions);
    await javaProduce({
      bootstrap: kafka.bootstrap,
      topic,
      records: sc.records,
      size: sc.size,
      compression: 'none',
      version: kafka.version,
    });
    const m = await measure(
      process.execPath,
      [
        path.join(buildDir, 'bench', 'clients', 'sluice-consume.js'),
        ...['--bootstrap', kafka.bootstrap, '--topic', topic, '--count', String(sc.records)],
        ...['--group', uniqueName('bench-scale'), '--mode', sc.mode],
      ],
      { env: { ...process.env, SLUICE_LOG_LEVEL: 'error' } },
    );
    const cpu = m.cpuUserS + m.cpuSysS;
    console.log(
      `${sc.label}: ${sc.records.toLocaleString('en-US')} × ${sc.size} B, ${sc.partitions} partitions: ` +
        `${Math.round((m.result.records / m.result.ms) * 1000).toLocaleString('en-US')} records/s, ` +
        `${((cpu / m.result.records) * 1e6).toFixed(2)} CPU s / M records, peak RSS ${Math.round(m.maxRssMb)} MiB`,
    );
  }
} finally {
  await kafka.close();
}
