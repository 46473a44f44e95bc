// JsonlStore: records as JSON lines in files, exactly once across crashes and rebalances, with no
// database and no offsets file. As Kafka Connect's S3 sink does it, the offsets are in the names:
// each partition's records go to a temp file that is published, when it rotates, under a name made
// of the positions it covers. The stored position of a partition is where its last published range
// ends; publishing is a compare-and-set of that position (jsonl-claims.ts has the layout, the
// protocol, and why two writers can never both publish from the same position).
//
// What counts as stored: published files only (and a partition's starting position, stored by its
// first write). A partition's temp file belongs to the process writing it; its records are not
// stored until published, so a crash loses them from the files and the restarted sink, reading
// positions from published files, consumes them again: no duplicate, no gap. This is why the runner
// must flush() partitions it gives up (on revoke, and on close): the next owner starts from what
// was published.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type TopicPartition, tpKey } from '../consumer/topic-partition.js';
import type { SluiceError } from '../errors.js';
import { SinkError, SinkFencedError } from './errors.js';
import { APPEND_GROUP, Layout, type Range } from './jsonl-claims.js';
import { Dirs, fsError, removeDeadTemps, workDirName } from './jsonl-files.js';
import { appendLine, rowLine } from './jsonl-lines.js';
import {
  checkJsonlOptions,
  checkPartition,
  checkTable,
  checkWrite,
  type JsonlStoreOptions,
  type Rotation,
} from './jsonl-options.js';
import { TempRange } from './jsonl-temp.js';
import type { PartitionWrite, SinkRecord, SinkStore } from './types.js';

export type { JsonlStoreOptions } from './jsonl-options.js';

interface Partition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly topicJson: string;
  temp: TempRange | undefined;
  /**
   * The stored position as this store last saw it (read, or published itself), so that a write
   * after a rotation need not list the claims again. Only a shortcut: publishing checks atomically.
   */
  known: { at: number | undefined } | undefined;
  /** A timed publish that failed (fenced, disk full): thrown by the partition's next write or flush. */
  error: SluiceError | undefined;
}

export class JsonlStore implements SinkStore {
  readonly description: string;
  readonly mode: 'append' | 'map';
  private readonly rotate: Rotation;
  private readonly fsync: boolean;
  private readonly dirs: Dirs;
  private readonly layout: Layout;
  private readonly parts = new Map<string, Partition>();
  /** Per partition, the end of its queue of operations: writes, timed publishes, flushes run one at a time. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly tables = new Set<string>();
  private opening: Promise<void> | undefined;
  /** This store's own directory under .sluice/tmp, while open. */
  private work: string | undefined;
  private seq = 0;

  constructor(options: JsonlStoreOptions) {
    const o = checkJsonlOptions(options);
    this.mode = o.mode;
    this.rotate = o.rotate;
    this.fsync = o.fsync;
    this.description = `jsonl:${o.dir}`;
    this.dirs = new Dirs(this.fsync);
    this.layout = new Layout(o.dir, this.mode, this.fsync, this.description, this.dirs);
  }

