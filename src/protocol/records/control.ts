/**
 * Control records (KIP-98; implementation.html §5.3.1.1): the single record of a control batch.
 * Key = int16 version, int16 type (`ControlRecordType.java`); for ABORT/COMMIT the value is an
 * EndTxnMarker = int16 version, int32 coordinatorEpoch (`EndTransactionMarker.java`). Types 2-6 are
 * KRaft-internal and their values are opaque to clients.
 */
import type { ControlRecord, ControlRecordTypeName, RecordToEncode } from './types.js';
import { ControlRecordTypes } from './types.js';

const NAMES: readonly ControlRecordTypeName[] = [
  'ABORT',
  'COMMIT',
  'LEADER_CHANGE',
  'SNAPSHOT_HEADER',
  'SNAPSHOT_FOOTER',
  'KRAFT_VERSION',
  'KRAFT_VOTERS',
];

/**
 * Parses a control record; returns a reason string instead when it is malformed (the caller turns it
 * into a CorruptRecordError with the batch location).
 */
export function parseControlRecord(
  key: Buffer | null,
  value: Buffer | null,
  offset: number,
  timestamp: number,
): ControlRecord | string {
  // Java (`ControlRecordType.parseTypeId`) requires at least the 4-byte v0 key and a non-negative
  // version; later key versions may append fields, which we ignore as Java does.
  if (key === null || key.length < 4) return `control record key has ${key?.length ?? 'null'} bytes, needs 4`;
  const version = key.readInt16BE(0);
  if (version < 0) return `control record key version ${version} is negative`;
  const typeId = key.readInt16BE(2);
  const type = NAMES[typeId] ?? 'UNKNOWN';
  let coordinatorEpoch = -1;
  if (typeId === ControlRecordTypes.ABORT || typeId === ControlRecordTypes.COMMIT) {
    if (value === null || value.length < 6)
      return `transaction marker value has ${value?.length ?? 'null'} bytes, needs 6`;
    if (value.readInt16BE(0) < 0) return 'transaction marker version is negative';
    coordinatorEpoch = value.readInt32BE(2);
  }
  return { type, typeId, version, coordinatorEpoch, offset, timestamp };
}

/**
 * The record of a transaction-marker control batch (what a broker writes on EndTxn); encode it with
 * `control: true, transactional: true` and the producer's id and epoch. For tests and fake brokers.
 */
export function transactionMarkerRecord(
  type: 'ABORT' | 'COMMIT',
  coordinatorEpoch: number,
  timestamp?: number,
): RecordToEncode {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(ControlRecordTypes[type], 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return timestamp === undefined ? { key, value } : { key, value, timestamp };
}
