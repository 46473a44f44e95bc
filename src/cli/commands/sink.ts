import { type Command, InvalidArgumentError, Option } from 'commander';
import { addMetricsOption, startConsumerMetrics } from '../../observability/metrics-cli.js';
import { type ConnectionFlags, withConnectionOptions } from '../connection.js';
import { ExitCode } from '../exit-codes.js';

/**
 * `sluice sink`: a topic into SQLite, PostgreSQL or JSONL files, exactly once (runSink), with a
 * progress display on stderr. The client is loaded inside the action, so `sluice --help` stays fast.
 * Brokers, TLS, SASL, client id and the config file are the shared connection options.
 */
export function register(program: Command): void {
  const cmd = program
    .command('sink')
    .description('store a topic in SQLite, PostgreSQL or JSONL files, exactly once, with a progress display')
    .requiredOption('-t, --topic <topic>', 'the topic to store')
    .requiredOption('-g, --group <group>', 'consumer group: the store keeps positions per group')
    .requiredOption('--store <url>', 'sqlite:<file> | postgres://user:pass@host:port/db | jsonl:<directory>')
    .addOption(new Option('--mode <mode>', 'a row per record, or the latest per key').choices(['append', 'upsert']))
    .addOption(new Option('--value <decoding>', 'how values are stored').choices(['utf8', 'json', 'bytes']))
    .addOption(new Option('--on-error <policy>', 'a value that cannot be decoded').choices(['fail', 'skip']))
    .option('--count <n>', 'stop after storing at least n records', positiveInt)
    .option('--until-end', 'stop once every partition reached the end offsets seen at start')
    .option('--no-progress', 'no progress display (the summary is still printed)')
    // Commander exits 1 on a usage mistake; exit-codes.ts says 2 (help and --version stay 0).
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : ExitCode.USAGE));
  addMetricsOption(cmd);
  withConnectionOptions(cmd).action(async (opts: SinkCliOptions) => {
    process.exitCode = await sinkAction(opts);
  });
}

export interface SinkCliOptions extends ConnectionFlags {
  topic: string;
  group: string;
  store: string;
  mode?: 'append' | 'upsert';
  value?: 'utf8' | 'json' | 'bytes';
  onError?: 'fail' | 'skip';
  count?: number;
  untilEnd?: boolean;
  progress: boolean;
  metricsPort?: number;
  metricsHost?: string;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** Runs the command; resolves with the exit code after printing one line for a failure. */
async function sinkAction(opts: SinkCliOptions): Promise<number> {
  const { ProgressDisplay, progressLogger } = await import('../progress.js');
  const { runSinkCommand, summaryLine } = await import('../sink-run.js');
  const { storeFromUrl } = await import('../sink-store.js');
  const { exitCodeFor, failureLine } = await import('../sink-failure.js');
  const { clientOptions } = await import('../connection.js');

  const stop = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(ExitCode.INTERRUPTED); // a second Ctrl-C: don't wait for the flush
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const out = process.stderr;
  let display: InstanceType<typeof ProgressDisplay> | undefined;
  let metrics: Awaited<ReturnType<typeof startConsumerMetrics>> | undefined;
  try {
    const store = storeFromUrl(opts.store, opts.mode ?? 'append');
    const { brokers: brokerList, logger: _logger, ...client } = clientOptions(opts);
    // Before the consumer starts, so its first rebalance and fetches count.
    if (opts.metricsPort !== undefined) {
      metrics = await startConsumerMetrics(opts.metricsPort, { host: opts.metricsHost });
      out.write(`Metrics at ${metrics.url}\n`);
    }
    const brokers = brokerList
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    display = new ProgressDisplay({
      out: opts.progress ? out : { write: () => true },
      label: `${opts.topic} → ${store.description}`,
    });
    const summary = await runSinkCommand({
      brokers,
      client,
      groupId: opts.group,
      topic: opts.topic,
      store,
      ...(opts.value ? { value: opts.value } : {}),
      ...(opts.onError ? { onError: opts.onError } : {}),
      ...(opts.count !== undefined ? { count: opts.count } : {}),
      ...(opts.untilEnd ? { until: 'end' as const } : {}),
      display,
      logger: progressLogger(display, 'warn'),
      signal: stop.signal,
    });
    display.finish(summaryLine(summary));
    if (!opts.progress) out.write(`${summaryLine(summary)}\n`);
    return interrupted ? ExitCode.INTERRUPTED : ExitCode.OK;
  } catch (err) {
    // The progress line keeps what was stored before the error; the error itself is one line.
    display?.end();
    out.write(`${failureLine('sink', err)}\n`);
    return exitCodeFor(err);
  } finally {
    await metrics?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