  open(): Promise<void> {
    this.opening ??= this.openDir().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async openDir(): Promise<void> {
    const l = this.layout;
    const work = path.join(l.tmpRoot, workDirName());
    try {
      await this.dirs.ensure(l.tmpRoot);
      await this.dirs.ensure(l.claimsRoot);
      await mkdir(work);
      await l.checkMode(work);
      await removeDeadTemps(l.tmpRoot);
    } catch (err) {
      await rm(work, { recursive: true, force: true }).catch(() => {});
      throw fsError(this.description, `cannot open ${l.dir}`, err);
    }
    this.work = work;
  }

  /**
   * Where each partition's published files end. Records in temp files (this store's or another
   * process's) are not stored yet and do not count. A directory keeps one group's positions:
   * `groupId` is not part of the layout.
   */
  async positions(_groupId: string, partitions: readonly TopicPartition[]): Promise<Map<string, number>> {
    this.opened();
    const out = new Map<string, number>();
    for (const { topic, partition } of partitions) {
      const p = this.partition(topic, partition);
      const at = await this.locked([p.key], () =>
        this.guard(`cannot read the position of ${topic}-${partition}`, () => this.layout.position(topic, partition)),
      );
      p.known = { at };
      if (at !== undefined) out.set(p.key, at);
    }
    return out;
  }

  /**
   * Appends each part's records to its partition's temp file, publishing files that reach a rotation
   * limit on the way. Fencing: a part must continue from the end of this store's own temp file, or,
   * without one, from the stored (published) position as this store last read or published it.
   * Publishing checks again, atomically: a temp file continuing from a position someone else
   * published from since is discarded (SinkFencedError, from that write or from the next).
   */
  async write(_groupId: string, parts: readonly PartitionWrite[]): Promise<void> {
    this.opened();
    const ps = parts.map((part) => {
      checkWrite(this.description, part);
      return this.partition(part.topic, part.partition);
    });
    const keys = ps.map((p) => p.key);
    if (new Set(keys).size !== keys.length)
      throw new SinkError(this.description, 'two parts of one write name the same partition', {
        code: 'SINK_INVALID_WRITE',
      });
    await this.locked(keys, async () => {
      // Every part's fencing first, so a fenced write leaves all of them as they were.
      for (let i = 0; i < parts.length; i++) await this.admit(ps[i]!, parts[i]!);
      for (let i = 0; i < parts.length; i++) await this.append(ps[i]!, parts[i]!);
    });
  }

  private async admit(p: Partition, part: PartitionWrite): Promise<void> {
    if (p.error) {
      const err = p.error;
      p.error = undefined;
      throw err;
    }
    if (p.temp && p.temp.next === part.expected) return;
    // The writer went back (it read the stored position again): what the temp file holds was never
    // stored, and will come again.
    if (p.temp) await this.discard(p);
    if (p.known && p.known.at === part.expected) return;
    const stored = await this.guard(`cannot read the position of ${p.topic}-${p.partition}`, () =>
      this.layout.position(p.topic, p.partition),
    );
    p.known = { at: stored };
    if (stored !== part.expected) {
      throw new SinkFencedError(this.description, p.topic, p.partition, part.expected, stored);
    }
  }

  private async append(p: Partition, part: PartitionWrite): Promise<void> {
    const recs = part.records;
    if (!p.temp && recs.length === 0 && part.next === part.expected) return;
    const before = p.temp;
    let key = part.expected;
    let from = key ?? recs[0]?.record.offset ?? part.next;
    let i = 0;
    try {
      for (;;) {
        p.temp ??= this.begin(p, key, from);
        const t = p.temp;
        i = await this.fill(p, t, recs, i);
        if (i === recs.length) {
          t.next = part.next;
          if (t.records >= this.rotate.records || t.bytes >= this.rotate.bytes) await this.publish(p);
          else if (t.key === undefined) await this.claimStart(p, t);
          return;
        }
        // Full before the batch ends: the file covers the positions up to the next record's.
        t.next = recs[i]!.record.offset;
        await this.publish(p);
        key = from = t.next;
      }
    } catch (err) {
      // A temp file begun by this write holds only what this failed write gave it (a record that
      // cannot be encoded stops the write before anything of it is written to an older temp file).
      if (p.temp !== before) await this.discard(p);
      throw err;
    }
  }

  /**
   * A partition's first write stores where it starts, at once (an empty range), so the write never
   * returns with no stored position: the runner commits offsets to Kafka once a write returns, and
   * a sink restarted after a crash that found no position would start from that commit, past
   * records never published.
   */
  private async claimStart(p: Partition, t: TempRange): Promise<void> {
    const range: Range = { from: t.from, next: t.from };
    const claim = await this.guard(`cannot store where ${p.topic}-${p.partition} starts`, async () => {
      const prep = path.join(this.work!, `claim-${++this.seq}`);
      const c = await this.layout.claim(p.topic, p.partition, undefined, range, [], prep);
      if (c !== undefined) await this.layout.finish(p.topic, p.partition, c, range, []);
      return c;
    });
    if (claim === undefined) {
      const found = await this.layout.position(p.topic, p.partition).catch(() => undefined);
      throw new SinkFencedError(this.description, p.topic, p.partition, undefined, found);
    }
    t.key = t.from;
  }

  private begin(p: Partition, key: number | undefined, from: number): TempRange {
    const t = new TempRange(key, from, (group) => path.join(this.work!, `${++this.seq}-${group}.jsonl`));
    t.timer = setTimeout(() => this.publishOnTime(p, t), this.rotate.ms);
    t.timer.unref();
    return t;
  }

  /**
   * Writes records from `i` on to the temp file while it has room (a record larger than `bytes`
   * alone still gets a file). One write call per file per batch: lines are joined into one string.
   * Returns the index of the first record not written.
   */
  private async fill(p: Partition, t: TempRange, recs: readonly SinkRecord[], i: number): Promise<number> {
    const end = Math.min(recs.length, i + this.rotate.records - t.records);
    const room = this.rotate.bytes - t.bytes;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count bytes exactly only once the limit is near.
    let exact = -1;
    let chars = 0;
    const fits = (line: string, chunk: () => string, j: number): boolean => {
      if (exact < 0 && 3 * (chars + line.length) > room) exact = Buffer.byteLength(chunk());
      if (exact >= 0) {
        const n = Buffer.byteLength(line);
        if (exact + n > room && (j > i || t.records > 0)) return false;
        exact += n;
      }
      chars += line.length;
      return true;
    };
    let j = i;
    if (this.mode === 'append') {
      let s = '';
      for (; j < end; j++) {
        const line = appendLine(recs[j]!, p.topicJson);
        if (!fits(line, () => s, j)) break;
        s += line;
      }
      if (s.length > 0) await this.put(p, t, APPEND_GROUP, s);
    } else {
      const chunks = new Map<string, string>();
      for (; j < end; j++) {
        const sr = recs[j]!;
        const lines = (sr.rows ?? []).map((r) => [this.table(r.table), rowLine(r.row, sr)] as const);
        if (!fits(lines.map((l) => l[1]).join(''), () => [...chunks.values()].join(''), j)) break;
        for (const [table, line] of lines) chunks.set(table, (chunks.get(table) ?? '') + line);
      }
      for (const [table, s] of chunks) await this.put(p, t, table, s);
    }
    t.records += j - i;
    return j;
  }

  /** Appends to a temp file; a failure discards the partition's temp files: none of it is stored. */
  private async put(p: Partition, t: TempRange, group: string, s: string): Promise<void> {
    try {
      await t.append(group, s);
    } catch (err) {
      await this.discard(p);
      throw fsError(this.description, `cannot write ${p.topic}-${p.partition} offsets ${t.from}..${t.next - 1}`, err);
    }
  }

  /** Makes the temp file durable and publishes it (see jsonl-claims.ts); the partition has no temp file after. */
  private async publish(p: Partition): Promise<void> {
    const t = p.temp!;
    p.temp = undefined;
    p.known = undefined;
    const range: Range = { from: t.from, next: t.next };
    const what = `${p.topic}-${p.partition} offsets ${t.from}..${t.next - 1}`;
    let claim: string | undefined;
    try {
      if (t.key !== undefined && t.next === t.key) return; // nothing to store: no lines, the position unmoved
      const sources = await t.sync(this.fsync);
      const prep = path.join(this.work!, `claim-${++this.seq}`);
      claim = await this.layout.claim(p.topic, p.partition, t.key, range, sources, prep);
    } catch (err) {
      throw fsError(this.description, `cannot publish ${what}`, err);
    } finally {
      // Published or not, the temp files go: a claim holds its own links to the data.
      await t.drop();
    }
    if (claim === undefined) {
      const found = await this.layout.position(p.topic, p.partition).catch(() => undefined);
      throw new SinkFencedError(this.description, p.topic, p.partition, t.key, found);
    }
    // Stored from here on. Should linking the files into place fail, the next reader of the
    // position (this store's next write included) finishes it.
    await this.guard(`published ${what} but cannot link its files into place`, () =>
      this.layout.finish(p.topic, p.partition, claim, range, t.groups),
    );
    p.known = { at: t.next };
  }

  private publishOnTime(p: Partition, t: TempRange): void {
    void this.locked([p.key], async () => {
      if (p.temp !== t) return;
      try {
        await this.publish(p);
      } catch (err) {
        p.error = fsError(this.description, `cannot publish ${p.topic}-${p.partition}`, err);
      }
    });
  }

  private async discard(p: Partition): Promise<void> {
    const t = p.temp;
    p.temp = undefined;
    await t?.drop();
  }

  /** Publishes these partitions' temp files. Throws the first failure (a SinkFencedError: another member published from there first). */
  async flush(_groupId: string, partitions: readonly TopicPartition[]): Promise<void> {
    this.opened();
    const keys = [...new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)))];
    await this.locked(keys, async () => {
      let failure: unknown;
      for (const key of keys) {
        const p = this.parts.get(key);
        if (!p) continue;
        if (p.error) {
          failure ??= p.error;
          p.error = undefined;
        }
        if (p.temp) await this.publish(p).catch((err: unknown) => void (failure ??= err));
      }
      if (failure !== undefined) throw failure;
    });
  }

  /**
   * Publishes every temp file, then releases files and timers. A fenced partition is not an error
   * here: another member stored its records. Other failures (a full disk) are thrown, after cleanup.
   */
  async close(): Promise<void> {
    if (!this.opening) return;
    await this.opening.catch(() => {});
    if (!this.work) return;
    const keys = [...this.parts.keys()];
    let failure: unknown;
    await this.locked(keys, async () => {
      for (const p of this.parts.values()) {
        const errs = [p.error];
        p.error = undefined;
        if (p.temp) await this.publish(p).catch((err: unknown) => errs.push(err as SluiceError));
        for (const err of errs) if (err !== undefined && !(err instanceof SinkFencedError)) failure ??= err;
      }
    });
    await rm(this.work, { recursive: true, force: true }).catch(() => {});
    this.work = undefined;
    this.opening = undefined;
    this.parts.clear();
    if (failure !== undefined) throw failure;
  }

  private opened(): void {
    if (!this.work) {
      throw new SinkError(this.description, 'the store is not open (call open() first)', { code: 'SINK_NOT_OPEN' });
    }
  }

  private partition(topic: string, partition: number): Partition {
    const key = tpKey(topic, partition);
    let p = this.parts.get(key);
    if (!p) {
      checkPartition(this.description, topic, partition);
      p = {
        topic,
        partition,
        key,
        topicJson: JSON.stringify(topic),
        temp: undefined,
        known: undefined,
        error: undefined,
      };
      this.parts.set(key, p);
    }
    return p;
  }

  private table(name: string): string {
    if (!this.tables.has(name)) this.tables.add(checkTable(name));
    return name;
  }

  /** Runs `fn` after every queued operation on these partitions, and before any queued after it. */
  private async locked<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const before = keys.map((k) => this.queues.get(k));
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    for (const k of keys) this.queues.set(k, done);
    try {
      await Promise.all(before);
      return await fn();
    } finally {
      release();
      for (const k of keys) if (this.queues.get(k) === done) this.queues.delete(k);
    }
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fsError(this.description, what, err);
    }
  }
}
