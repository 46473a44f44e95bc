// Runs `sluice` as a subprocess (node --import tsx src/cli/main.ts), as a user would, and collects
// its output and exit code. Every run is bounded: a hang is killed and reported, never waited on.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = path.join(root, 'src', 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

export interface CliRunOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Leave stdin open (no input, no end) for the caller to write to in onStart. */
  keepStdinOpen?: boolean;
  /** Called once the process started; may signal it. */
  onStart?: (child: import('node:child_process').ChildProcess) => void;
}

/** Environment without any SLUICE_* the caller's shell may have, so tests see only what they set. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SLUICE_') || k === 'SLUICE_NO_INSTALL') env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runCli(args: string[], opts: CliRunOptions = {}): Promise<CliResult> {
  return runBinary(process.execPath, ['--import', 'tsx', MAIN, ...args], opts);
}

export function runBinary(bin: string, args: string[], opts: CliRunOptions = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env: cleanEnv(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else if (!opts.keepStdinOpen) child.stdin.end();
    opts.onStart?.(child);
  });
}
