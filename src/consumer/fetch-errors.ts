// Fetch responses the consumer cannot use as they are: partition errors it rides out, and blobs without a whole batch.
import { backoffDelay } from '../cluster/backoff.js';
import { SluiceError } from '../errors.js';
import { decodeRecordBatches } from '../protocol/records/decode.js';
import { CorruptRecordError } from '../protocol/records/errors.js';
import { type BatchScan, scanRecordBatches } from '../protocol/records/scan.js';
import type { TopicPartition } from './topic-partition.js';

/**
 * Partition-level Fetch errors the consumer rides out, as Java's fetcher does (FetchCollector): the
 * partition backs off and is fetched again, after a metadata refresh where leadership may have moved.
 * Any other code (authorization, CORRUPT_MESSAGE, codes this client does not know) stops the consumer.
 */
export const RETRY_PARTITION = new Map<number, { refresh: boolean }>([
  [-1, { refresh: false }], // UNKNOWN_SERVER_ERROR: Java logs and retries
  [3, { refresh: true }], // UNKNOWN_TOPIC_OR_PARTITION: metadata not yet on this broker, or moved
  [5, { refresh: true }], // LEADER_NOT_AVAILABLE
  [6, { refresh: true }], // NOT_LEADER_OR_FOLLOWER
  [9, { refresh: true }], // REPLICA_NOT_AVAILABLE
  [56, { refresh: true }], // KAFKA_STORAGE_ERROR
  [74, { refresh: true }], // FENCED_LEADER_EPOCH
  [75, { refresh: false }], // UNKNOWN_LEADER_EPOCH: our metadata is ahead of the broker's
  [78, { refresh: true }], // OFFSET_NOT_AVAILABLE
  [100, { refresh: true }], // UNKNOWN_TOPIC_ID
  [103, { refresh: true }], // INCONSISTENT_TOPIC_ID: the topic was recreated; look it up again
]);

/** Java's fetcher backs a failing partition off by retry.backoff.ms; we add the exponential part (KIP-580). */
export function partitionBackoff(failures: number, o: { retryBackoffMs: number; retryBackoffMaxMs: number }): number {
  return backoffDelay(failures, { initialMs: o.retryBackoffMs, maxMs: o.retryBackoffMaxMs });
}

/**
 * Reads the batch headers of a partition's records blob (nothing is decoded or verified until
 * delivery) and checks what the headers alone can show: at least one whole batch, batches ending past
 * the fetch position (else the position would never advance and the same records would be delivered
 * forever) and below the high watermark (a consumer's fetch never returns more). Offsets are not
 * covered by the batch CRC, so these checks are what catches a corrupt base offset.
 */
export function scanFetched(
  state: TopicPartition,
  records: Buffer,
  fetchOffset: number,
  highWatermark: number,
): BatchScan | Error {
  const scan = scanRecordBatches(records);
  if (scan.batches === 0) return noWholeBatchError(state, fetchOffset, records, scan.corrupt);
  const at = { topic: state.topic, partition: state.partition, offset: fetchOffset };
  if (highWatermark >= 0 && scan.nextOffset > highWatermark) {
    return new PastHighWatermarkError(
      at,
      `the fetched batches end at offset ${scan.nextOffset - 1}, past the high watermark ${highWatermark}`,
    );
  }
  if (scan.nextOffset <= fetchOffset) {
    return new CorruptRecordError(
      at,
      `the fetched batches end at offset ${scan.nextOffset - 1}, below the fetch position ${fetchOffset}: the position would not advance`,
    );
  }
  return scan;
}

/**
 * Batches ending past the response's high watermark. Corrupt only if it persists: Kafka takes the
 * watermark it reports before it reads the log (Partition.readRecords), so under concurrent appends
 * a sound response can end past it. The fetcher fetches again a few times before reporting it.
 */
export class PastHighWatermarkError extends CorruptRecordError {}

/** Consecutive responses past the high watermark before it counts as corruption (each refetch sees a newer one). */
export const PAST_HIGH_WATERMARK_REFETCHES = 3;

/** Why a non-empty `records` blob held no whole batch: a corrupt header, or a batch over the fetch limit. */
function noWholeBatchError(state: TopicPartition, position: number, records: Buffer, corrupt: boolean): Error {
  if (corrupt) {
    try {
      decodeRecordBatches(records, { topic: state.topic, partition: state.partition });
    } catch (err) {
      return err as Error;
    }
  }
  return new SluiceError(
    `${state.topic}-${state.partition}: the record batch at offset ${position} is larger than maxPartitionFetchBytes allows (${records.length} bytes returned)`,
    { code: 'RECORD_TOO_LARGE' },
  );
}
