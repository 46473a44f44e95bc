import { checkTimeout } from '../network/timeouts.js';
import type { ConsumerGroupMetadata } from '../producer/types.js';
import type { ConsumerCore } from './core.js';
import { HandlerError } from './errors.js';
import { type GenerationInfo, NO_GENERATION } from './group/membership.js';
import { type Ordering, ParallelDelivery, type SlotDone } from './parallel.js';
import type { PartitionState } from './partition-state.js';
import type { ConsumerRecord } from './record.js';
import { currentChunk, type DecodedChunk, finishChunk } from './slices.js';

/** What a handler gets besides the record(s). */
export interface HandlerContext {
  /** Aborted when the partition is revoked or the consumer stops: long work should give up. */
  signal: AbortSignal;
  /**
   * The group generation the records in hand were delivered in, for
   * `producer.sendOffsetsToTransaction({ consumerGroupMetadata })`: if the group has moved on since,
   * the coordinator rejects the offsets (KIP-447) and the transaction aborts, so a handler that
   * outlived its partition can never commit them. `consumer.groupMetadata()` called from a handler
   * returns the same.
   */
  readonly groupMetadata: ConsumerGroupMetadata;
  /**
   * Asks for the record in hand to be delivered again after `delayMs`, instead of counting it as
   * processed (whatever the handler then returns or throws). Its partition waits until then — its
   * order kept, nothing after it delivered — while other partitions keep flowing and the group
   * membership stays alive (nothing blocks: the worker moves on). The building block of `withRetry`.
   */
  retryAfter(delayMs: number): void;
  /**
   * True when the partition's records are handled one at a time, in offset order (`eachMessage`
   * without `concurrency`, and `eachBatch`): when this record's handler completes, every earlier record
   * of its partition has, so `record.offset + 1` is the partition's commit position — the offset a
   * handler may put in a transaction (`sendOffsetsToTransaction`). False with key-ordered or unordered
   * parallel delivery (`concurrency` with `ordering` 'key' or 'unordered'), where earlier records may
   * still be in flight.
   */
  readonly sequential: boolean;
}

/** Records of one partition from one fetch, in offset order. */
export interface Batch {
  topic: string;
  partition: number;
  records: ConsumerRecord[];
  /** The partition's high watermark when fetched (lag = highWatermark - last offset - 1). */
  highWatermark: number;
}

export interface BatchContext extends HandlerContext {
  /**
   * Marks records up to and including `offset` as processed (committable) before the handler
   * returns. When the handler returns normally the whole batch counts as processed.
   */
  resolveOffset(offset: number): void;
  /**
   * Asks for the batch to be delivered again after `delayMs` from `fromOffset` (default: the first
   * record not resolved); see {@link HandlerContext.retryAfter}.
   */
  retryAfter(delayMs: number, fromOffset?: number): void;
}

export type EachMessage = (record: ConsumerRecord, ctx: HandlerContext) => unknown;
export type EachBatch = (batch: Batch, ctx: BatchContext) => unknown;

export interface RunOptions {
  /** Called once per record, in order within each partition. */
  eachMessage?: EachMessage;
  /** Called once per fetched chunk of a partition. */
  eachBatch?: EachBatch;
  /** Partitions processed in parallel (order is kept within each partition). Default 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Records whose handlers may run at once (eachMessage). With `ordering: 'key'` (the default when
   * this is set) records of the same key never run concurrently and finish in offset order, records of
   * other keys run side by side, even within a partition; `'unordered'` runs any records side by side;
   * `'partition'` keeps whole partitions in order (as `partitionsConsumedConcurrently`). What is
   * committed is each partition's highest contiguous completed offset.
   */
  concurrency?: number;
  /** See `concurrency`. */
  ordering?: Ordering;
  /** Aborting stops the consumer gracefully (like `close()`). */
  signal?: AbortSignal;
  /**
   * Called when an `eachMessage` handler (without `concurrency`) throws, before that counts as a
   * failure: it may call `ctx.retryAfter()` (the record comes again) or throw (what it throws fails the
   * consumer). Lets a wrapper (sluice/kafkajs) retry failed records without wrapping every handler
   * call in a promise of its own.
   */
  onHandlerError?: (err: unknown, record: ConsumerRecord, ctx: HandlerContext) => void;
}

