import { readInt32, readInt64 } from './internal.js';

/** baseOffset + batchLength: what precedes every batch or legacy message. */
const LOG_OVERHEAD = 12;

export interface BatchScan {
  /** Bytes from the start that hold whole batches (a partial trailing batch is cut off, KIP-74). */
  completeBytes: number;
  /** Whole batches found. */
  batches: number;
  /** Offset after the last whole batch (baseOffset + lastOffsetDelta + 1), or -1 if none. */
  nextOffset: number;
  /** partitionLeaderEpoch of the last whole batch (v2), -1 otherwise. */
  lastEpoch: number;
  /** True when the scan stopped at a header that cannot be valid (not merely cut off). */
  corrupt: boolean;
}

/**
 * Walks the batch headers of a `records` blob without decoding or checking anything: enough to know
 * where the next fetch starts and how much of the blob is whole. The consumer decodes (and verifies)
 * the batches later, when it delivers them, so only the chunk being delivered is ever expanded in
 * memory. A length that cannot be right (below the header size) ends the scan there; the decoder
 * reports it as corrupt when it reaches it.
 */
export function scanRecordBatches(data: Uint8Array): BatchScan {
  const n = data.length;
  let p = 0;
  let batches = 0;
  let nextOffset = -1;
  let lastEpoch = -1;
  let corrupt = false;
  while (n - p >= LOG_OVERHEAD) {
    const batchLength = readInt32(data, p + 8);
    if (batchLength < 14) {
      corrupt = true;
      break;
    }
    if (batchLength > n - p - LOG_OVERHEAD) break;
    const magic = data[p + 16]!;
    const base = readInt64(data, p);
    if (magic === 2) {
      if (batchLength < 49) {
        corrupt = true;
        break;
      }
      nextOffset = base + readInt32(data, p + 23) + 1;
      lastEpoch = readInt32(data, p + 12);
    } else {
      // Legacy message sets: a compressed wrapper carries the offset of its last inner message.
      nextOffset = base + 1;
      lastEpoch = -1;
    }
    batches++;
    p += LOG_OVERHEAD + batchLength;
  }
  return { completeBytes: p, batches, nextOffset, lastEpoch, corrupt };
}
