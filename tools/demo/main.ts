// `npm start`: the demo. A local broker (the test harness), topic `orders` with 6 partitions, a stream
// of sample orders produced while `sluice sink` stores them in ./sluice-demo.db with its progress
// display; then the demo group's lag and SQL over the stored orders. About a minute; stops the broker.
// The dashboard (`sluice dashboard`, tools/demo/dashboard.ts) serves throughout; on a terminal it keeps
// serving after the demo until Ctrl-C.
//
// Every run starts from scratch: the broker's data directory is removed when it stops, so the topic is
// new each time, and so is the database (its stored positions would point past the new topic's end).
import { rmSync } from 'node:fs';
import net from 'node:net';
import { Admin } from '../../src/admin/admin.js';
import { ProgressDisplay, type ProgressOutput, progressLogger } from '../../src/cli/progress.js';
import { runSinkCommand, summaryLine } from '../../src/cli/sink-run.js';
import { tpKey } from '../../src/consumer/topic-partition.js';
import { SqliteStore } from '../../src/sinks/sqlite.js';
import { startKafka } from '../../test/kafka/kafka.js';
import { type DemoDashboard, startDemoDashboard } from './dashboard.js';
import { OrderGenerator } from './orders.js';
import { produceOrders } from './produce.js';
import { formatLag, formatQuery, lagRows, orderQueries } from './report.js';

export interface DemoOptions {
  brokers: string[];
  dbPath: string;
  topic?: string;
  groupId?: string;
  partitions?: number;
  /** A backlog produced before the sink starts, so the display has lag to work off: seconds and rate. */
  backlogSeconds?: number;
  backlogRate?: number;
  /** Then a live stream while the sink runs. */
  liveSeconds?: number;
  liveRate?: number;
  out?: ProgressOutput;
  signal?: AbortSignal;
}

export interface DemoResult {
  produced: number;
  stored: number;
  totalLag: number;
  rows: number;
  distinctOrders: number;
}

