// The processing wrappers on a ShareConsumer (KIP-932): what their steps mean when the broker, not the
// consumer, keeps the record's place — retry is a release (the broker delivers it again, to any member,
// with deliveryCount + 1), and a record given up on is rejected (archived, never delivered again).
import type { EachMessage, HandlerContext } from '../consumer/delivery.js';
import type { ShareHandlerContext, ShareRecord } from '../share/types.js';

/** A ShareConsumer's `eachMessage` handler. */
export type ShareEachMessage = (record: ShareRecord, ctx: ShareHandlerContext) => unknown;

/**
 * What `withRetry(options)` and `withDeadLetter(options)` return: a wrapper that keeps the handler's
 * kind — a Consumer's `eachMessage` stays one, a ShareConsumer's stays one (the kind is told apart at
 * run time by the context the consumer passes).
 */
export type HandlerWrapper = <H extends EachMessage | ShareEachMessage = EachMessage>(handler: H) => H;

/** Whether a handler runs under a ShareConsumer (its context acknowledges; a Consumer's retries). */
export function isShareContext(ctx: HandlerContext | ShareHandlerContext): ctx is ShareHandlerContext {
  return typeof (ctx as Partial<ShareHandlerContext>).acknowledge === 'function';
}

/**
 * Marks the context `withDeadLetter` hands to the handler it wraps: a record that `withRetry` gives up
 * on inside it is thrown out to be copied first; without such a stage `withRetry` rejects it itself.
 */
const DEAD_LETTER_STAGE = Symbol('sluice.deadLetterStage');

export function withDeadLetterStage(ctx: ShareHandlerContext): ShareHandlerContext {
  // A prototype link, not a copy: the consumer's context keeps its own methods and state.
  return Object.create(ctx, { [DEAD_LETTER_STAGE]: { value: true } }) as ShareHandlerContext;
}

export function hasDeadLetterStage(ctx: ShareHandlerContext): boolean {
  return (ctx as unknown as Record<symbol, unknown>)[DEAD_LETTER_STAGE] === true;
}

/**
 * The consumer-style context the record forwarder works with, for a share record: no generation and
 * no offsets to commit (a share group has none), so a transactional producer sends the copy alone.
 */
export function forwardingContext(ctx: ShareHandlerContext): HandlerContext {
  return {
    signal: ctx.signal,
    groupMetadata: { groupId: ctx.groupId, generationId: -1, memberId: '', groupInstanceId: null },
    sequential: false,
    retryAfter() {
      throw new TypeError('retryAfter() has no meaning for a share record');
    },
  };
}