/** A retry delay: 0 to 2^31-1 ms (a ConfigError otherwise, from inside the handler). */
function checkRetryDelay(ms: unknown): number {
  return checkTimeout('delayMs', ms);
}

/** Ids of the delivery workers (functions named `sluice$worker$<id>`) on the caller's async stack. */
function callingWorkers(): number[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.POSITIVE_INFINITY;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  return [...stack.matchAll(/sluice\$worker\$(\d+)/g)].map((m) => Number(m[1]));
}

/**
 * Time a partition gets per turn before its worker moves on to the next ready partition. Measured
 * in time, not records: with fast handlers a whole chunk fits in one turn, so only one chunk is
 * decoded at a time (its records die young, which the GC handles cheaply); with slow handlers the
 * partitions still take turns every TURN_MS.
 */
const TURN_MS = 100;
/** Most time handlers run without giving the event loop a turn (timers, sockets). */
const YIELD_EVERY_MS = 10;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Hands buffered records to the application. Each worker takes a partition with records, works
 * through one chunk of it (so partitions take turns), and gives it back; a partition is never
 * worked on by two workers at once, so order within a partition holds at any concurrency.
 * A record counts as processed — and becomes committable — only after its handler returned.
 */
export class Delivery {
  private stopped = false;
  private readonly stopController = new AbortController();
  /** Named functions that call and await parallel handlers, one per slot. */
  private readonly slotCallers: Array<((h: EachMessage, r: ConsumerRecord, c: HandlerContext) => unknown) | undefined> =
    [];
  private readonly slotAwaiters: Array<
    ((q: PromiseLike<unknown>, d: SlotDone, a: unknown) => Promise<void>) | undefined
  > = [];
  /** The partition each worker is on (for {@link Delivery.closeExempt}). */
  private readonly working: Array<PartitionState | undefined> = [];
  /** The generation each worker's current records were delivered in (for groupMetadata). */
  private readonly deliveredIn: Array<GenerationInfo | undefined> = [];
  /** The generation of the record the iterator handed out last. */
  private iteratorGeneration: GenerationInfo = NO_GENERATION;
  /** The partition whose record the iterator handed out and the loop body is still working on. */
  private iteratorHolds: PartitionState | undefined;

  constructor(private readonly core: ConsumerCore) {}

  stop(): void {
    this.stopped = true;
    this.stopController.abort();
    this.core.abortHandlers('The consumer is closing');
    this.core.wakeAll();
  }

  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  get stopping(): boolean {
    return this.stopped;
  }

  async run(opts: RunOptions): Promise<void> {
    const ordering = opts.ordering ?? (opts.concurrency === undefined ? 'partition' : 'key');
    if (opts.eachMessage && opts.concurrency !== undefined && ordering !== 'partition') {
      await new ParallelDelivery(this.core, this, opts.eachMessage, opts.concurrency, ordering).run();
      return;
    }
    const n = opts.concurrency ?? opts.partitionsConsumedConcurrently ?? 1;
    const workers = Array.from({ length: Math.max(1, n) }, (_, id) => this.namedWorker(id)(opts));
    await Promise.all(workers);
  }

  /**
   * Calls a parallel handler inside slot `id`'s named function (sync), so close() and groupMetadata()
   * called from it find their caller; {@link Delivery.awaitInSlot} keeps that true after its awaits.
   */
  callInSlot(
    id: number,
    s: PartitionState,
    handler: EachMessage,
    record: ConsumerRecord,
    ctx: HandlerContext,
  ): unknown {
    this.working[id] = s;
    const m = this.core.membership;
    if (m) this.deliveredIn[id] = m.generation();
    let call = this.slotCallers[id];
    if (!call) {
      const holder = {
        [`sluice$worker$${id}`](h: EachMessage, r: ConsumerRecord, c: HandlerContext): unknown {
          return h(r, c);
        },
      };
      call = holder[`sluice$worker$${id}`]!;
      this.slotCallers[id] = call;
    }
    return call(handler, record, ctx);
  }

