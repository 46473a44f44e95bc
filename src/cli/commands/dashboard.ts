import type { Command } from 'commander';
import { Option } from 'commander';
import { type ConnectionFlags, withConnectionOptions } from '../connection.js';
import { ExitCode } from '../exit-codes.js';
import { exitCodeOf } from '../fail.js';
import { parseDuration } from './lag.js';

// `sluice dashboard`: serves a live web page of the cluster's groups, lag with status, throughput
// and topics (docs/dashboard.md). The server (src/dashboard/) is loaded inside the action so that
// `sluice --help` stays fast.

interface DashboardFlags extends ConnectionFlags {
  port: string;
  host: string;
  group?: string[];
  interval: string;
  window: string;
  history: string;
  allowWrites?: boolean;
  token?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function register(program: Command): void {
  const cmd = program
    .command('dashboard')
    .description('Serve a live web dashboard: groups, members, lag with status, throughput, topics')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on; anything but loopback needs --token', '127.0.0.1')
    .option('-g, --group <id...>', 'show only these groups (default: every group)')
    .option('-i, --interval <duration>', 'time between samples: 500ms, 2s, 1m', '2s')
    .option('--window <n>', 'samples kept per partition for the status (as sluice lag)', '5')
    .option('--history <duration>', 'how far back the charts go', '5m')
    .option('--allow-writes', 'let the page reset a group’s offsets (asks for confirmation)')
    .addOption(
      new Option('--token <secret>', 'required from every browser (the printed URL carries it)').env(
        'SLUICE_DASHBOARD_TOKEN',
      ),
    )
    .addHelpText('after', '\nStatus rules: docs/lag-and-metrics.md; the page: docs/dashboard.md');
  withConnectionOptions(cmd).action(async (opts: DashboardFlags) => {
    process.exitCode = await runDashboard(opts);
  });
}

async function runDashboard(opts: DashboardFlags): Promise<number> {
  const bad = (message: string) => {
    process.stderr.write(`sluice dashboard: ${message}\n`);
    return ExitCode.USAGE;
  };
  const port = /^\d+$/.test(opts.port) ? Number(opts.port) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) return bad(`--port must be 0…65535, got "${opts.port}"`);
  // An empty token (e.g. SLUICE_DASHBOARD_TOKEN= ) counts as none.
  const token = opts.token || undefined;
  if (!LOOPBACK.has(opts.host) && !token) {
    return bad(`--host ${opts.host} serves beyond this machine: set --token (or SLUICE_DASHBOARD_TOKEN) too`);
  }
  if (token !== undefined && token.length < 8) return bad('--token must be at least 8 characters');
  const window = /^\d+$/.test(opts.window) ? Number(opts.window) : 0;
  if (window < 1) return bad(`--window must be a whole number ≥ 1, got "${opts.window}"`);
  let intervalMs: number;
  let historyMs: number;
  try {
    intervalMs = parseDuration(opts.interval, '--interval');
    historyMs = parseDuration(opts.history, '--history');
  } catch (err) {
    return bad((err as Error).message);
  }
  if (intervalMs < 100) return bad('--interval must be at least 100ms');
  if (historyMs < intervalMs) return bad('--history must be at least --interval');

  const { Admin } = await import('../../admin/admin.js');
  const { clientOptions } = await import('../connection.js');
  const { startDashboard } = await import('../../dashboard/server.js');
  let admin: InstanceType<typeof Admin>;
  try {
    admin = new Admin({ ...clientOptions(opts), clientId: opts.clientId ?? 'sluice-dashboard' });
    // Fail fast (exit 3) when no broker answers, rather than serve a page that only says so.
    await admin.connect();
  } catch (err) {
    process.stderr.write(`sluice dashboard: ${(err as Error).message.split('\n')[0]}\n`);
    return exitCodeOf(err);
  }
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
      admin,
      host: opts.host,
      port,
      groups: opts.group,
      intervalMs,
      window,
      historyMs,
      allowWrites: Boolean(opts.allowWrites),
      token,
    });
  } catch (err) {
    admin.close();
    const code = (err as { code?: string }).code;
    const why = code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0)` : (err as Error).message;
    process.stderr.write(`sluice dashboard: cannot listen on ${opts.host}:${port}: ${why}\n`);
    return ExitCode.FAILURE;
  }
  process.stdout.write(`Dashboard: ${dashboard.url}${opts.allowWrites ? ' (offset resets allowed)' : ''}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  admin.close();
  return ExitCode.OK;
}
