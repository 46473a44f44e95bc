// Writing to stdout with back-pressure: a consumer piped into a slow reader must not buffer the
// whole topic in memory. When the reader goes away (EPIPE: `sluice consume … | head -1`), writes
// stop and `stdoutClosed()` tells the command to finish, as `cat` would.
let broken = false;
const waiters = new Set<() => void>();

export function stdoutClosed(): boolean {
  return broken;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  broken = true;
  for (const w of waiters) w();
  waiters.clear();
});

export function writeOut(chunk: Buffer | string): Promise<void> | undefined {
  if (broken) return undefined;
  if (process.stdout.write(chunk)) return undefined;
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
