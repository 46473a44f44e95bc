// Telling "no broker reachable" from other timeouts: when a call times out (or a connection
// fails), try a plain TCP connection to each bootstrap address; if none accepts, the failure is the
// connection, and the message says which addresses and why.
import { connect } from 'node:net';
import { ExitCode } from './exit-codes.js';
import { CliError } from './fail.js';

function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (why: string | undefined) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once('connect', () => done(undefined));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** A CONNECTION CliError when no bootstrap broker accepts a TCP connection; otherwise undefined. */
export async function unreachable(brokers: string, timeoutMs = 2000): Promise<CliError | undefined> {
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const results = await Promise.all(
    list.map(async (b) => {
      const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(b);
      if (!m) return `${b}: malformed`;
      const why = await tryConnect((m[1] ?? m[2])!, Number(m[3]), timeoutMs);
      return why === undefined ? undefined : `${b} (${why})`;
    }),
  );
  if (results.some((r) => r === undefined)) return undefined;
  return new CliError(`no broker reachable: ${results.join(', ')}`, ExitCode.CONNECTION, 'CLI_UNREACHABLE');
}
