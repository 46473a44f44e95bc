/**
 * Legacy message sets, magic 0 and 1 (Kafka < 0.11; implementation.html "Old Message Format",
 * `LegacyRecord.java`, `AbstractLegacyRecordBatch.java`). Brokers 4.x no longer down-convert, but old
 * segments can still hold them, and Java 4.x still reads them, so we do too. Each shallow message
 * becomes one {@link RecordBatch} (magic 0/1, no producer id), as Java presents them.
 *
 *   offset int64 | size int32 | crc uint32 (CRC-32 IEEE of the rest) | magic int8 | attributes int8
 *   | timestamp int64 (magic 1 only) | key int32-length bytes | value int32-length bytes
 *
 * A compressed message's value is an inner message set. For magic 1 wrappers the inner offsets are
 * relative and the wrapper carries the last absolute offset (KIP-31); for magic 0 they are absolute.
 */
import * as zlib from 'node:zlib';
import type { CompressionId } from '../compression/codec.js';
import { UnsupportedCompressionError } from '../compression/codec.js';
import { getCodec } from '../compression/index.js';
import { bad, EMPTY_HEADERS, readInt32, readInt64 } from './internal.js';
import type { DecodeContext, KafkaRecord, RecordBatch, TimestampType } from './types.js';

// CRC-32 (IEEE): node:zlib has it from Node 20.15 / 22.2; a byte table otherwise.
const zlibCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
let table: Int32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (zlibCrc32 !== undefined) return zlibCrc32(data) >>> 0;
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
      table[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A record of a legacy message: no headers, no leader epoch. */
function record(
  ctx: DecodeContext,
  offset: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): KafkaRecord {
  return {
    topic: ctx.topic,
    partition: ctx.partition,
    offset,
    timestamp,
    key,
    value,
    headers: EMPTY_HEADERS,
    leaderEpoch: -1,
  };
}

interface Message {
  offset: number;
  crc: number;
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Parses the message at `b[p, p + 12 + size)`, checking its CRC when asked. */
function parseMessage(b: Buffer, p: number, size: number, verify: boolean): Message {
  const end = p + 12 + size;
  const magic = b[p + 16]!;
  // crc 4 + magic 1 + attributes 1 (+ timestamp 8) + key length 4 + value length 4
  const minSize = magic === 0 ? 14 : 22;
  if (size < minSize) bad(`message size ${size} is below the magic ${magic} minimum`);
  const crc = readInt32(b, p + 12) >>> 0;
  if (verify) {
    const computed = crc32(b.subarray(p + 16, end));
    if (computed !== crc) bad(`CRC-32 mismatch: stored 0x${crc.toString(16)}, computed 0x${computed.toString(16)}`);
  }
  let q = p + 18;
  const timestamp = magic === 0 ? -1 : readInt64(b, q);
  if (magic !== 0) q += 8;
  const bytes = (): Buffer | null => {
    if (end - q < 4) bad('truncated length');
    const n = readInt32(b, q);
    q += 4;
    if (n === -1) return null;
    if (n < 0 || n > end - q) bad(`invalid length ${n}`);
    q += n;
    return b.subarray(q - n, q);
  };
  const key = bytes();
  const value = bytes();
  if (q !== end) bad(`${end - q} bytes after the message value`);
  return { offset: readInt64(b, p), crc, magic, attributes: b[p + 17]!, timestamp, key, value };
}

/** Decodes the legacy message at `data[p, p + 12 + size)` into a batch of one or more records. */
export function decodeLegacyMessage(
  data: Buffer,
  p: number,
  size: number,
  ctx: DecodeContext,
  verify: boolean,
): RecordBatch {
  const m = parseMessage(data, p, size, verify);
  const codec = m.attributes & 7;
  const timestampType = (m.magic === 1 ? (m.attributes >>> 3) & 1 : 0) as TimestampType;
  let records: KafkaRecord[];
  if (codec === 0) {
    records = [record(ctx, m.offset, m.timestamp, m.key, m.value)];
  } else {
    if (codec > 4)
      throw new UnsupportedCompressionError(codec, undefined, {
        topic: ctx.topic,
        partition: ctx.partition,
        offset: m.offset,
      });
    if (m.value === null) bad('compressed message has a null value');
    const inner = getCodec(codec).decompress(m.value, ctx.maxBatchBytes ?? 64 * 1024 * 1024);
    records = [];
    for (let q = 0; q < inner.length; ) {
      if (inner.length - q < 12) bad('truncated inner message');
      const innerSize = readInt32(inner, q + 8);
      if (innerSize < 14 || innerSize > inner.length - q - 12) bad(`inner message size ${innerSize}`);
      const im = parseMessage(inner, q, innerSize, verify);
      if ((im.attributes & 7) !== 0) bad('nested compressed message');
      if (im.magic !== m.magic) bad(`inner magic ${im.magic} differs from the wrapper's ${m.magic}`);
      const timestamp = timestampType === 1 ? m.timestamp : im.timestamp;
      records.push(record(ctx, im.offset, timestamp, im.key, im.value));
      q += 12 + innerSize;
    }
    if (records.length === 0) bad('compressed message holds no messages');
    if (m.magic === 1) {
      // Inner offsets are relative; the wrapper holds the absolute offset of the last one.
      const base = m.offset - records[records.length - 1]!.offset;
      for (const r of records) r.offset += base;
    }
  }
  const first = records[0]!;
  let maxTimestamp = first.timestamp;
  for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  return {
    baseOffset: first.offset,
    batchLength: size,
    partitionLeaderEpoch: -1,
    magic: m.magic,
    crc: m.crc,
    attributes: m.attributes,
    compression: codec as CompressionId,
    timestampType,
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    lastOffsetDelta: records[records.length - 1]!.offset - first.offset,
    baseTimestamp: first.timestamp,
    maxTimestamp,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: records.length,
    records,
    control: null,
  };
}
