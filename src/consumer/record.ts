import type { RecordHeader } from '../protocol/records/types.js';

export type { RecordHeader };

/**
 * One record as the consumer delivers it. `key`, `value` and header values are zero-copy views of
 * the fetched bytes: copy them (`Buffer.from(v)`) to keep them beyond the handler without pinning
 * the whole fetch response in memory.
 */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch (create time, or the broker's append time for LogAppendTime topics). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
  /** Leader epoch of the batch the record came in (KIP-320), -1 if unknown. */
  leaderEpoch: number;
}
