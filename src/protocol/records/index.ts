/** Record batches: encode/decode of magic 2 (and decode of legacy magic 0/1), CRC-32C, control records. */
export { parseControlRecord, transactionMarkerRecord } from './control.js';
export {
  type Crc32cImplementation,
  crc32c,
  crc32cImplementation,
  crc32cJs,
  useCrc32cImplementation,
} from './crc32c.js';
export { decodeRecordBatches } from './decode.js';
export { encodeRecordBatch } from './encode.js';
export { type BatchLocation, CorruptRecordError, UnsupportedRecordFormatError } from './errors.js';
export { EMPTY_HEADERS } from './internal.js';
export { crc32 } from './legacy.js';
export {
  BatchAttributes,
  type BatchToEncode,
  type ControlRecord,
  type ControlRecordTypeName,
  ControlRecordTypes,
  type DecodeContext,
  type DecodedRecords,
  type KafkaRecord,
  nextOffset,
  type RecordBatch,
  type RecordHeader,
  type RecordToEncode,
  type TimestampType,
  TimestampTypes,
} from './types.js';
