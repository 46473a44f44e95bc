// Writing to stdout with back-pressure: a consumer piped into `head` or a slow terminal must not
// buffer the whole topic in memory. EPIPE (the reader went away) ends the command quietly.
let broken = false;

export function stdoutClosed(): boolean {
  return broken;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') broken = true;
});

export function writeOut(chunk: Buffer | string): Promise<void> | undefined {
  if (broken) return undefined;
  if (process.stdout.write(chunk)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
