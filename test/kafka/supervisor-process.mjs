// The watchdog between a test process (the "owner") and the JVMs it starts. Plain JS so it starts in
// milliseconds without a TypeScript loader.
//
// Why a separate process: if the owner is SIGKILLed (a test runner timeout, `kill -9` in a crash test,
// CI cancelling a job), nothing in the owner runs, so the JVMs and their temp dirs would be left behind.
// This process reads commands on stdin; when stdin reaches EOF the owner is gone, so it SIGKILLs every
// child, waits for them to exit, removes its temp dir and exits. The owner spawns it `detached` (its own
// session and process group), so a Ctrl-C or `kill -- -pgid` aimed at the owner's group does not kill it
// before it has cleaned up.
//
// Usage: node supervisor-process.mjs [tempDirPrefix]
// stdin  (JSON lines): {op:'spawn', id, cmd, args, cwd?, env?, log, stderr?} (stderr defaults to log) | {op:'signal', id, signal} | {op:'shutdown'}
// stdout (JSON lines): {ev:'ready', dir, pid} | {ev:'spawned', id, pid} | {ev:'exit', id, code, signal, error?}
//                      | {ev:'closed'}
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const prefix = process.argv[2];
const dir = prefix ? mkdtempSync(prefix) : undefined;
/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map();
let shuttingDown = false;

// The owner may be gone; writing to a closed pipe must not crash us before cleanup.
process.stdout.on('error', () => {});
function send(event) {
  if (process.stdout.writable) process.stdout.write(`${JSON.stringify(event)}\n`);
}

function startChild(msg) {
  if (shuttingDown) {
    send({ ev: 'exit', id: msg.id, code: null, signal: null, error: 'supervisor is shutting down' });
    return;
  }
  const fds = [];
  try {
    fds.push(openSync(msg.log, 'a'));
    fds.push(msg.stderr ? openSync(msg.stderr, 'a') : fds[0]);
  } catch (err) {
    send({ ev: 'exit', id: msg.id, code: null, signal: null, error: String(err) });
    return;
  }
  const child = spawn(msg.cmd, msg.args, {
    cwd: msg.cwd,
    env: msg.env ?? process.env,
    stdio: ['ignore', fds[0], fds[1]],
  });
  for (const fd of new Set(fds)) closeSync(fd);
  children.set(msg.id, child);
  child.on('spawn', () => send({ ev: 'spawned', id: msg.id, pid: child.pid }));
  child.on('error', (err) => {
    // Spawn failures (ENOENT) emit 'error' without 'exit'.
    if (children.get(msg.id) === child) children.delete(msg.id);
    send({ ev: 'exit', id: msg.id, code: null, signal: null, error: `${err.code ?? ''} ${err.message}`.trim() });
  });
  child.on('exit', (code, signal) => {
    if (children.get(msg.id) === child) children.delete(msg.id);
    send({ ev: 'exit', id: msg.id, code, signal });
  });
}

async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  const exits = [...children.values()].map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGKILL');
      }),
  );
  // SIGKILL is not ignorable; the bound only guards against a child stuck in uninterruptible I/O.
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 10_000))]);
  // Files are closed once the JVMs are dead, so this removal cannot race a writer.
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  send({ ev: 'closed' });
  process.exit(0);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void shutdown());

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  if (msg.op === 'spawn') startChild(msg);
  else if (msg.op === 'signal') children.get(msg.id)?.kill(msg.signal);
  else if (msg.op === 'shutdown') void shutdown();
});
// EOF: the owner closed the pipe or died.
lines.on('close', () => void shutdown());

send({ ev: 'ready', dir, pid: process.pid });
