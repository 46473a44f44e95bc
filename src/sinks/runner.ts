// runSink: a consumer whose records go into a SinkStore exactly once. Positions live in the store,
// written in the same transaction as the rows (DESIGN invariant 3); on every assignment the consumer
// seeks to them. The offsets are also committed to Kafka (after the store has them), so lag tools see
// progress, but on restart the store's positions win.
//
// Why a second owner can never store a record twice: every write names the position it continues
// from (`expected`), and the store refuses it (SinkFencedError) unless that is what it holds. A
// member that lost a partition and still writes (a zombie), or one that read a position just before
// the previous owner's last write landed, is refused; it re-reads the position and goes on from
// there.
import type { Admin } from '../admin/admin.js';
import { backoffDelay } from '../cluster/backoff.js';
import { Consumer } from '../consumer/consumer.js';
import type { RebalanceListener } from '../consumer/core.js';
import type { Batch, BatchContext } from '../consumer/delivery.js';
import { HandlerError } from '../consumer/errors.js';
import type { ConsumerOptions } from '../consumer/options.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { type TopicPartition, tpKey } from '../consumer/topic-partition.js';
import { ConfigError, SluiceError } from '../errors.js';
import { consoleLogger, type Logger } from '../logger.js';
import { checkKnownOptions, defaultDeadLetterTopic } from '../processing/dead-letter.js';
import { Forwarder, originOf } from '../processing/forward.js';
import { checkProducer } from '../processing/options.js';
import type { Producer } from '../producer/producer.js';
import { checkDecoder, type MapFunction, toSinkRecord, type ValueDecoder } from './decode.js';
import { SinkDecodeError, SinkError, SinkFencedError } from './errors.js';
import type { PartitionWrite, SinkRecord, SinkStore } from './types.js';

export interface SinkRunOptions {
  /** Consumer options; `groupId` is required (positions are stored per group). */
  consumer: ConsumerOptions;
  /** What to consume: topic names or a pattern. */
  topics: string | string[] | RegExp;
  /** Where records go. runSink opens it and, when it returns, flushes and closes it. */
  store: SinkStore;
  /** How values are decoded. Default 'utf8'. */
  value?: ValueDecoder;
  /** `map` mode: the rows of a record. Required for a store in `map` mode, refused otherwise. */
  map?: MapFunction;
  /**
   * A record whose value cannot be decoded (or whose `map` throws): `'fail'` (default) stops with a
   * SinkDecodeError, nothing past the record stored; `'skip'` logs it (topic, partition, offset, why)
   * and stores the rest; `'dlq'` copies it to a dead-letter topic (with Spring Kafka's headers, see
   * docs/processing.md) before storing the rest.
   */
  onError?: 'fail' | 'skip' | 'dlq';
  /** For `onError: 'dlq'`: the producer (acks 'all'), an Admin to create the topic, its name (default `<topic>.dlq`). */
  deadLetter?: { producer: Producer; admin?: Admin; topic?: (record: ConsumerRecord) => string };
  /** Backoff between attempts of a store write that failed retriably (database down or busy). */
  retry?: { minDelayMs?: number; maxDelayMs?: number };
  /** Partitions written at once (a store with a connection pool may gain from more). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Called after the sink's own handling of each rebalance. */
  listener?: RebalanceListener;
  /** Stops the sink gracefully: what was delivered is stored, the store flushed and closed. */
  signal?: AbortSignal;
}

const KNOWN = new Set([
  'consumer',
  'topics',
  'store',
  'value',
  'map',
  'onError',
  'deadLetter',
  'retry',
  'partitionsConsumedConcurrently',
  'listener',
  'signal',
]);

/**
 * Consumes `topics` into `store` until `signal` aborts (or a non-retriable error): every record
 * stored exactly once, across crashes, restarts and rebalances. Rejects with the SinkError,
 * SinkDecodeError or consumer error that stopped it; whatever was stored before stays stored.
 */
