// Small CLI over the harness. `npm run kafka` and `npm start` call runForeground() after set-up;
// it can also be run directly: node --import tsx test/kafka/cli.ts [start|resolve] [options]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HarnessError } from './errors.js';
import { resolveKafka, resolveKafkaTools } from './jars.js';
import { startKafka } from './kafka.js';
import { LISTENERS, type ListenerName } from './types.js';

export interface ForegroundOptions {
  /** PLAINTEXT port for a single node; 0 picks a free one. Default 9092. */
  port?: number;
  nodes?: 1 | 3;
  listeners?: ListenerName[];
  bench?: boolean;
}

const USAGE = `usage: cli.ts start [--port 9092] [--nodes 1|3] [--listeners SASL_PLAINTEXT,SSL,SASL_SSL] [--bench]
       cli.ts resolve [--tools]
Kafka version: SLUICE_KAFKA_VERSION (default: newest 4.x that resolves).`;

/** Runs a broker until SIGINT/SIGTERM; returns the process exit code. */
export async function runForeground(opts: ForegroundOptions = {}): Promise<number> {
  const nodes = opts.nodes ?? 1;
  const port = opts.port ?? 9092;
  const cluster = await startKafka({
    nodes,
    ...(nodes === 1 && port !== 0 ? { ports: { PLAINTEXT: port } } : {}),
    listeners: opts.listeners ?? [],
    mode: opts.bench ? 'bench' : 'test',
  });
  const lines = [`Kafka ${cluster.version} is running (KRaft, ${nodes === 1 ? 'single node' : `${nodes} nodes`}).`];
  lines.push(`  bootstrap ${cluster.bootstrap}`);
  for (const [l, b] of Object.entries(cluster.bootstraps)) if (l !== 'PLAINTEXT') lines.push(`  ${l} ${b}`);
  if (cluster.tls) lines.push(`  CA        ${cluster.tls.caFile}`);
  if (cluster.users) lines.push(`  users     ${cluster.users.map((u) => `${u.username}/${u.password}`).join(', ')}`);
  lines.push(`  data dir  ${cluster.dataDir} (removed on exit)`);
  lines.push(`  log       ${cluster.logFile(1)}`, 'Press Ctrl-C to stop.');
  console.log(lines.join('\n'));
  const signal = new Promise<string>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  const outcome = await Promise.race([signal, cluster.unexpectedExit()]);
  if (typeof outcome === 'string') {
    console.log('Stopping Kafka…');
    await cluster.close();
    console.log('Stopped; data dir removed.');
    return 0;
  }
  const tail = cluster.logTail(outcome.nodeId, 30);
  console.error(
    `Kafka node ${outcome.nodeId} exited unexpectedly (${outcome.signal ?? `code ${outcome.code}`}):\n${tail}`,
  );
  await cluster.close();
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      nodes: { type: 'string' },
      listeners: { type: 'string' },
      bench: { type: 'boolean' },
      tools: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'start';
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'resolve') {
    const jars = values.tools ? await resolveKafkaTools() : await resolveKafka();
    console.log(`Kafka ${jars.version}\n${jars.classpath}`);
    return 0;
  }
  if (command !== 'start') throw new HarnessError(`unknown command "${command}"\n${USAGE}`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new HarnessError(`--port must be a port number, not "${values.port}"`);
  }
  const nodes = values.nodes === undefined ? 1 : Number(values.nodes);
  if (nodes !== 1 && nodes !== 3) throw new HarnessError('--nodes must be 1 or 3');
  const listeners = (values.listeners?.split(',').filter(Boolean) ?? []) as ListenerName[];
  for (const l of listeners) {
    if (!LISTENERS.includes(l)) throw new HarnessError(`unknown listener "${l}" (one of ${LISTENERS.join(', ')})`);
  }
  return runForeground({ ...(port === undefined ? {} : { port }), nodes, listeners, bench: values.bench ?? false });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof HarnessError ? `error: ${err.message}` : err);
      process.exit(1);
    },
  );
}
