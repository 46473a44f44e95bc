// One-line errors and exit codes. Kept free of client imports: it runs for every command, and
// `sluice --help` must not load the protocol codecs. Errors are told apart by their stable `code`
// and class name instead of `instanceof`.
import { SluiceError } from '../errors.js';
import { ExitCode } from './exit-codes.js';

/** A mistake the CLI itself detects (bad offset spec, bad format string, missing option). */
export class CliError extends SluiceError {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = ExitCode.USAGE, code = 'CLI_USAGE') {
    super(message, { code });
    this.exitCode = exitCode;
  }
}

export const usage = (message: string): CliError => new CliError(message, ExitCode.USAGE);

const NOT_FOUND = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID', 'GROUP_ID_NOT_FOUND', 'CLI_NOT_FOUND']);
const CONNECTION_NAMES = new Set(['ConnectionError', 'AuthenticationError']);

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e !== undefined && e !== null && i < 8; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/**
 * The exit code for an error, by what kind of failure it is (docs/cli.md#exit-codes). The cause
 * chain is searched too: a `TimeoutError` whose last error was a refused connection is a connection
 * failure, one whose last error was `UNKNOWN_TOPIC_OR_PARTITION` is "not found".
 */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  for (const e of chain(err)) {
    const name = (e as { name?: unknown })?.name;
    const code = (e as { code?: unknown })?.code;
    if (code === 'INVALID_CONFIG') return ExitCode.USAGE;
    if (typeof code === 'string' && NOT_FOUND.has(code)) return ExitCode.NOT_FOUND;
    if (typeof name === 'string' && CONNECTION_NAMES.has(name)) return ExitCode.CONNECTION;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return ExitCode.CONNECTION;
  }
  return ExitCode.FAILURE;
}

/** `sluice: <message>` on stderr, no stack (unless SLUICE_DEBUG is set); returns the exit code. */
export function reportError(err: unknown): ExitCode {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`sluice: ${msg.split('\n')[0]}\n`);
  if (process.env.SLUICE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return exitCodeOf(err);
}
