// Owner side of supervisor-process.mjs: starts the watchdog, asks it to spawn and signal processes,
// and tracks their exits. See supervisor-process.mjs for why the watchdog exists.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HarnessError } from './errors.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'supervisor-process.mjs');

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  error?: string;
}

export interface SpawnOptions {
  log: string;
  stderr?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

interface Proc {
  pid?: number;
  running: boolean;
  exit: Promise<ExitInfo>;
  resolveExit: (info: ExitInfo) => void;
  onSpawned?: (pid: number) => void;
}

interface Event {
  ev: 'ready' | 'spawned' | 'exit' | 'closed';
  id?: string;
  pid?: number;
  dir?: string;
  code?: number | null;
  signal?: string | null;
  error?: string;
}

export class Supervisor {
  private readonly procs = new Map<string, Proc>();
  private busy = 0;
  private closed?: Promise<void>;
  private readonly gone: Promise<void>;
  private exitListener?: (id: string, info: ExitInfo) => void;

  private constructor(
    private readonly child: ChildProcess,
    /** The temp dir the watchdog created and will remove, if one was asked for. */
    readonly dir: string | undefined,
    readonly pid: number,
    events: AsyncIterable<Event>,
  ) {
    this.gone = new Promise((resolve) =>
      child.once('exit', () => {
        // A watchdog that exits normally has killed its children first. One that was itself killed has
        // not: kill what it left, so nothing waits forever on an exit that will not be reported.
        for (const proc of this.procs.values()) {
          if (proc.running) {
            if (proc.pid) tryKill(proc.pid);
            proc.running = false;
            proc.resolveExit({ code: null, signal: 'SIGKILL', error: 'the harness watchdog exited' });
          }
        }
        resolve();
      }),
    );
    void this.pump(events);
    this.idle();
  }

  /** Starts a watchdog; with `tempDirPrefix` it creates (mkdtemp) and later removes that temp dir. */
  static async start(tempDirPrefix?: string): Promise<Supervisor> {
    const child = spawn(process.execPath, [script, ...(tempDirPrefix ? [tempDirPrefix] : [])], {
      detached: true, // own process group: a SIGINT to the owner's group must not kill it before cleanup
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const events = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await Promise.race([
      events.next(),
      new Promise<never>((_, reject) =>
        child.once('exit', (code) => reject(new HarnessError(`the harness watchdog exited early (code ${code})`))),
      ),
    ]);
    if (first.done) throw new HarnessError('the harness watchdog exited before it was ready');
    const ready = JSON.parse(String(first.value)) as Event;
    const parsed = (async function* () {
      for (;;) {
        const next = await events.next();
        if (next.done) return;
        try {
          yield JSON.parse(String(next.value)) as Event;
        } catch {
          // not ours; ignore
        }
      }
    })();
    return new Supervisor(child, ready.dir, ready.pid ?? child.pid!, parsed);
  }

  private async pump(events: AsyncIterable<Event>): Promise<void> {
    for await (const e of events) {
      if (!e.id) continue;
      const proc = this.procs.get(e.id);
      if (!proc) continue;
      if (e.ev === 'spawned' && e.pid !== undefined) {
        proc.pid = e.pid;
        proc.onSpawned?.(e.pid);
      } else if (e.ev === 'exit') {
        proc.running = false;
        const info: ExitInfo = {
          code: e.code ?? null,
          signal: e.signal ?? null,
          ...(e.error ? { error: e.error } : {}),
        };
        proc.resolveExit(info);
        this.exitListener?.(e.id, info);
      }
    }
  }

  /** Called for every exit of a supervised process (expected or not). */
  onExit(listener: (id: string, info: ExitInfo) => void): void {
    this.exitListener = listener;
  }

  /**
   * Keeps the owner's event loop alive only while an operation is in flight. Idle, the watchdog must not
   * keep a finished test process running: when that process exits, the watchdog sees EOF and cleans up.
   */
  async hold<T>(work: Promise<T>): Promise<T> {
    if (this.busy++ === 0) this.setRef(true);
    try {
      return await work;
    } finally {
      if (--this.busy === 0) this.idle();
    }
  }

  private idle(): void {
    this.setRef(false);
  }

  private setRef(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout] as Array<{ ref(): void; unref(): void } | null>;
    for (const h of handles) {
      if (on) h?.ref();
      else h?.unref();
    }
  }

  private send(msg: object): void {
    if (this.closed || !this.child.stdin?.writable) throw new HarnessError('the harness watchdog is closed');
    this.child.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /**
   * Spawns `cmd` under the watchdog with stdout (and stderr, unless `stderr` names another file) appended
   * to `log`; resolves with its pid.
   */
  spawn(id: string, cmd: string, args: string[], opts: SpawnOptions): Promise<number> {
    if (this.procs.get(id)?.running) throw new HarnessError(`process ${id} is already running`);
    let resolveExit!: (info: ExitInfo) => void;
    const exit = new Promise<ExitInfo>((r) => (resolveExit = r));
    const proc: Proc = { running: true, exit, resolveExit };
    this.procs.set(id, proc);
    const started = new Promise<number>((resolve, reject) => {
      proc.onSpawned = resolve;
      void exit.then((info) =>
        reject(new HarnessError(`could not start ${cmd}: ${info.error ?? `exit ${info.code}`}`)),
      );
    });
    this.send({ op: 'spawn', id, cmd, args, ...opts });
    return this.hold(started);
  }

  isRunning(id: string): boolean {
    return this.procs.get(id)?.running ?? false;
  }

  pidOf(id: string): number | undefined {
    const proc = this.procs.get(id);
    return proc?.running ? proc.pid : undefined;
  }

  /** Resolves when the current run of `id` exits (immediately if it is not running). */
  exited(id: string): Promise<ExitInfo> {
    const proc = this.procs.get(id);
    if (!proc) return Promise.resolve({ code: null, signal: null });
    return this.hold(proc.exit);
  }

  signal(id: string, signal: 'SIGTERM' | 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    if (this.isRunning(id)) this.send({ op: 'signal', id, signal });
  }

  /** Kills every child, removes the temp dir, stops the watchdog. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.hold(this.shutdown());
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    if (this.child.stdin?.writable) this.child.stdin.end(`${JSON.stringify({ op: 'shutdown' })}\n`);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref());
    if ((await Promise.race([this.gone, timer])) === 'timeout') {
      this.child.kill('SIGKILL'); // should not happen; its exit handler then kills what it left
      await this.gone;
    }
    // Normally already gone; not if the watchdog was killed before it could clean up.
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