/** The demo against a running cluster (the tests run it against the suite's broker, shortened). */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const out = o.out ?? process.stdout;
  const say = (text = '') => out.write(`${text}\n`);
  const topic = o.topic ?? 'orders';
  const groupId = o.groupId ?? 'sluice-demo';
  const partitions = o.partitions ?? 6;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${o.dbPath}${suffix}`, { force: true });

  const admin = new Admin({ brokers: o.brokers, clientId: 'sluice-demo' });
  try {
    await admin.createTopics([{ topic, numPartitions: partitions, replicationFactor: 1 }]);
    say(`Created topic ${topic} with ${partitions} partitions.`);
    const generator = new OrderGenerator();
    const backlogSeconds = o.backlogSeconds ?? 10;
    const backlogRate = o.backlogRate ?? 20_000;
    const liveSeconds = o.liveSeconds ?? 30;
    const liveRate = o.liveRate ?? 2_000;
    say(`Producing a backlog of orders for ${backlogSeconds} s (${backlogRate.toLocaleString('en-US')}/s)…`);
    const backlog = await produceOrders({
      brokers: o.brokers,
      topic,
      ratePerSecond: backlogRate,
      seconds: backlogSeconds,
      generator,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    say(
      `Produced ${backlog.toLocaleString('en-US')} orders. Now the sink starts while orders keep coming ` +
        `for ${liveSeconds} s (${liveRate.toLocaleString('en-US')}/s):`,
    );
    say(`  sluice sink -t ${topic} -g ${groupId} --store sqlite:${o.dbPath} --value json`);
    say();
    // Ctrl-C stops both; a failed sink stops the producer, a failed producer the sink (via `until`).
    const liveStop = new AbortController();
    const abortLive = () => liveStop.abort();
    o.signal?.addEventListener('abort', abortLive, { once: true });
    const live = produceOrders({
      brokers: o.brokers,
      topic,
      ratePerSecond: liveRate,
      seconds: liveSeconds,
      generator,
      signal: liveStop.signal,
    });
    // The sink runs until it has stored everything the producer sent: the end offsets once it is done.
    const until = live.then(async () => {
      const ends = await admin.listOffsets(
        Array.from({ length: partitions }, (_, partition) => ({ topic, partition, at: 'latest' as const })),
      );
      return new Map(ends.map((e) => [tpKey(e.topic, e.partition), e.offset]));
    });
    // runSinkCommand reports a failed `until`; if the sink fails before it looks, nobody else must.
    until.catch(() => {});
    const store = new SqliteStore({ path: o.dbPath, synchronous: 'normal' });
    const display = new ProgressDisplay({ out, label: `${topic} → sqlite:${o.dbPath}` });
    let summary: Awaited<ReturnType<typeof runSinkCommand>>;
    try {
      summary = await runSinkCommand({
        brokers: o.brokers,
        groupId,
        topic,
        store,
        value: 'json',
        until,
        display,
        logger: progressLogger(display),
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (err) {
      liveStop.abort();
      await live.catch(() => {});
      throw err;
    } finally {
      o.signal?.removeEventListener('abort', abortLive);
    }
    const liveCount = await live;
    display.finish(summaryLine(summary));
    const produced = backlog + liveCount;
    if (o.signal?.aborted) {
      say('Interrupted: what was stored is kept.');
      return { produced, stored: summary.stored, totalLag: summary.lag ?? -1, rows: -1, distinctOrders: -1 };
    }
    say();
    say(`Consumer group ${groupId}: lag per partition`);
    const lag = await lagRows(admin, o.dbPath, topic, groupId);
    say(formatLag(lag));
    const queries = orderQueries(o.dbPath, topic);
    for (const q of queries) {
      say();
      say(formatQuery(q));
    }
    const [rows, distinctOrders] = queries[0]!.rows[0] as [number, number];
    say();
    say(
      `${produced.toLocaleString('en-US')} orders produced, ${rows.toLocaleString('en-US')} rows stored in ` +
        `${o.dbPath} — each exactly once. Query it yourself, e.g. sqlite3 ${o.dbPath}`,
    );
    return { produced, stored: summary.stored, totalLag: lag.reduce((s, r) => s + r.lag, 0), rows, distinctOrders };
  } finally {
    admin.close();
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const DEFAULT_PORT = 9092;

/**
 * The broker's port: `preferred` when free; else none fixed (the harness picks a free one), with a
 * note saying so.
 */
export async function brokerPort(preferred = DEFAULT_PORT): Promise<{ port?: number; taken: boolean }> {
  return (await portFree(preferred)) ? { port: preferred, taken: false } : { taken: true };
}

/** `npm start`: a broker of its own, the demo, the broker stopped. Resolves with the exit code. */
export async function main(_argv: string[] = []): Promise<number> {
  const started = Date.now();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const { port, taken } = await brokerPort();
  console.log('Starting a local Apache Kafka (KRaft, single node)…');
  const cluster = await startKafka({ ...(port ? { ports: { PLAINTEXT: port } } : {}), listeners: [] });
  try {
    if (taken) console.log(`Port ${DEFAULT_PORT} is taken; the demo's broker listens on ${cluster.bootstrap} instead.`);
    console.log(`Kafka ${cluster.version} is running at ${cluster.bootstrap}.`);
    let dashboard: DemoDashboard | undefined;
    try {
      dashboard = await startDemoDashboard([cluster.bootstrap]);
      console.log(`Dashboard: ${dashboard.url} (open it to watch the groups, lag and rates live)`);
    } catch (err) {
      // The demo does not need it: say why and go on.
      console.log(`No dashboard: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      return await demoAndDashboard(cluster.bootstrap, started, stop.signal, dashboard);
    } finally {
      await dashboard?.close();
    }
  } finally {
    await cluster.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The demo; then, on a terminal, the dashboard keeps serving until Ctrl-C (the broker with it); not on
 * a terminal (a script, a test), the demo ends by itself as before.
 */
async function demoAndDashboard(
  bootstrap: string,
  started: number,
  signal: AbortSignal,
  dashboard: DemoDashboard | undefined,
): Promise<number> {
  let result: DemoResult;
  try {
    result = await runDemo({
      brokers: [bootstrap],
      dbPath: process.env.SLUICE_DEMO_DB ?? './sluice-demo.db',
      signal,
    });
  } catch (err) {
    // One line, as the CLI does; the stack only with SLUICE_DEMO_DEBUG=1.
    process.stdout.write('\n');
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SLUICE_DEMO_DEBUG === '1') console.error(err);
    return 1;
  }
  if (signal.aborted) return 130;
  const code = result.rows === result.distinctOrders && result.rows === result.produced ? 0 : 1;
  const took = `${((Date.now() - started) / 1000).toFixed(0)} s`;
  if (dashboard && process.stdout.isTTY) {
    console.log(`Done in ${took}. The dashboard keeps serving at ${dashboard.url}`);
    console.log('Press Ctrl-C to stop it and Kafka.');
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return code;
  }
  console.log(`Done in ${took}; stopping Kafka.`);
  return code;
}