  /**
   * Awaits a parallel handler's promise inside slot `id`'s named async function, then calls
   * `done(failure)` (one async frame per record, no extra closures).
   */
  awaitInSlot(id: number, p: PromiseLike<unknown>, done: SlotDone, arg: unknown): void {
    let wait = this.slotAwaiters[id];
    if (!wait) {
      const holder = {
        async [`sluice$worker$${id}`](q: PromiseLike<unknown>, d: SlotDone, a: unknown): Promise<void> {
          try {
            await q;
          } catch (err) {
            d(a, { err });
            return;
          }
          d(a, undefined);
        },
      };
      wait = holder[`sluice$worker$${id}`]!;
      this.slotAwaiters[id] = wait;
    }
    void wait(p, done, arg);
  }

  leaveSlot(id: number): void {
    this.working[id] = undefined;
  }

  /**
   * The partitions whose handler called close() (found from the call's async stack), plus the one an
   * iterator has in hand: close() must not wait for those, since they wait for close().
   *
   * Each worker is a function named `sluice$worker$<id>`, and V8's async stack traces name every
   * function that awaits the current one — so a handler that calls close(), before or after any
   * number of awaits of its own, has its worker in the stack. This costs nothing per record (only
   * close() reads a stack), unlike AsyncLocalStorage, which on Node 20 slows every await in the
   * application's handlers.
   */
  closeExempt(): Set<PartitionState> {
    const out = new Set<PartitionState>();
    if (this.iteratorHolds) out.add(this.iteratorHolds);
    for (const id of callingWorkers()) {
      const s = this.working[id];
      if (s) out.add(s);
    }
    return out;
  }

  /**
   * The generation of the records the caller is working on: those of the calling handler's worker
   * (found from the async stack, as in {@link Delivery.closeExempt}), or the record an iterator has
   * handed out; undefined when called from elsewhere.
   */
  callerGeneration(): GenerationInfo | undefined {
    for (const id of callingWorkers()) {
      const g = this.deliveredIn[id];
      if (g) return g;
    }
    return this.iteratorHolds ? this.iteratorGeneration : undefined;
  }

  /** What a handler's ctx.groupMetadata reports for worker `id`. */
  metadataOf(id: number): ConsumerGroupMetadata {
    const g = this.deliveredIn[id] ?? this.core.membership?.generation() ?? NO_GENERATION;
    return {
      groupId: this.core.o.groupId ?? '',
      generationId: g.generationId,
      memberId: g.memberId,
      groupInstanceId: this.core.o.groupInstanceId ?? null,
    };
  }

  private namedWorker(id: number): (opts: RunOptions) => Promise<void> {
    const name = `sluice$worker$${id}`;
    const self = this;
    const holder = {
      async [name](opts: RunOptions): Promise<void> {
        await self.worker(id, opts);
      },
    };
    return holder[name]!;
  }

  private async worker(id: number, opts: RunOptions): Promise<void> {
    const core = this.core;
    while (!this.stopped && !core.failure) {
      const s = core.takeReady();
      if (!s) {
        await core.waitForData(this.signal);
        continue;
      }
      this.working[id] = s;
      try {
        if (opts.eachBatch) await this.batch(id, s, opts.eachBatch);
        else if (opts.eachMessage) await this.messages(id, s, opts.eachMessage, opts.onHandlerError);
      } finally {
        this.working[id] = undefined;
        core.release(s);
      }
      await this.maybeYield();
    }
  }

  /**
   * Synchronous handlers (or promises that are already resolved) never give the event loop a turn,
   * and heartbeats, auto-commits and fetch responses would wait until the whole buffer is drained.
   * Every few milliseconds of handler work, yield to the event loop once.
   */
  private lastYield = performance.now();
  private async maybeYield(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield < YIELD_EVERY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }

  private currentChunk(s: PartitionState): DecodedChunk | undefined {
    return currentChunk(this.core, s);
  }

