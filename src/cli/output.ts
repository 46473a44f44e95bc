// Writing records to stdout. Records are gathered and written 64 KiB at a time (one write call per
// record costs a system call each: 200k records took 3x kcat's time), flushed at least once per
// event-loop turn so a slow topic still shows each record at once. Back-pressure: when stdout's
// buffer is full, the caller waits for it to drain, so a slow reader does not make us buffer the
// topic. When the reader goes away (EPIPE: `sluice consume … | head -1`), writes stop and
// `stdoutClosed()` tells the command to finish, as `cat` would.
const FLUSH_BYTES = 64 * 1024;

let broken = false;
let pending: Buffer[] = [];
let pendingBytes = 0;
let scheduled = false;
const waiters = new Set<() => void>();
const closedListeners: Array<() => void> = [];

/** Calls `fn` once the reader of stdout has gone away (possibly while nothing is being written). */
export function whenStdoutClosed(fn: () => void): void {
  if (broken) fn();
  else closedListeners.push(fn);
}

export function stdoutClosed(): boolean {
  return broken;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  broken = true;
  pending = [];
  pendingBytes = 0;
  for (const w of waiters) w();
  waiters.clear();
  for (const fn of closedListeners.splice(0)) fn();
});

function drained(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      waiters.delete(done);
      process.stdout.off('drain', done);
      resolve();
    };
    waiters.add(done);
    process.stdout.once('drain', done);
  });
}

/** Writes what was gathered; resolves once stdout can take more (at once, if it can). */
export function flushOut(): Promise<void> | undefined {
  if (broken || pendingBytes === 0) return undefined;
  const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
  pending = [];
  pendingBytes = 0;
  if (process.stdout.write(chunk)) return undefined;
  return broken ? undefined : drained();
}

export function writeOut(chunk: Buffer): Promise<void> | undefined {
  if (broken) return undefined;
  pending.push(chunk);
  pendingBytes += chunk.length;
  if (pendingBytes >= FLUSH_BYTES) return flushOut();
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void flushOut();
    });
  }
  return undefined;
}
