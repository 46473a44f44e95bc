import { sleep } from '../cluster/backoff.js';
import { type OptionSpecs, validateOptions } from '../cluster/options.js';
import type { EachMessage, HandlerContext } from '../consumer/delivery.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { ConfigError } from '../errors.js';
import type { ShareHandlerContext, ShareRecord } from '../share/types.js';
import { shouldRetry } from './classify.js';
import { ProcessingFailedError } from './errors.js';
import { callHandler, checkHandler } from './options.js';
import { type HandlerWrapper, hasDeadLetterStage, isShareContext, type ShareEachMessage } from './share.js';

export interface RetryOptions {
  /** Retries after the first attempt (so `retries + 1` runs at most). Default 3. */
  retries?: number;
  /** Delay before the first retry. Default 100 ms. */
  minDelayMs?: number;
  /** Longest delay between two attempts. Default 30000 ms. */
  maxDelayMs?: number;
  /** Each delay is the previous one times this (exponential backoff). Default 2. */
  factor?: number;
  /** Each delay is spread by ±this fraction at random, so records failing together do not retry in lock-step. Default 0.2. */
  jitter?: number;
  /**
   * Whether an error is worth retrying (`attempt` = runs so far, from 1). Default {@link shouldRetry}:
   * the error's own `retriable` flag where it has one (every SluiceError does), never a SyntaxError,
   * otherwise yes. An error judged not retriable goes to the next stage at once.
   */
  retryIf?: (err: unknown, record: ConsumerRecord, attempt: number) => boolean;
}

interface ResolvedRetryOptions {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
  retryIf: RetryOptions['retryIf'];
}

const specs: OptionSpecs = {
  retries: { kind: 'number', integer: true, min: 0, max: 2 ** 31 - 1, default: 3 },
  minDelayMs: { kind: 'number', min: 0, default: 100 },
  maxDelayMs: { kind: 'number', min: 0, default: 30000 },
  factor: { kind: 'number', min: 1, max: 1000, default: 2 },
  jitter: { kind: 'number', min: 0, max: 1, default: 0.2 },
  retryIf: { kind: 'function' },
};

/**
 * Attempt counts kept at most: one per record waiting for a retry. A partition has at most one such
 * record at a time (it waits on it), so this is far above any real assignment; past it the oldest
 * counts are dropped (such a record would start counting again, never be lost).
 */
const MAX_TRACKED = 100_000;

/** The delay before retry number `retry` (from 1): exponential, capped, with jitter. */
export function retryDelay(retry: number, o: ResolvedRetryOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** Math.min(retry - 1, 1000));
  const spread = base * (1 - o.jitter + 2 * o.jitter * random());
  return Math.round(Math.max(0, Math.min(o.maxDelayMs, spread)));
}

export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  const o = validateOptions<ResolvedRetryOptions>('withRetry', specs, options ?? {});
  if (o.minDelayMs > o.maxDelayMs) {
    throw new ConfigError('minDelayMs', `must be <= maxDelayMs (${o.maxDelayMs}), got ${o.minDelayMs}`);
  }
  return o;
}

/**
 * Retries a failing handler in-process, with exponential backoff: `withRetry(options)(handler)` is an
 * `eachMessage` handler. While a record waits for its retry, its partition waits with it
 * (`ctx.retryAfter`: order kept, nothing at or after it committed), other partitions keep flowing on
 * the same workers, and the group membership stays alive — no sleeping handler, no CPU spent.
 *
 * When the retries are used up, or the error is not worth retrying, it throws a
 * {@link ProcessingFailedError} (the handler's error as `cause`, the number of runs as `attempts`)
 * to the next stage: `withDeadLetter`, `retryTopics`, or the consumer (which then stops).
 *
 * Attempts are counted in memory, per (topic, partition, offset): a restart, or the partition moving
 * to another member, starts the count again. A handler that throws after its `ctx.signal` aborted
 * (revoked, closing) is left to the consumer, which does not count the record as processed.
 *
 * On a ShareConsumer (KIP-932) the broker keeps the count: the attempt is the record's
 * `deliveryCount`, and a retry waits the backoff delay, then releases the record, which the broker
 * delivers again — to this member or another — with `deliveryCount + 1`. A record given up on is
 * rejected (archived, never delivered again) after the error is thrown on to `withDeadLetter`, which
 * copies it to the dead-letter topic first; without that stage `withRetry` rejects it itself and
 * throws, so the consumer logs it. Keep `retries` below the group's `share.delivery.count.limit`
 * (default 5), or the broker archives the record before this gives up on it.
 */
export function withRetry(options?: RetryOptions): HandlerWrapper {
  const o = resolveRetryOptions(options);
  const wrap = (handler: EachMessage): EachMessage => {
    checkHandler(handler, 'withRetry(options)(handler)');
    const attempts = new Map<string, number>();
    const key = (r: ConsumerRecord) => `${r.topic}\u0000${r.partition}\u0000${r.offset}`;
    const succeeded = (r: ConsumerRecord) => {
      if (attempts.size > 0) attempts.delete(key(r));
    };
    const failed = (r: ConsumerRecord, ctx: HandlerContext, err: unknown): void => {
      if (ctx.signal.aborted) throw err;
      const k = key(r);
      const attempt = (attempts.get(k) ?? 0) + 1;
      attempts.delete(k);
      const retriable = o.retryIf ? o.retryIf(err, r, attempt) : shouldRetry(err);
      if (!retriable || attempt > o.retries) throw new ProcessingFailedError(r, attempt, retriable, err);
      attempts.set(k, attempt);
      if (attempts.size > MAX_TRACKED) attempts.delete(attempts.keys().next().value!);
      ctx.retryAfter(retryDelay(attempt, o));
    };
    return (record, ctx) =>
      callHandler(
        handler,
        record,
        ctx,
        (err) => failed(record, ctx, err),
        () => succeeded(record),
      );
  };
  return ((handler: EachMessage | ShareEachMessage) => {
    const classic = wrap(handler as EachMessage);
    const share = wrapShare(handler as ShareEachMessage, o);
    return ((record: ConsumerRecord & Partial<ShareRecord>, ctx: HandlerContext | ShareHandlerContext) =>
      isShareContext(ctx) ? share(record as ShareRecord, ctx) : classic(record, ctx)) as EachMessage;
  }) as HandlerWrapper;
}

/** withRetry on a ShareConsumer: retry = wait, then release to the broker; give up = reject. */
function wrapShare(handler: ShareEachMessage, o: ResolvedRetryOptions): ShareEachMessage {
  const failed = async (r: ShareRecord, ctx: ShareHandlerContext, err: unknown): Promise<void> => {
    if (ctx.signal.aborted) throw err;
    const attempt = r.deliveryCount;
    const retriable = o.retryIf ? o.retryIf(err, r, attempt) : shouldRetry(err);
    if (!retriable || attempt > o.retries) {
      const failure = new ProcessingFailedError(r, attempt, retriable, err);
      // withDeadLetter outside copies the record, then rejects it; alone, reject it here.
      if (!hasDeadLetterStage(ctx)) ctx.acknowledge('reject');
      throw failure;
    }
    // Closing or losing the record ends the wait; the consumer then releases it without an ack from us.
    await sleep(retryDelay(attempt, o), ctx.signal).catch(() => {
      throw err;
    });
    ctx.acknowledge('release');
  };
  return (record, ctx) =>
    callHandler(handler as unknown as EachMessage, record, ctx as unknown as HandlerContext, (err) =>
      failed(record, ctx, err),
    );
}