  private async messages(
    id: number,
    s: PartitionState,
    handler: EachMessage,
    onError: RunOptions['onHandlerError'],
  ): Promise<void> {
    const core = this.core;
    const version = s.version;
    const self = this;
    let retryMs: number | undefined;
    const ctx: HandlerContext = {
      signal: s.controller.signal,
      sequential: true,
      get groupMetadata() {
        return self.metadataOf(id);
      },
      retryAfter(delayMs: number) {
        retryMs = checkRetryDelay(delayMs);
      },
    };
    const membership = core.membership;
    const deliveredIn = this.deliveredIn;
    // A turn ends after TURN_MS, so partitions sharing a worker take turns — unless the buffer is
    // full: then finishing this (decoded) chunk beats decoding another one.
    const turnEnds = performance.now() + TURN_MS;
    for (;;) {
      const chunk = this.currentChunk(s);
      if (!chunk) return;
      const records = chunk.records;
      if (records.length === 0) {
        if (!this.finishChunk(s, chunk)) return;
        continue;
      }
      for (let i = chunk.next; i < records.length; i++) {
        if (s.version !== version || s.revoking || s.paused || this.stopped || core.failure) return;
        if ((i & 63) === 63 && performance.now() > turnEnds && !core.fetcher.full) return;
        const record = records[i]!;
        if (membership) deliveredIn[id] = membership.generation();
        let failed: { err: unknown } | undefined;
        try {
          const r = handler(record, ctx);
          if (isThenable(r)) await r;
          else if ((i & 255) === 255) await this.maybeYield();
        } catch (err) {
          failed = { err };
          if (onError) {
            try {
              onError(err, record, ctx);
            } catch (replaced) {
              failed = { err: replaced };
            }
          }
        }
        if (retryMs !== undefined) {
          // The record stays first in line, in the buffer: no fetch to get it back.
          if (s.version === version) {
            chunk.next = i;
            core.hold(s, retryMs);
          }
          return;
        }
        if (failed) {
          this.handlerFailed(s, record.offset, failed.err);
          return;
        }
        if (s.version !== version) return;
        core.markProcessed(s, record.offset, record.leaderEpoch);
        chunk.next = i + 1;
      }
      if (performance.now() > turnEnds && !core.fetcher.full) return;
    }
  }

  private async batch(id: number, s: PartitionState, handler: EachBatch): Promise<void> {
    const core = this.core;
    const version = s.version;
    const turnEnds = performance.now() + TURN_MS;
    while (!this.stopped && !core.failure && s.version === version && !s.revoking && !s.paused) {
      const chunk = this.currentChunk(s);
      if (!chunk) return;
      const all = chunk.records;
      if (all.length === 0) {
        if (!this.finishChunk(s, chunk)) return;
        continue;
      }
      const records = chunk.next === 0 ? all : all.slice(chunk.next);
      // Offsets are contiguous unless compacted or transactional: look where the offset should be first.
      const base = records[0]!.offset;
      const byOffset = (offset: number) => {
        const guess = records[offset - base];
        return guess?.offset === offset ? guess : records.find((r) => r.offset === offset);
      };
      if (core.membership) this.deliveredIn[id] = core.membership.generation();
      let retry: { ms: number; from: number } | undefined;
      const ctx: BatchContext = {
        retryAfter(delayMs: number, fromOffset?: number) {
          const first = records[0]!.offset;
          const from = fromOffset ?? Math.max(s.processed, first);
          retry = { ms: checkRetryDelay(delayMs), from };
        },
        signal: s.controller.signal,
        sequential: true,
        // A value, not a getter: the generation is fixed for the batch (deliveredIn[id] was just set).
        // An object literal with a getter gets a map of its own each time it is evaluated, and the
        // parent map's transition to it keeps the getter's closure — and through it this batch's
        // records — alive through every young-generation collection until the next full GC: with a
        // getter here eachBatch promoted ~100% of its records (635 MB for 3M records) and ran at
        // 0.5–0.75× of eachMessage.
        groupMetadata: this.metadataOf(id),
        resolveOffset: (offset) => {
          const r = byOffset(offset);
          if (r && s.version === version && offset + 1 > s.processed) core.markProcessed(s, r.offset, r.leaderEpoch);
        },
      };
      let failed: { err: unknown } | undefined;
      try {
        const r = handler({ topic: s.topic, partition: s.partition, records, highWatermark: s.highWatermark }, ctx);
        if (isThenable(r)) await r;
      } catch (err) {
        failed = { err };
      }
      if (retry) {
        if (s.version === version) core.retryLater(s, retry.from, retry.ms);
        return;
      }
      if (failed) {
        const failedAt = s.processed >= 0 && s.version === version ? s.processed : records[0]!.offset;
        this.handlerFailed(s, failedAt, failed.err);
        return;
      }
      if (s.version !== version) return;
      const last = records[records.length - 1]!;
      core.markProcessed(s, last.offset, last.leaderEpoch);
      chunk.next = all.length;
      if (performance.now() > turnEnds && !core.fetcher.full) return;
    }
  }

