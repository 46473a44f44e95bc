// File-system primitives of the JSONL store (jsonl.ts): durable directories, fsync of a directory,
// and the rule that turns a failed file-system call into a SinkError a user can act on.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import { SinkError } from './errors.js';

/** What a failed call means, in words (the errno stays in the message and is the error's `code`). */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device (the disk is full)',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'a directory is in the way',
  EIO: 'input/output error',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files in the system',
  EXDEV: 'the store directory spans several file systems',
  EFBIG: 'the file is too large',
};

/** Conditions that may clear up by themselves; everything else needs a person (free space, fix rights). */
const RETRIABLE = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR']);

/**
 * A failed file-system call as a SinkError whose `code` is the errno name (ENOSPC, EROFS, EACCES, …).
 * Sluice's own errors pass through unchanged.
 */
export function fsError(store: string, what: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'EIO';
  const reason = REASONS[code] ?? (e instanceof Error ? e.message : String(err));
  const where = typeof e?.path === 'string' ? ` (${e.path})` : '';
  return new SinkError(store, `${what}: ${reason} [${code}]${where}`, {
    code,
    retriable: RETRIABLE.has(code),
    cause: err,
  });
}

export function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Runs `fn`, treating a missing path as `fallback` (files another process already removed, …). */
export async function unlessMissing<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (errno(err) === 'ENOENT') return fallback;
    throw err;
  }
}

/**
 * Makes a directory's entries (files linked, renamed or removed in it) durable. Windows cannot open a
 * directory for this and needs no such step for NTFS metadata, so it is skipped there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Directories made so far (by this process), so the hot path does not `mkdir` again. A directory
 * created here is fsynced into its parent: a file published in it must not vanish with its folder
 * after a power loss.
 */
export class Dirs {
  private readonly made = new Set<string>();

  constructor(private readonly fsync: boolean) {}

  async ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first !== undefined && this.fsync) {
      // Each new level is an entry of its parent: fsync the parents, from dir's up to the first new one's.
      let d = dir;
      do {
        d = path.dirname(d);
        await fsyncDir(d);
      } while (d !== path.dirname(first) && d !== path.dirname(d));
    }
    this.made.add(dir);
  }

  /** After `rm` of a directory made here (a test, or a process cleaning up). */
  forget(dir: string): void {
    this.made.delete(dir);
  }
}

const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';

/** An open store's own temp directory: `<host>+<pid>+<random>`, so others can tell when it is dead. */
export function workDirName(): string {
  return `${HOST}+${process.pid}+${randomBytes(4).toString('hex')}`;
}

/**
 * Temp directories of processes that died (kill -9, power loss) hold only unpublished data: gone.
 * Another live process may write in the same directory (a second sink of the group), so a temp
 * directory goes only when its process is gone: same host name and no process with its pid. A pid
 * reused by an unrelated process keeps a dead directory until a later open; a directory shared
 * across machines keeps other hosts' directories (remove them by hand when those sinks are down),
 * and two containers sharing a volume need distinct host names.
 */
export async function removeDeadTemps(tmpRoot: string): Promise<void> {
  for (const name of await readdir(tmpRoot)) {
    const m = /^(.+)\+(\d+)\+[0-9a-f]+$/.exec(name);
    if (!m || m[1] !== HOST) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await rm(path.join(tmpRoot, name), { recursive: true, force: true }).catch(() => {});
  }
}

/** True unless no process has this id (EPERM: it exists, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) === 'EPERM';
  }
}

/** Offsets in names: 20 digits (the width of int64), so names sort like the numbers. */
export function pad20(n: number): string {
  return String(n).padStart(20, '0');
}
