import { checkTimeout } from '../network/timeouts.js';
import type { ConsumerCore } from './core.js';
import type { EachMessage, HandlerContext } from './delivery.js';
import { HandlerError } from './errors.js';
import type { PartitionState } from './partition-state.js';
import type { ConsumerRecord } from './record.js';
import { currentChunk, type DecodedChunk, SLICE_RECORDS } from './slices.js';

/** How `run({ concurrency })` orders records: same key in sequence, one partition in sequence, or none. */
export type Ordering = 'key' | 'partition' | 'unordered';

/** What the parallel dispatcher needs of the sequential delivery it runs beside (slots, stop, metadata). */
export interface SlotHost {
  readonly stopping: boolean;
  readonly signal: AbortSignal;
  /** Calls the handler in the named worker function of slot `id` (so close() and groupMetadata() know the caller). */
  callInSlot(id: number, s: PartitionState, handler: EachMessage, record: ConsumerRecord, ctx: HandlerContext): unknown;
  /** Awaits a handler's promise in slot `id`'s named async function, then calls `done(arg, failure)`. */
  awaitInSlot(id: number, p: PromiseLike<unknown>, done: SlotDone, arg: unknown): void;
  /** Ends the slot's run. */
  leaveSlot(id: number): void;
  metadataOf(id: number): HandlerContext['groupMetadata'];
}

/** Called when an awaited handler settles. */
export type SlotDone = (arg: unknown, failed: { err: unknown } | undefined) => void;

/** A record whose handler runs (after its first await). */
interface Running {
  s: PartitionState;
  track: Track;
  record: ConsumerRecord;
  entry: Entry;
  key: string | undefined;
  slot: number;
  ctx: SlotContext;
}

/** A dispatched record, or the end of a chunk, in a partition's offset order. */
interface Entry {
  offset: number;
  epoch: number;
  done: boolean;
  /** Set on a chunk's end marker: released (and its end offset processed) when everything before it is done. */
  chunk?: DecodedChunk;
}

/** One partition's dispatch state since its last seek (a seek starts a new one). */
interface Track {
  version: number;
  entries: Entry[];
  head: number;
  /** Key → the records waiting behind the one of that key that runs now ('key' ordering). */
  keys: Map<string, Array<{ record: ConsumerRecord; entry: Entry }>>;
}

/** A record waiting for its `ctx.retryAfter` time. */
interface Waiting {
  s: PartitionState;
  track: Track;
  record: ConsumerRecord;
  entry: Entry;
  key: string | undefined;
}

/** The context a slot hands its handler, reused record after record. */
interface SlotContext extends HandlerContext {
  signal: AbortSignal;
  retryMs: number | undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Time a partition's dispatch gets before the next ready partition's turn. */
const TURN_MS = 100;

/**
 * Key-ordered (or unordered) parallel delivery, as Confluent's Parallel Consumer: up to `concurrency`
 * handlers run at once across all partitions; records with the same key (ordering 'key') never run
 * concurrently and finish in offset order; records of other keys of the same partition run side by
 * side. What counts as processed — and is committed — is per partition the highest **contiguous**
 * completed offset: a slow record holds the commit back, never the other records. Dispatched records
 * (running or waiting behind their key) are bounded, and their chunks stay counted in the buffer until
 * done, so memory stays bounded too. A revoke waits for the partition's in-flight records (they see
 * their signal aborted) before the partition is released; a record whose handler gave up after the
 * abort is not processed, and nothing past it is committed.
 */
export class ParallelDelivery {
  private inflight = 0;
  /** Dispatched and not done (running, waiting behind a key, or waiting to retry). */
  private pending = 0;
  private readonly maxPending: number;
  private readonly freeSlots: number[];
  private readonly tracks = new WeakMap<PartitionState, Track>();
  private readonly due: Waiting[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    private readonly core: ConsumerCore,
    private readonly host: SlotHost,
    private readonly handler: EachMessage,
    private readonly concurrency: number,
    private readonly ordering: 'key' | 'unordered',
  ) {
    this.freeSlots = Array.from({ length: concurrency }, (_, i) => concurrency - 1 - i);
    this.maxPending = concurrency + SLICE_RECORDS;
    host.signal.addEventListener('abort', () => this.wake(), { once: true });
  }