  /**
   * A handler threw. When its partition's signal had aborted (revoked, lost, closing) the failure is
   * most likely the abort itself: the record is simply not processed — the next owner, or the next
   * run, gets it again. Otherwise the consumer stops at that record (HandlerError).
   */
  private handlerFailed(s: PartitionState, offset: number, err: unknown): void {
    if (s.controller.signal.aborted) {
      this.core.o.logger.debug('Handler gave up after its partition was revoked or the consumer stopped', {
        partition: `${s.topic}-${s.partition}`,
        offset,
        error: err instanceof Error ? err : String(err),
      });
      return;
    }
    this.core.fail(new HandlerError(s.topic, s.partition, offset, err));
  }

  finishChunk(s: PartitionState, chunk: DecodedChunk): boolean {
    return finishChunk(this.core, s, chunk);
  }

  /**
   * Records one at a time, for `for await`. The record handed out last counts as processed when
   * the next one is asked for — i.e. when the loop body finished. Leaving the loop (break, throw)
   * does not mark the record in hand processed: it is delivered again after a restart.
   */
  iterator(): AsyncIterator<ConsumerRecord> {
    const core = this.core;
    let current: PartitionState | undefined;
    let turnEnds = 0;
    let handedOut: { s: PartitionState; version: number; chunk: DecodedChunk; record: ConsumerRecord } | undefined;
    const settlePrevious = () => {
      if (!handedOut) return;
      const { s, version, chunk, record } = handedOut;
      handedOut = undefined;
      this.iteratorHolds = undefined;
      if (s.version !== version) return;
      core.markProcessed(s, record.offset, record.leaderEpoch);
      chunk.next++;
    };
    const releaseCurrent = () => {
      if (current) core.release(current);
      current = undefined;
    };
    return {
      next: async (): Promise<IteratorResult<ConsumerRecord>> => {
        settlePrevious();
        await this.maybeYield();
        for (;;) {
          if (core.failure) {
            releaseCurrent();
            throw core.failure;
          }
          if (this.stopped) {
            releaseCurrent();
            return { done: true, value: undefined };
          }
          const s = current;
          if (s && !s.revoking && !s.paused && (performance.now() < turnEnds || core.fetcher.full)) {
            const chunk = this.currentChunk(s);
            if (chunk && chunk.next < chunk.records.length) {
              const record = chunk.records[chunk.next]!;
              handedOut = { s, version: s.version, chunk, record };
              this.iteratorGeneration = core.membership?.generation() ?? NO_GENERATION;
              this.iteratorHolds = s;
              return { done: false, value: record };
            }
            // Nothing left to deliver in it (or only markers/aborted records): done with it.
            if (chunk && this.finishChunk(s, chunk)) continue;
          }
          // This partition had its turn (or has nothing): let the others have theirs.
          releaseCurrent();
          current = core.takeReady();
          turnEnds = performance.now() + TURN_MS;
          if (!current) await core.waitForData(this.signal);
        }
      },
      return: async (): Promise<IteratorResult<ConsumerRecord>> => {
        handedOut = undefined;
        this.iteratorHolds = undefined;
        releaseCurrent();
        return { done: true, value: undefined };
      },
    };
  }
}
