import type { SluiceError } from '../errors.js';
import { decodeRecordBatches } from '../protocol/records/decode.js';
import type { FetchedChunk } from './partition-state.js';
import type { ConsumerRecord } from './record.js';

/**
 * Decodes a chunk's batches into the records the application sees (on delivery, not on fetch):
 *  - control batches (transaction markers) are skipped;
 *  - under read_committed, batches of aborted transactions are dropped (Java's CompletedFetch
 *    logic: an aborted transaction becomes active at its first offset and ends at its ABORT marker);
 *  - records below the fetch offset (a compressed batch can start earlier) are dropped.
 * A corrupt batch after good ones: the good records are returned with the error, which the consumer
 * raises once they are processed — nothing after it is skipped or committed.
 */
export function decodeChunk(
  topic: string,
  partition: number,
  chunk: FetchedChunk,
  o: { isolationLevel: 0 | 1; checkCrcs: boolean },
): { records: ConsumerRecord[]; error: SluiceError | undefined } {
  const data = chunk.data;
  if (!data) return { records: [], error: undefined };
  const decoded = decodeRecordBatches(data, { topic, partition, verifyCrc: o.checkCrcs, partialOnError: true });
  const aborted = chunk.aborted;
  const txns =
    o.isolationLevel === 1 && aborted?.length
      ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
      : null;
  let nextTxn = 0;
  const abortedProducers = new Set<number>();
  let records: ConsumerRecord[] = [];
  const fetchOffset = chunk.fetchOffset;

  for (const batch of decoded.batches) {
    const last = batch.baseOffset + batch.lastOffsetDelta;
    if (txns && batch.isTransactional) {
      while (nextTxn < txns.length && Number(txns[nextTxn]!.firstOffset) <= last) {
        abortedProducers.add(Number(txns[nextTxn]!.producerId));
        nextTxn++;
      }
    }
    if (batch.isControl) {
      if (batch.control?.type === 'ABORT') abortedProducers.delete(batch.producerId);
      continue;
    }
    if (txns && batch.isTransactional && abortedProducers.has(batch.producerId)) continue;
    // The decoder already built the records the application gets; only those below the fetch
    // offset (a compressed batch can start earlier) are left out.
    const list = batch.records;
    if (batch.baseOffset >= fetchOffset && records.length === 0) {
      records = list;
      continue;
    }
    for (const r of list) if (r.offset >= fetchOffset) records.push(r);
  }
  return { records, error: decoded.error };
}
