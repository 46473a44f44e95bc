// The on-disk layout of a JSONL store, and how a file is published exactly once.
//
//   <dir>/<topic>/<partition>/<from>-<last>.jsonl          append mode: the published files
//   <dir>/<table>/<topic>/<partition>/<from>-<last>.jsonl  map mode: a file per table with rows in the range
//   <dir>/.sluice/layout.json                              {"version":1,"mode":…}: one mode per directory
//   <dir>/.sluice/tmp/<host>+<pid>+<random>/               an open store's temp files and claims in the making
//   <dir>/.sluice/claims/<topic>/<partition>/<key>/        the positions log: one claim per published range
//
// <from> and <last> are 20-digit offsets: a file covers the positions from..last, and its records'
// offsets lie in that range (offsets with no line are compacted away, skipped, or control records).
//
// Claims. A partition's stored position is the `next` of its newest claim. A claim is a directory
// named after the position its range continues from (`<key>`: 20 digits, or `start` for a
// partition's first range), holding an empty marker `<from>-<next>.range` that stays forever and,
// until the range's files are in place, a hard link `<group>.jsonl` to each of its data files.
// Publishing a range [from, next) that continues from position `key`:
//   1. fsync the data files (temp files in the store's own tmp directory);
//   2. in the tmp directory, make a claim directory: hard links to the data files, the range marker;
//      fsync it;
//   3. rename it to claims/<topic>/<partition>/<key>: THE commit point. rename(2) onto an existing
//      non-empty directory fails (ENOTEMPTY/EEXIST), so exactly one range is ever published from a
//      position: a compare-and-set of the position from `key` to `next`. The loser is fenced;
//   4. fsync the claims directory (the commit is durable); link each data file into place
//      (<dir>/…/<from>-<last>.jsonl), fsync those directories;
//   5. unlink the claim's data links: the claim keeps only its marker, so a user may move or delete
//      published files without the store bringing them back, and without keeping their disk space.
// A crash after 3 leaves a claim that still holds data links; whoever next reads the position
// (every writer does before it continues: positions() at assignment, write() when a new file
// begins) finishes steps 4-5 first. Only the newest claim can be unfinished: reading the position
// finishes it, and nobody can claim past a position without reading it.
//
// Why the claim is named after the position it continues from and not after the file: two writers
// that both read position 100 (a rebalance raced, or one is a zombie) might hold 100..499 and
// 100..249. Named by their ranges, both `…100-…499` and `…100-…249` would be linked, and 100..249
// stored twice. Named by the position they continue from, both rename to claims/…/100; one fails.
// A claim past the end cannot succeed either: a writer continues only from a position it read (the
// end of the chain when it read it) or from its own previous claim's `next`, and the end of the
// chain moves only by a claim at that end.
//
// What breaks it: deleting or editing .sluice/claims (positions go back and records are stored
// again; a range whose file name is already taken is refused, SINK_CORRUPT, but ranges cut
// differently are not); a file system whose rename(2) replaces a non-empty directory (POSIX forbids
// it). What does not: two hosts, or two containers, sharing the directory with one host name make a
// live writer's temp files look dead (removeDeadTemps in jsonl-files.ts): that writer fails its next
// publish and is restarted, nothing is stored twice.
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { SinkError } from './errors.js';
import { type Dirs, errno, fsyncDir, pad20, unlessMissing } from './jsonl-files.js';

/** The positions a published file covers: from..next-1. */
export interface Range {
  from: number;
  next: number;
}

/** Data files of a range: per group (a table in map mode, `_` in append mode), the temp file. */
export interface Source {
  group: string;
  path: string;
}

/** The group of append mode's single file per range. */
export const APPEND_GROUP = '_';
const START = 'start';
const KEY = /^\d{20}$/;
const MARKER = /^(\d{20})-(\d{20})\.range$/;
const DATA = '.jsonl';

export class Layout {
  readonly stateDir: string;
  readonly tmpRoot: string;
  readonly claimsRoot: string;

  constructor(
    readonly dir: string,
    readonly mode: 'append' | 'map',
    private readonly fsync: boolean,
    private readonly description: string,
    private readonly dirs: Dirs,
  ) {
    this.stateDir = path.join(dir, '.sluice');
    this.tmpRoot = path.join(this.stateDir, 'tmp');
    this.claimsRoot = path.join(this.stateDir, 'claims');
  }

  /** Where a group's published files of a partition go. */
  filesDir(group: string, topic: string, partition: number): string {
    return this.mode === 'append'
      ? path.join(this.dir, topic, String(partition))
      : path.join(this.dir, group, topic, String(partition));
  }

  /** A published file's name: the positions it covers (only ranges holding lines have files). */
  static fileName(range: Range): string {
    return `${pad20(range.from)}-${pad20(range.next - 1)}${DATA}`;
  }

  private claimsDir(topic: string, partition: number): string {
    return path.join(this.claimsRoot, topic, String(partition));
  }

