import type { Command } from 'commander';
import type { Admin } from '../../admin/admin.js';
import type { LagRow, LagStatus, SampleWindow } from '../../observability/lag-status.js';
import { type ConnectionFlags, withConnectionOptions } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { exitCodeOf } from '../fail.js';

// `sluice lag`: per group, each partition's committed offset, end offset, lag, owner and a
// Burrow-style status (docs/lag-and-metrics.md). The client is loaded inside the action so that
// `sluice --help` stays fast (see main.ts). Brokers, TLS, SASL, client id, --timeout and the config
// file are the shared connection options (connection.ts).

export type LagPartitionRow = LagRow;

export interface LagGroupReport {
  groupId: string;
  /** `share` for share groups (KIP-932), else `consumer`. */
  type: 'consumer' | 'share';
  state: string;
  status: LagStatus | null;
  totalLag: number;
  partitions: LagPartitionRow[];
}

/** One round of `--json` output (one line per round with --watch). */
export interface LagReport {
  time: string;
  /** Samples in the window so far (status needs at least 2). */
  samples: number;
  groups: LagGroupReport[];
}

interface LagOptions extends ConnectionFlags {
  json?: boolean;
  watch?: boolean;
  interval: string;
  samples: string;
  window: string;
  count?: string;
}

/** Thrown for a bad option value: exit code USAGE. */
class UsageError extends Error {}

export function register(program: Command): void {
  const cmd = program
    .command('lag')
    .description('Lag of consumer groups per partition, with owners and a Burrow-style status')
    .argument('[groups...]', 'group ids (default: every consumer group)')
    .option('--json', 'print JSON (one object per sampling round with --watch)')
    .option('-w, --watch', 'sample every --interval and redraw until interrupted')
    .option('-i, --interval <duration>', 'time between samples: 500ms, 5s, 1m (a bare number is ms)', '5s')
    .option('-n, --samples <n>', 'without --watch: samples to take before printing (status needs 2)', '1')
    .option('--window <n>', 'samples kept per partition for the status', '10')
    .option('--count <n>', 'with --watch: stop after this many rounds')
    .addHelpText('after', '\nStatus rules: docs/lag-and-metrics.md');
  withConnectionOptions(cmd).action(async (groups: string[], opts: LagOptions) => {
    process.exitCode = await runLag(groups, opts);
  });
}

async function runLag(groupArgs: string[], opts: LagOptions): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(opts);
  } catch (err) {
    process.stderr.write(`sluice lag: ${(err as Error).message}\n`);
    return ExitCode.USAGE;
  }
  const { Admin } = await import('../../admin/admin.js');
  const { SampleWindow } = await import('../../observability/lag-status.js');
  let admin: Admin;
  try {
    const { clientOptions } = await import('../connection.js');
    admin = new Admin({ ...clientOptions(opts), clientId: opts.clientId ?? 'sluice-lag' });
  } catch (err) {
    // A malformed broker address, an out-of-range timeout: the client's ConfigError says which.
    process.stderr.write(`sluice lag: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const groups = groupArgs.length ? groupArgs : await consumerGroups(admin);
    const { shareGroupIds } = await import('../share-kind.js');
    const share = await shareGroupIds(admin, stop.signal);
    const windows: Windows = new Map(
      groups.map((g) => [g, { window: new SampleWindow(parsed.window), share: share.has(g) }]),
    );
    const rounds = opts.watch ? (parsed.count ?? Number.POSITIVE_INFINITY) : parsed.samples;
    for (let round = 1; round <= rounds && !stop.signal.aborted; round++) {
      const report = await sampleRound(admin, windows, round, parsed.window, stop.signal);
      if (opts.watch || round === rounds) print(report, Boolean(opts.json), Boolean(opts.watch));
      if (round < rounds) await sleep(parsed.intervalMs, stop.signal);
    }
    // With --watch an interrupt is the normal way to end; without it the report was not printed.
    return stop.signal.aborted && !opts.watch ? ExitCode.INTERRUPTED : ExitCode.OK;
  } catch (err) {
    if (stop.signal.aborted) return opts.watch ? ExitCode.OK : ExitCode.INTERRUPTED;
    process.stderr.write(`sluice lag: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    admin.close();
  }
}

function parseOptions(opts: LagOptions) {
  return {
    intervalMs: parseDuration(opts.interval, '--interval'),
    samples: parseCount(opts.samples, '--samples'),
    window: parseCount(opts.window, '--window'),
    count: opts.count === undefined ? undefined : parseCount(opts.count, '--count'),
  };
}

/** `500ms`, `5s`, `1m`, or a bare number of milliseconds; at most 2^31−1 ms (Node's longest timer). */
export function parseDuration(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms > 2147483647) {
    throw new UsageError(`${name} must be a duration like 500ms, 5s or 1m, got "${text}"`);
  }
  return Math.round(ms);
}

