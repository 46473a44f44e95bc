import type { KafkaRecord, RecordHeader } from '../protocol/records/types.js';

export type { RecordHeader };

/**
 * One record as the consumer delivers it: topic, partition, offset, timestamp, key, value, headers
 * and the leader epoch of its batch. `key`, `value` and header values are zero-copy views of the
 * fetched bytes: copy them (`Buffer.from(v)`) to keep them beyond the handler without pinning the
 * whole fetch response in memory.
 */
export type ConsumerRecord = KafkaRecord;
