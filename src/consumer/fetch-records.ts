import type { FetchResponseAbortedTransaction } from '../protocol/generated/index.js';
import { decodeRecordBatches } from '../protocol/records/decode.js';
import type { PartitionState } from './partition-state.js';
import type { ConsumerRecord } from './record.js';

export interface DecodedFetch {
  records: ConsumerRecord[];
  /** Offset to fetch next: after the last complete batch (even when it held nothing for us). */
  nextOffset: number;
  /** Leader epoch of the last complete batch. */
  lastEpoch: number;
}

/**
 * Turns one partition's `records` blob into the records the application sees:
 *  - control batches (transaction markers) are skipped, their offsets still consumed;
 *  - under read_committed, batches of aborted transactions are dropped (Java's CompletedFetch
 *    logic: an aborted transaction becomes active at its first offset and ends at its ABORT marker);
 *  - records below the fetch offset (a compressed batch can start earlier) are dropped;
 *  - a partial trailing batch is normal (KIP-74) and is fetched again next time.
 * A corrupt batch after good ones: the good records are returned, then the error is thrown on the
 * next fetch of that offset — nothing is skipped.
 */
export function toConsumerRecords(
  state: PartitionState,
  data: Buffer,
  aborted: FetchResponseAbortedTransaction[] | null,
  o: { isolationLevel: 0 | 1; checkCrcs: boolean },
): DecodedFetch {
  const fetchOffset = state.position;
  const decoded = decodeRecordBatches(data, {
    topic: state.topic,
    partition: state.partition,
    verifyCrc: o.checkCrcs,
    partialOnError: true,
  });
  if (decoded.error && decoded.batches.length === 0) throw decoded.error;

  const txns =
    o.isolationLevel === 1 && aborted?.length
      ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
      : null;
  let nextTxn = 0;
  const abortedProducers = new Set<number>();
  const records: ConsumerRecord[] = [];
  let nextOffset = fetchOffset;
  let lastEpoch = state.lastFetchedEpoch;
  const { topic, partition } = state;

  for (const batch of decoded.batches) {
    const last = batch.baseOffset + batch.lastOffsetDelta;
    nextOffset = last + 1;
    lastEpoch = batch.partitionLeaderEpoch;
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
    const epoch = batch.partitionLeaderEpoch;
    for (const r of batch.records) {
      if (r.offset < fetchOffset) continue;
      records.push({
        topic,
        partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
        leaderEpoch: epoch,
      });
    }
  }
  return { records, nextOffset, lastEpoch };
}
