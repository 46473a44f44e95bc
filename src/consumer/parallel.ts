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
  /** Runs `fn` in the named worker function of slot `id` (so close() and groupMetadata() know the caller). */
  inSlot(id: number, s: PartitionState, fn: () => unknown): Promise<unknown>;
  /** Ends the slot's run. */
  leaveSlot(id: number): void;
  metadataOf(id: number): HandlerContext['groupMetadata'];
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
      if (this.inflight >= this.concurrency || this.pending >= this.maxPending) {
        await this.waitForSlot();
        continue;
      }
      const retry = this.due.shift();
      if (retry) {
        if (this.current(retry)) this.start(retry.s, retry.track, retry.record, retry.entry, retry.key);
        else this.abandon(retry.s, retry.key, retry.track);
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
        const entry: Entry = { offset: record.offset, epoch: record.leaderEpoch, done: false };
        track.entries.push(entry);
        this.pending++;
        const key = this.ordering === 'key' && record.key !== null ? record.key.toString('latin1') : undefined;
        if (key !== undefined) {
          const queue = track.keys.get(key);
          if (queue) {
            queue.push({ record, entry });
            continue;
          }
          track.keys.set(key, []);
        }
        this.start(s, track, record, entry, key);
      }
      if (performance.now() > turnEnds) return;
    }
  }

  private start(s: PartitionState, track: Track, record: ConsumerRecord, entry: Entry, key: string | undefined): void {
    const slot = this.freeSlots.pop()!;
    this.inflight++;
    s.inflight++;
    let retryMs: number | undefined;
    const host = this.host;
    const ctx: HandlerContext = {
      signal: s.controller.signal,
      get groupMetadata() {
        return host.metadataOf(slot);
      },
      retryAfter(delayMs: number) {
        retryMs = checkTimeout('delayMs', delayMs);
      },
    };
    const handler = this.handler;
    host
      .inSlot(slot, s, () => handler(record, ctx))
      .then(
        () => this.finish(s, track, record, entry, key, slot, retryMs, undefined),
        (err) => this.finish(s, track, record, entry, key, slot, retryMs, { err }),
      );
  }

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
    const core = this.core;
    this.host.leaveSlot(slot);
    this.freeSlots.push(slot);
    this.inflight--;
    s.inflight--;
    const current = this.current({ s, track });
    // A record that finishes while its partition is being revoked still counts (the revocation
    // waits for it and commits it), as in sequential delivery; nothing new starts then.
    const owned = s.version === track.version && core.owns(s);
    if (retryMs !== undefined && current) {
      // The record waits (holding its key and the partition's commit point) and runs again later.
      const timer = setTimeout(() => {
        this.due.push({ s, track, record, entry, key });
        this.wake();
      }, retryMs);
      s.controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    } else if (failed && !s.controller.signal.aborted && current) {
      core.fail(new HandlerError(record.topic, record.partition, record.offset, failed.err));
    } else if (!failed && owned) {
      entry.done = true;
      this.pending--;
      this.advance(s, track);
      if (current) this.next(s, track, key);
      else this.abandon(s, key, track, false);
    } else {
      // Gave up after its partition was revoked, or a seek made it stale: not processed, and its key's
      // queue is dropped with the partition's dispatch state.
      this.abandon(s, key, track);
    }
    if (s.inflight === 0 && !s.busy) core.settle(s);
    if (s.deliverable && !s.busy) core.markReady(s);
    this.wake();
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

  private abandon(s: PartitionState, key: string | undefined, track: Track, self = true): void {
    if (self) this.pending--;
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
