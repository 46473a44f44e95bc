// Runs one benchmark client as a child process under GNU time, so every client — Node or Java — is
// measured the same way: its own JSON result line, plus user/system CPU seconds and peak RSS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ClientResult {
  records: number;
  bytes: number;
  /** Milliseconds from the first record received (or sent) to the last. */
  ms: number;
  [extra: string]: unknown;
}

export interface Measured {
  result: ClientResult;
  cpuUserS: number;
  cpuSysS: number;
  maxRssMb: number;
  wallS: number;
}

/** Runs `command args` and parses the last stdout line that is a JSON object with `records`. */
export async function measure(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; parse?: (stdout: string) => ClientResult } = {},
): Promise<Measured> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-bench-'));
  const statsFile = path.join(dir, 'time');
  try {
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M %e', '-o', statsFile, command, ...args], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0) {
      throw new Error(
        `${path.basename(command)} ${args.slice(0, 3).join(' ')} exited with ${code}\n${stderr.slice(-3000)}\n${stdout.slice(-2000)}`,
      );
    }
    const result = (opts.parse ?? lastJson)(stdout);
    const [user = '0', sys = '0', rssKb = '0', wall = '0'] = readFileSync(statsFile, 'utf8')
      .trim()
      .split('\n')
      .pop()!
      .split(' ');
    return {
      result,
      cpuUserS: Number(user),
      cpuSysS: Number(sys),
      maxRssMb: Number(rssKb) / 1024,
      wallS: Number(wall),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastJson(stdout: string): ClientResult {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const v = JSON.parse(line) as ClientResult;
    if (typeof v.records === 'number') return v;
  }
  throw new Error(`no result line in client output:\n${stdout.slice(-2000)}`);
}
