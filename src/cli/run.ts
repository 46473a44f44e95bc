// Wraps a command's action: errors become one line on stderr and the documented exit code.
import { DEFAULT_BROKERS } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { exitCodeOf, reportError } from './fail.js';

/** A timeout or connection failure against brokers none of which accepts TCP says so plainly. */
async function explain(err: unknown, flags: Record<string, unknown>): Promise<unknown> {
  const code = (err as { code?: unknown })?.code;
  if (code !== 'TIMEOUT' && exitCodeOf(err) !== ExitCode.CONNECTION) return err;
  const { unreachable } = await import('./probe.js');
  return (await unreachable(String(flags.brokers ?? DEFAULT_BROKERS))) ?? err;
}

// biome-ignore lint/suspicious/noExplicitAny: commander passes the parsed options untyped
export function action<F extends (...args: any[]) => Promise<number | undefined>>(fn: F) {
  return async (...args: unknown[]): Promise<void> => {
    // Commander calls (…arguments, options, command); options are second to last.
    const cmd = args[args.length - 1] as import('commander').Command;
    const flags = cmd.opts();
    try {
      const positional = args.slice(0, -2);
      const code = await (fn as (...a: unknown[]) => Promise<number | undefined>)(...positional, flags, cmd);
      process.exitCode = code ?? 0;
    } catch (err) {
      process.exitCode = reportError(await explain(err, flags));
    }
  };
}