function parseCount(text: string, name: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number ≥ 1, got "${text}"`);
  return n;
}

async function consumerGroups(admin: Admin): Promise<string[]> {
  const listed = await admin.listGroups();
  return listed
    .filter((g) => g.protocolType === 'consumer' || g.protocolType === '' || g.type === 'share')
    .map((g) => g.groupId)
    .sort();
}

type Windows = Map<string, { window: SampleWindow; share: boolean }>;

/** Samples every group once (lag and members in parallel), adds to the windows, evaluates. */
async function sampleRound(
  admin: Admin,
  windows: Windows,
  round: number,
  windowSize: number,
  signal: AbortSignal,
): Promise<LagReport> {
  const { consumerGroupRows, worstStatus } = await import('../../observability/lag-status.js');
  const time = Date.now();
  const groups = await Promise.all(
    [...windows].map(async ([groupId, { window, share }]): Promise<LagGroupReport> => {
      if (share) return sampleShareGroup(admin, groupId, window, time, signal);
      const [lag, [description]] = await Promise.all([
        admin.groupLag(groupId, { signal }),
        admin.describeGroups([groupId], { signal }),
      ]);
      const partitions = consumerGroupRows(window, time, lag.partitions, description?.members ?? []);
      return {
        groupId,
        type: 'consumer',
        state: description?.state ?? 'Unknown',
        status: worstStatus(partitions.map((p) => p.status)),
        totalLag: lag.totalLag,
        partitions,
      };
    }),
  );
  return { time: new Date(time).toISOString(), samples: Math.min(round, windowSize), groups };
}

/** A share group's round (its position is end − lag: see shareGroupRows). */
async function sampleShareGroup(
  admin: Admin,
  groupId: string,
  window: SampleWindow,
  time: number,
  signal: AbortSignal,
): Promise<LagGroupReport> {
  const { shareGroupRows, worstStatus } = await import('../../observability/lag-status.js');
  const [lag, [description]] = await Promise.all([
    admin.shareGroupLag(groupId, { signal }),
    admin.describeShareGroups([groupId], { signal }),
  ]);
  const partitions = shareGroupRows(window, time, lag.partitions, description?.members ?? []);
  return {
    groupId,
    type: 'share',
    state: description?.state ?? 'Unknown',
    status: worstStatus(partitions.map((p) => p.status)),
    totalLag: lag.totalLag,
    partitions,
  };
}

function print(report: LagReport, json: boolean, watch: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, watch ? undefined : 2)}\n`);
    return;
  }
  if (watch && process.stdout.isTTY) process.stdout.write('\x1b[H\x1b[2J');
  process.stdout.write(renderTable(report));
}

/** The human table: one block per group. */
export function renderTable(report: LagReport): string {
  const out: string[] = [];
  if (!report.groups.length) out.push('No consumer groups.');
  for (const g of report.groups) {
    out.push(
      `${g.type === 'share' ? 'Share group' : 'Group'} ${g.groupId} (${g.state}): status ${g.status ?? '-'}, total lag ${g.totalLag}, ${report.samples} sample(s)`,
    );
    const share = g.type === 'share';
    const rows = [
      ['TOPIC', 'PARTITION', share ? 'START' : 'COMMITTED', 'END', 'LAG', share ? 'MEMBERS' : 'OWNER', 'STATUS'],
    ];
    for (const p of g.partitions) {
      const at = share ? p.startOffset : p.committedOffset;
      rows.push([
        p.topic,
        String(p.partition),
        at === null || at === undefined ? '-' : String(at),
        String(p.logEndOffset),
        p.lag === null ? '-' : String(p.lag),
        p.owner ?? '-',
        p.status ? `${p.status} (${p.reason})` : '-',
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    out.push('');
  }
  if (report.samples < 2 && report.groups.length) {
    out.push('Status needs at least 2 samples: use --samples N (e.g. -n 3 -i 1s) or --watch.');
  }
  return `${out.join('\n')}\n`;
}

function exitCodeFor(err: unknown): number {
  const shared = exitCodeOf(err);
  if (shared !== ExitCode.FAILURE) return shared;
  const code = (err as { code?: unknown }).code;
  const name = (err as Error).name;
  if (code === 'GROUP_ID_NOT_FOUND' || code === 'UNKNOWN_TOPIC_OR_PARTITION') return ExitCode.NOT_FOUND;
  if (code === 'INVALID_CONFIG') return ExitCode.USAGE;
  if (['ConnectionError', 'AuthenticationError', 'TimeoutError', 'RequestTimeoutError'].includes(name)) {
    return ExitCode.CONNECTION;
  }
  return ExitCode.FAILURE;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
