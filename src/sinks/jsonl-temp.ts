// A partition's unpublished range in the JSONL store: its temp files (one per group: `_` in append
// mode, a table in map mode), the positions they cover, and writes that run behind the caller.
import { type FileHandle, open, unlink } from 'node:fs/promises';
import type { Source } from './jsonl-claims.js';

interface TempFile {
  path: string;
  handle: FileHandle;
  /** Bytes handed to the file (written, or being written). */
  bytes: number;
  /** The write in flight. Never rejects: its failure is kept in `failed`. */
  pending: Promise<void> | undefined;
  failed: unknown;
}

export class TempRange {
  /** The position after what it holds: where the next write must continue from. */
  next: number;
  records = 0;
  bytes = 0;
  timer: NodeJS.Timeout | undefined;
  private readonly files = new Map<string, TempFile>();

  constructor(
    /** The stored position it continues from: its claim's key; undefined until a partition's start is stored. */
    public key: number | undefined,
    readonly from: number,
    /** A fresh path in the store's own tmp directory, for a group's file. */
    private readonly newPath: (group: string) => string,
  ) {
    this.next = from;
  }

  get groups(): string[] {
    return [...this.files.keys()];
  }

  /**
   * Appends `s` to the group's file. The write runs behind: this returns once it is started, so
   * the caller encodes the next batch while the kernel copies this one. Its failure (a full disk)
   * is thrown by the next append or by `sync`. Nothing is lost by this: what a temp file holds is
   * not stored until it is published, and publishing syncs first.
   */
  async append(group: string, s: string): Promise<void> {
    let f = this.files.get(group);
    if (!f) {
      const file = this.newPath(group);
      f = { path: file, handle: await open(file, 'wx'), bytes: 0, pending: undefined, failed: undefined };
      this.files.set(group, f);
    }
    await settled(f);
    const buf = Buffer.from(s, 'utf8');
    const file = f;
    const at = f.bytes;
    f.bytes += buf.length;
    this.bytes += buf.length;
    f.pending = writeAll(f.handle, buf, at).catch((err: unknown) => {
      file.failed = err;
    });
  }

  /** Waits for every write (throwing a failed one's error), then fsyncs if asked. The files to publish. */
  async sync(fsync: boolean): Promise<Source[]> {
    for (const f of this.files.values()) await settled(f);
    if (fsync) for (const f of this.files.values()) await f.handle.datasync();
    return [...this.files].map(([group, f]) => ({ group, path: f.path }));
  }

  /** Closes and removes the temp files (a published range's claim holds its own links to them). */
  async drop(): Promise<void> {
    clearTimeout(this.timer);
    for (const f of this.files.values()) {
      await f.pending;
      await f.handle.close().catch(() => {});
      await unlink(f.path).catch(() => {});
    }
  }
}

async function settled(f: TempFile): Promise<void> {
  await f.pending;
  f.pending = undefined;
  if (f.failed !== undefined) throw f.failed;
}

/** Positional writes, looped: a short write (the disk filling up) is followed by its error. */
async function writeAll(handle: FileHandle, buf: Buffer, at: number): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await handle.write(buf, off, buf.length - off, at + off);
    if (bytesWritten <= 0) throw Object.assign(new Error('a write made no progress'), { code: 'EIO' });
    off += bytesWritten;
  }
}
