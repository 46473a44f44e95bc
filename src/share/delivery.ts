import { IllegalStateError } from '../consumer/errors.js';
import type { Logger } from '../logger.js';
import type { AcquiredChunk } from './chunk.js';
import type { ShareFetcher } from './fetcher.js';
import type { AcknowledgeType, ShareBatchContext, ShareHandlerContext, ShareRecord, ShareRunOptions } from './types.js';

/** What delivery needs from the consumer. */
export interface DeliverySource {
  readonly fetcher: ShareFetcher;
  readonly mode: 'implicit' | 'explicit';
  readonly groupId: string;
  readonly logger: Logger;
  acknowledge(record: ShareRecord, type?: AcknowledgeType): void;
  /** Whether delivery must stop (closing or failed). */
  readonly stopping: boolean;
  /** Stops the consumer (no more fetching) with `err`. */
  fail(err: Error): void;
}

/**
 * Hands one chunk to the application's handler and settles what the handler left unsettled:
 * implicit mode accepts after a handler that returned and releases after one that threw (the broker
 * delivers those again, with deliveryCount + 1); explicit mode releases after a throw too, but a
 * handler that returns with records unacknowledged is a programming error (as fetching again with
 * unacknowledged records is in Java's explicit mode): they are released and run() fails with an
 * IllegalStateError.
 */
export async function deliverChunk(src: DeliverySource, chunk: AcquiredChunk, opts: ShareRunOptions): Promise<void> {
  if (opts.eachBatch) {
    const ctx: ShareBatchContext = {
      groupId: src.groupId,
      signal: chunk.controller.signal,
      acknowledge: (r, type) => src.acknowledge(r, type),
    };
    let threw = false;
    try {
      await opts.eachBatch({ topic: chunk.topic, partition: chunk.partition, records: chunk.records }, ctx);
    } catch (err) {
      threw = true;
      handlerFailed(src, chunk, chunk.records[0]!, err, 'eachBatch');
    }
    if (!threw) finish(src, chunk, chunk.records);
    return;
  }
  const eachMessage = opts.eachMessage!;
  for (const record of chunk.records) {
    if (chunk.abandoned || src.stopping) return;
    if (chunk.isSettled(record)) continue;
    const ctx: ShareHandlerContext = {
      groupId: src.groupId,
      signal: chunk.controller.signal,
      acknowledge: (type) => src.acknowledge(record, type),
    };
    let threw = false;
    try {
      await eachMessage(record, ctx);
    } catch (err) {
      threw = true;
      handlerFailed(src, chunk, record, err, 'eachMessage', [record]);
    }
    if (!threw) finish(src, chunk, [record]);
  }
}

/** After a handler returned: implicit mode accepts what it left; explicit mode requires it settled. */
function finish(src: DeliverySource, chunk: AcquiredChunk, records: ShareRecord[]): void {
  if (chunk.abandoned) return;
  const open = records.filter((r) => !chunk.isSettled(r));
  if (open.length === 0) return;
  if (src.mode === 'implicit') {
    for (const r of open) src.fetcher.acknowledge(r, 'accept');
    return;
  }
  const first = open[0]!;
  const err = new IllegalStateError(
    `acknowledgementMode is 'explicit' but the handler returned without acknowledging ${open.length} record(s), first ${first.topic}-${first.partition} offset ${first.offset}; they were released`,
  );
  // Stop fetching first: the release must not make room for the next fetch to acquire them again.
  src.fail(err);
  for (const r of open) src.fetcher.acknowledge(r, 'release');
  throw err;
}

/** A handler threw: release what it left unsettled, so the broker delivers it again. */
function handlerFailed(
  src: DeliverySource,
  chunk: AcquiredChunk,
  at: ShareRecord,
  err: unknown,
  which: string,
  records: ShareRecord[] = chunk.records,
): void {
  if (chunk.abandoned) return;
  let released = 0;
  for (const r of records) {
    if (chunk.isSettled(r)) continue;
    src.fetcher.acknowledge(r, 'release');
    released++;
  }
  src.logger.warn(`${which} handler failed; its unacknowledged records were released for redelivery`, {
    partition: `${at.topic}-${at.partition}`,
    offset: at.offset,
    deliveryCount: at.deliveryCount,
    released,
    error: err,
  });
}
