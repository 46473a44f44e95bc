// How `sluice sink` turns the error that stopped it into one line and an exit code (exit-codes.ts).
// When the shared CLI error handling lands (the other commands need the same mapping), this moves there.
import { ConfigError, SluiceError } from '../errors.js';
import { AuthenticationError, ConnectionError, RequestTimeoutError } from '../network/errors.js';
import { SinkDecodeError, SinkError } from '../sinks/errors.js';
import { ExitCode } from './exit-codes.js';

const NOT_FOUND = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID', 'GROUP_ID_NOT_FOUND']);

/** A usage mistake found by the command itself (bad --count, conflicting options). */
export class CliUsageError extends SluiceError {
  constructor(message: string) {
    super(message, { code: 'CLI_USAGE' });
  }
}

/** The first request to the cluster got no answer in time: wrong address, broker down, firewall. */
export class BrokersUnreachableError extends SluiceError {
  constructor(brokers: string[], timeoutMs: number, cause: unknown) {
    const why = cause instanceof Error && !/did not complete within/.test(cause.message) ? ` (${cause.message})` : '';
    super(`no broker of ${brokers.join(',')} answered within ${timeoutMs / 1000} s${why}`, {
      code: 'BROKERS_UNREACHABLE',
      retriable: true,
      cause,
    });
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliUsageError || err instanceof ConfigError) return ExitCode.USAGE;
  if (err instanceof SinkError) return ExitCode.STORE;
  if (
    err instanceof BrokersUnreachableError ||
    err instanceof ConnectionError ||
    err instanceof RequestTimeoutError ||
    err instanceof AuthenticationError
  ) {
    return ExitCode.CONNECTION;
  }
  if (err instanceof SluiceError && NOT_FOUND.has(err.code)) return ExitCode.NOT_FOUND;
  if (err instanceof SinkDecodeError) return ExitCode.FAILURE;
  return ExitCode.FAILURE;
}

/** One line: `sluice sink: <message>` (the cause's message when it says more). */
export function failureLine(command: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `sluice ${command}: ${message.split('\n')[0]}`;
}