export async function runSink(options: SinkRunOptions): Promise<void> {
  checkKnownOptions(options, KNOWN, 'runSink');
  const { store, signal } = options;
  if (typeof store !== 'object' || store === null || typeof store.write !== 'function') {
    throw new ConfigError('store', 'expected a SinkStore (SqliteStore, PostgresStore, JsonlStore)');
  }
  const groupId = options.consumer?.groupId;
  if (typeof groupId !== 'string' || groupId === '') {
    throw new ConfigError('consumer.groupId', 'a sink keeps its positions per consumer group: set groupId');
  }
  const decoder = checkDecoder(options.value);
  const map = options.map;
  if (store.mode === 'map' && typeof map !== 'function') {
    throw new ConfigError('map', 'the store is in map mode: give a map function (record, value) => rows');
  }
  if (store.mode !== 'map' && map !== undefined) {
    throw new ConfigError('map', `the store is in ${store.mode} mode; map is for map mode only`);
  }
  const onError = options.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip' && onError !== 'dlq') {
    throw new ConfigError('onError', `expected 'fail', 'skip' or 'dlq', got ${String(onError)}`);
  }
  let forwarder: Forwarder | undefined;
  if (onError === 'dlq') {
    const dl = options.deadLetter;
    if (!dl) throw new ConfigError('deadLetter', "onError 'dlq' needs deadLetter: { producer }");
    forwarder = new Forwarder(checkProducer(dl.producer, 'runSink'), dl.admin, {});
  }
  const minDelayMs = options.retry?.minDelayMs ?? 100;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const logger: Logger = options.consumer.logger ?? consoleLogger();
  if (signal?.aborted) return;

  await store.open();
  const consumer = new Consumer(options.consumer);
  /** Per owned partition: the position the next write continues from (undefined: none stored yet). */
  const expected = new Map<string, number | undefined>();
  /** Consecutive retriable write failures per partition, for the backoff. */
  const failures = new Map<string, number>();
  const user = options.listener ?? {};

  const readPositions = async (ps: TopicPartition[]): Promise<Map<string, number>> => {
    // The store may be briefly down at assignment too: retry, within the consumer's own lifetime.
    for (let attempt = 0; ; attempt++) {
      try {
        return await store.positions(groupId, ps);
      } catch (err) {
        if (!(err instanceof SluiceError && err.retriable) || signal?.aborted) throw err;
        const delay = backoffDelay(attempt, { initialMs: minDelayMs, maxMs: maxDelayMs });
        logger.warn('Reading sink positions failed; retrying', { store: store.description, error: err, delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };

  consumer.subscribe(options.topics, {
    onPartitionsAssigned: async (ps) => {
      if (ps.length) {
        const stored = await readPositions(ps);
        for (const p of ps) {
          const key = tpKey(p.topic, p.partition);
          const at = stored.get(key);
          expected.set(key, at);
          failures.delete(key);
          // Without a stored position the consumer starts where Kafka says (committed, else the reset policy).
          if (at !== undefined) consumer.seek({ topic: p.topic, partition: p.partition, offset: at });
        }
      }
      await user.onPartitionsAssigned?.(ps);
    },
    onPartitionsRevoked: async (ps) => {
      // Before the next owner reads positions: make what we wrote visible (JSONL publishes its files).
      // Fenced here means another member stored those records first: nothing is lost.
      if (ps.length)
        await store.flush(groupId, ps).catch((err: unknown) => {
          if (!(err instanceof SinkFencedError)) throw err;
        });
      for (const p of ps) expected.delete(tpKey(p.topic, p.partition));
      await user.onPartitionsRevoked?.(ps);
    },
    onPartitionsLost: async (ps) => {
      // Someone else may own them already; publishing is fenced, so flushing cannot double anything.
      await store.flush(groupId, ps).catch(() => {});
      for (const p of ps) expected.delete(tpKey(p.topic, p.partition));
      await user.onPartitionsLost?.(ps);
    },
  });

  /** The store's input for a batch; records that fail decoding follow `onError`. */
  const prepare = async (batch: Batch, ctx: BatchContext): Promise<SinkRecord[]> => {
    const out: SinkRecord[] = [];
    for (const record of batch.records) {
      let sr: SinkRecord;
      try {
        sr = toSinkRecord(store.mode, decoder, map, record);
      } catch (err) {
        if (onError === 'fail') throw new SinkDecodeError(record.topic, record.partition, record.offset, err);
        if (onError === 'skip') {
          logger.warn('Record not stored: it cannot be decoded', {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            error: err,
          });
          continue;
        }
        const origin = originOf(record);
        const target = options.deadLetter?.topic?.(record) ?? defaultDeadLetterTopic(origin.topic);
        await forwarder!.forward(record, ctx, {
          target,
          dlq: true,
          origin,
          error: err,
          attempts: 2,
          dueAt: Date.now(),
        });
        continue;
      }
      out.push(sr);
    }
    return out;
  };

  const eachBatch = async (batch: Batch, ctx: BatchContext): Promise<void> => {
    const key = tpKey(batch.topic, batch.partition);
    if (!expected.has(key) || batch.records.length === 0) return;
    const first = batch.records[0]!.offset;
    const last = batch.records[batch.records.length - 1]!.offset;
    const records = await prepare(batch, ctx);
    if (ctx.signal.aborted) return retryLater(ctx, 0, first);
    const part: PartitionWrite = {
      topic: batch.topic,
      partition: batch.partition,
      expected: expected.get(key),
      next: last + 1,
      records,
    };
    try {
      await store.write(groupId, [part]);
    } catch (err) {
      if (err instanceof SinkFencedError) {
        // Another member wrote this partition since we read its position: go on from theirs.
        const stored = (await readPositions([batch])).get(key);
        logger.warn('Sink position moved by another member; continuing from it', {
          topic: batch.topic,
          partition: batch.partition,
          expected: part.expected,
          stored,
        });
        expected.set(key, stored);
        return retryLater(ctx, 0, stored ?? first);
      }
      if (err instanceof SluiceError && err.retriable && !ctx.signal.aborted) {
        const n = failures.get(key) ?? 0;
        failures.set(key, n + 1);
        const delay = backoffDelay(n, { initialMs: minDelayMs, maxMs: maxDelayMs });
        logger.warn('Sink write failed; retrying', {
          store: store.description,
          topic: batch.topic,
          partition: batch.partition,
          offset: first,
          error: err,
          delay,
        });
        return retryLater(ctx, delay, first);
      }
      throw err;
    }
    failures.delete(key);
    expected.set(key, part.next);
  };

  let stopped: unknown;
  try {
    await consumer.run({
      eachBatch,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    stopped = err instanceof HandlerError && isSinkError(err.cause) ? err.cause : err;
  } finally {
    await store.close().catch((err: unknown) => {
      stopped ??= err;
    });
  }
  if (stopped !== undefined) throw stopped;
}

function retryLater(ctx: BatchContext, delayMs: number, fromOffset: number): void {
  ctx.retryAfter(delayMs, fromOffset);
}

function isSinkError(err: unknown): boolean {
  return err instanceof SinkError || err instanceof SinkDecodeError || err instanceof ConfigError;
}