  /**
   * Steps 2-3: commits the range continuing from `key` (undefined: the partition's first). Returns
   * the claim's path, or undefined when another writer claimed `key` first (fenced). The caller
   * fsynced the sources; they may be removed once this returns. Committed once this returns a path
   * (durably once `finish` has begun): whatever fails after, the range is stored.
   */
  async claim(
    topic: string,
    partition: number,
    key: number | undefined,
    range: Range,
    sources: readonly Source[],
    prep: string,
  ): Promise<string | undefined> {
    const dir = this.claimsDir(topic, partition);
    await this.dirs.ensure(dir);
    const target = path.join(dir, key === undefined ? START : pad20(key));
    await mkdir(prep);
    try {
      for (const s of sources) await link(s.path, path.join(prep, s.group + DATA));
      await (await open(path.join(prep, `${pad20(range.from)}-${pad20(range.next)}.range`), 'wx')).close();
      if (this.fsync) await fsyncDir(prep);
      try {
        await rename(prep, target);
      } catch (err) {
        // ENOTEMPTY or EEXIST on POSIX; Windows says EPERM. Whatever the words: the name is taken.
        if (await isDir(target)) return undefined;
        throw err;
      }
    } finally {
      // Gone after a rename; otherwise (fenced, failed) the attempt's leftovers.
      await rm(prep, { recursive: true, force: true }).catch(() => {});
    }
    return target;
  }

  /**
   * Makes the claim durable, then steps 4-5; by the publisher, or by whoever finds the claim
   * unfinished. Idempotent, concurrently too.
   */
  async finish(
    topic: string,
    partition: number,
    claim: string,
    range: Range,
    groups: readonly string[],
  ): Promise<void> {
    if (this.fsync) await fsyncDir(path.dirname(claim));
    const name = Layout.fileName(range);
    for (const group of groups) {
      const src = path.join(claim, group + DATA);
      const dir = this.filesDir(group, topic, partition);
      await this.dirs.ensure(dir);
      const dst = path.join(dir, name);
      for (let attempt = 0; ; attempt++) {
        try {
          await link(src, dst);
          break;
        } catch (err) {
          const code = errno(err);
          // Linked already (by an earlier attempt, or another process finishing the same claim) —
          // unless the name holds another file: positions went back (.sluice deleted), and
          // this range would silently not be stored.
          if (code === 'EEXIST') {
            if (await sameFile(src, dst)) break;
            throw new SinkError(
              this.description,
              `${dst} exists and is not the file of the range being published: was ${this.stateDir} deleted?`,
              { code: 'SINK_CORRUPT' },
            );
          }
          // The source is gone: another process finished, and it unlinks a source only once linked.
          if (code === 'ENOENT' && !(await exists(src))) break;
          // The folder is gone (a user cleaned up): make it again, once.
          if (code === 'ENOENT' && attempt === 0) {
            this.dirs.forget(dir);
            await this.dirs.ensure(dir);
            continue;
          }
          throw err;
        }
      }
      if (this.fsync) await fsyncDir(dir);
    }
    if (groups.length === 0) return;
    for (const group of groups) await unlessMissing(() => unlink(path.join(claim, group + DATA)), undefined);
    if (this.fsync) await fsyncDir(claim);
  }

  /**
   * The stored position of a partition (the `next` of its newest claim), undefined if it has none.
   * Finishes the newest claim if its publisher died half-way.
   */
  async position(topic: string, partition: number): Promise<number | undefined> {
    const dir = this.claimsDir(topic, partition);
    let newest: string | undefined;
    for (const name of await unlessMissing(() => readdir(dir), [] as string[])) {
      if (name === START) newest ??= name;
      else if (KEY.test(name) && (newest === undefined || newest === START || name > newest)) newest = name;
    }
    if (newest === undefined) return undefined;
    const claim = path.join(dir, newest);
    let range: Range | undefined;
    const groups: string[] = [];
    for (const name of await readdir(claim)) {
      const m = MARKER.exec(name);
      if (m) range = { from: Number(m[1]), next: Number(m[2]) };
      else if (name.endsWith(DATA)) groups.push(name.slice(0, -DATA.length));
    }
    if (range === undefined) {
      throw new SinkError(this.description, `the claim ${claim} has no range marker: was .sluice edited by hand?`, {
        code: 'SINK_CORRUPT',
      });
    }
    if (groups.length > 0) await this.finish(topic, partition, claim, range, groups);
    return range.next;
  }

  /** Records the directory's mode on first use; refuses a store of another mode on it. */
  async checkMode(work: string): Promise<void> {
    const file = path.join(this.stateDir, 'layout.json');
    for (let attempt = 0; attempt < 3; attempt++) {
      const text = await unlessMissing(() => readFile(file, 'utf8'), undefined);
      if (text === undefined) {
        // Written whole, then linked: a reader never sees half a file, and two first stores agree.
        const tmp = path.join(work, 'layout.json');
        await writeFile(tmp, `${JSON.stringify({ version: 1, mode: this.mode })}\n`, { flush: this.fsync });
        try {
          await link(tmp, file);
        } catch (err) {
          if (errno(err) === 'EEXIST') continue;
          throw err;
        } finally {
          await unlink(tmp).catch(() => {});
        }
        if (this.fsync) await fsyncDir(this.stateDir);
        return;
      }
      let mode: unknown;
      try {
        mode = (JSON.parse(text) as { mode?: unknown }).mode;
      } catch {}
      if (mode === this.mode) return;
      throw new ConfigError(
        'mode',
        `${this.dir} holds a JSONL store in ${String(mode)} mode (${file}); a directory keeps one mode`,
      );
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return unlessMissing(async () => {
    await stat(p);
    return true;
  }, false);
}

/** True if both names are one file, or `src` is gone (its claim was finished, hence linked). */
async function sameFile(src: string, dst: string): Promise<boolean> {
  const a = await unlessMissing(() => stat(src), undefined);
  if (!a) return true;
  const b = await stat(dst);
  return a.ino === b.ino && a.dev === b.dev;
}

async function isDir(p: string): Promise<boolean> {
  return unlessMissing(async () => (await stat(p)).isDirectory(), false);
}