  async run(): Promise<void> {
    const core = this.core;
    let lastYield = performance.now();
    while (!this.host.stopping && !core.failure) {
      if (this.inflight >= this.concurrency) {
        await this.waitForSlot();
        continue;
      }
      // Records back from their retryAfter wait are counted in `pending` already: they go first, even
      // when the pending records are all waiting ones.
      const retry = this.due.shift();
      if (retry) {
        if (this.current(retry)) this.start(retry.s, retry.track, retry.record, retry.entry, retry.key);
        else this.abandon(retry.s, retry.key, retry.track);
        continue;
      }
      if (this.pending >= this.maxPending) {
        await this.waitForSlot();
        continue;
      }
      const s = this.takeReady();
      if (!s) {
        // Either wakes us (new data, a finished record, stop); both lists are flushed whenever they fire.
        await Promise.race([core.waitForData(), this.waitForSlot()]);
        continue;
      }
      s.busy = true;
      try {
        this.dispatch(s);
      } finally {
        core.release(s);
      }
      if (performance.now() - lastYield > 10) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  private takeReady(): PartitionState | undefined {
    const core = this.core;
    for (const s of core.ready) {
      core.ready.delete(s);
      if (s.busy || !s.deliverable || !core.owns(s) || core.draining.has(s.key)) continue;
      return s;
    }
    return undefined;
  }

  private trackOf(s: PartitionState): Track {
    let t = this.tracks.get(s);
    if (!t || t.version !== s.version) {
      t = { version: s.version, entries: [], head: 0, keys: new Map() };
      this.tracks.set(s, t);
    }
    return t;
  }

  /** Hands out records of `s` until its turn ends, the slots are full or it has nothing to give. */
  private dispatch(s: PartitionState): void {
    const core = this.core;
    const track = this.trackOf(s);
    const turnEnds = performance.now() + TURN_MS;
    for (;;) {
      const chunk = currentChunk(core, s);
      if (!chunk) return;
      const records = chunk.records;
      if (records.length === 0) {
        // Exhausted: its end is processed (and it leaves the buffer) once everything before it is done.
        if (s.queue[0] !== chunk || chunk.released) return;
        s.queue.shift();
        track.entries.push({ offset: chunk.nextOffset - 1, epoch: chunk.lastEpoch, done: true, chunk });
        this.advance(s, track);
        if (chunk.error) return;
        continue;
      }
      for (let i = chunk.next; i < records.length; i++) {
        if (this.host.stopping || core.failure || s.version !== track.version || !s.deliverable) return;
        if (this.inflight >= this.concurrency || this.pending >= this.maxPending) return;
        const record = records[i]!;
        chunk.next = i + 1;
        // A key is looked at only while some record of this partition waits or runs: with nothing in
        // flight (a fast handler) a record runs at once, and if it completes at once it is processed
        // without any bookkeeping — the parallel path then costs about what plain delivery does.
        let key: string | undefined;
        if (this.ordering === 'key' && record.key !== null && track.keys.size > 0) {
          key = record.key.toString('latin1');
          const queue = track.keys.get(key);
          if (queue) {
            const entry: Entry = { offset: record.offset, epoch: record.leaderEpoch, done: false };
            track.entries.push(entry);
            this.pending++;
            queue.push({ record, entry });
            continue;
          }
        }
        this.start(s, track, record, undefined, key);
      }
      if (performance.now() > turnEnds) return;
    }
  }

  /** A reusable handler context per slot (a slot runs one record at a time). */
  private readonly contexts: SlotContext[] = [];

  private contextOf(slot: number): SlotContext {
    let c = this.contexts[slot];
    if (!c) {
      const host = this.host;
      c = {
        signal: undefined as unknown as AbortSignal,
        sequential: false,
        retryMs: undefined,
        get groupMetadata() {
          return host.metadataOf(slot);
        },
        retryAfter(delayMs: number) {
          this.retryMs = checkTimeout('delayMs', delayMs);
        },
      };
      this.contexts[slot] = c;
    }
    return c;
  }

  /**
   * Runs a record's handler. `entry` is its place in the partition's offset order when it has one
   * already (it waited behind its key, or is retried); otherwise one is made only if it does not
   * complete at once.
   */
  private start(
    s: PartitionState,
    track: Track,
    record: ConsumerRecord,
    entry: Entry | undefined,
    key: string | undefined,
  ): void {
    const slot = this.freeSlots.pop()!;
    const ctx = this.contextOf(slot);
    ctx.signal = s.controller.signal;
    ctx.retryMs = undefined;
    let r: unknown;
    try {
      r = this.host.callInSlot(slot, s, this.handler, record, ctx);
    } catch (err) {
      this.host.leaveSlot(slot);
      this.freeSlots.push(slot);
      this.settled(s, track, record, entry, key, ctx.retryMs, { err }, false);
      return;
    }
    if (!isThenable(r)) {
      this.host.leaveSlot(slot);
      this.freeSlots.push(slot);
      this.settled(s, track, record, entry, key, ctx.retryMs, undefined, false);
      return;
    }
    // It runs on: it takes its place in the offset order, and its key is held.
    if (!entry) {
      entry = { offset: record.offset, epoch: record.leaderEpoch, done: false };
      track.entries.push(entry);
      this.pending++;
    }
    if (this.ordering === 'key' && record.key !== null) {
      key ??= record.key.toString('latin1');
      if (!track.keys.has(key)) track.keys.set(key, []);
    }
    this.inflight++;
    s.inflight++;
    // What runs in each slot, kept per slot (a slot runs one record at a time): no object per record.
    let running = this.running[slot];
    if (!running) {
      running = { s, track, record, entry, key, slot, ctx };
      this.running[slot] = running;
    } else {
      running.s = s;
      running.track = track;
      running.record = record;
      running.entry = entry;
      running.key = key;
    }
    this.host.awaitInSlot(slot, r, this.onSettled, running);
  }

  private readonly running: Running[] = [];

  private readonly onSettled: SlotDone = (arg, failed) => {
    const r = arg as Running;
    this.finish(r.s, r.track, r.record, r.entry, r.key, r.slot, r.ctx.retryMs, failed);
  };

  private finish(
    s: PartitionState,
    track: Track,
    record: ConsumerRecord,
    entry: Entry,
    key: string | undefined,
    slot: number,
    retryMs: number | undefined,
    failed: { err: unknown } | undefined,
  ): void {
    this.host.leaveSlot(slot);
    this.freeSlots.push(slot);
    this.inflight--;
    s.inflight--;
    this.settled(s, track, record, entry, key, retryMs, failed, true);
    if (s.inflight === 0 && !s.busy) this.core.settle(s);
    if (this.waiters.length) {
      if (s.deliverable && !s.busy) this.core.markReady(s);
      this.wake();
    } else if (s.deliverable && !s.busy) this.core.ready.add(s);
  }

  /** What a finished handler (at once, or later when `async`) means for its record, key and partition. */
  private settled(
    s: PartitionState,
    track: Track,
    record: ConsumerRecord,
    entry: Entry | undefined,
    key: string | undefined,
    retryMs: number | undefined,
    failed: { err: unknown } | undefined,
    async: boolean,
  ): void {
    const core = this.core;
    const current = this.current({ s, track });
    // A record that finishes while its partition is being revoked still counts (the revocation
    // waits for it and commits it), as in sequential delivery; nothing new starts then.
    const owned = s.version === track.version && core.owns(s);
    if (retryMs !== undefined && current) {
      // The record waits (holding its key and the partition's commit point) and runs again later.
      if (!entry) {
        entry = { offset: record.offset, epoch: record.leaderEpoch, done: false };
        track.entries.push(entry);
        this.pending++;
      }
      if (this.ordering === 'key' && record.key !== null) {
        key ??= record.key.toString('latin1');
        if (!track.keys.has(key)) track.keys.set(key, []);
      }
      // Due when its time comes, or at once when the partition is revoked or lost: the run loop then
      // abandons it (releasing its place in `pending` and its key's queue).
      const waiting: Waiting = { s, track, record, entry, key };
      const signal = s.controller.signal;
      const due = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', due);
        this.due.push(waiting);
        this.wake();
      };
      const timer = setTimeout(due, retryMs);
      signal.addEventListener('abort', due, { once: true });
    } else if (failed && !s.controller.signal.aborted && current) {
      core.fail(new HandlerError(record.topic, record.partition, record.offset, failed.err));
    } else if (!failed && owned) {
      if (!entry) {
        // Done at once: processed now if nothing before it is still open, else in its turn.
        if (track.head === track.entries.length) core.markProcessed(s, record.offset, record.leaderEpoch);
        else track.entries.push({ offset: record.offset, epoch: record.leaderEpoch, done: true });
        return;
      }
      entry.done = true;
      this.pending--;
      this.advance(s, track);
      if (current) this.next(s, track, key);
      else this.abandon(s, key, track, false);
    } else if (entry || async) {
      // Gave up after its partition was revoked, or a seek made it stale: not processed, and its key's
      // queue is dropped with the partition's dispatch state.
      this.abandon(s, key, track, entry !== undefined);
    }
  }

  /** Starts the next record waiting behind `key`, if any. */
  private next(s: PartitionState, track: Track, key: string | undefined): void {
    if (key === undefined) return;
    const queue = track.keys.get(key);
    const following = queue?.shift();
    if (!following) {
      track.keys.delete(key);
      return;
    }
    this.start(s, track, following.record, following.entry, key);
  }

  private abandon(s: PartitionState, key: string | undefined, track: Track, counted = true): void {
    if (counted) this.pending--;
    if (key === undefined) return;
    const queue = track.keys.get(key) ?? [];
    this.pending -= queue.length;
    track.keys.delete(key);
    if (s.inflight === 0 && !s.busy) this.core.settle(s);
  }

  /** Whether the record's partition is still ours and not moved by a seek since it was dispatched. */
  private current(w: { s: PartitionState; track: Track }): boolean {
    return w.s.version === w.track.version && this.core.owns(w.s) && !w.s.revoking;
  }

  /** Moves the partition's processed offset over every done record at the front, releasing finished chunks. */
  private advance(s: PartitionState, track: Track): void {
    const core = this.core;
    const entries = track.entries;
    let h = track.head;
    while (h < entries.length && entries[h]!.done) {
      const e = entries[h++]!;
      if (e.chunk) {
        if (e.chunk.error) {
          core.fail(e.chunk.error);
          core.fetcher.releaseChunks([e.chunk]);
          break;
        }
        if (e.chunk.nextOffset > s.processed) core.markProcessed(s, e.offset, e.epoch);
        core.fetcher.releaseChunks([e.chunk]);
      } else core.markProcessed(s, e.offset, e.epoch);
    }
    if (h > 1024) {
      entries.splice(0, h);
      h = 0;
    }
    track.head = h;
  }

  private waitForSlot(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
