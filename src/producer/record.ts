import { ConfigError } from '../errors.js';
import type { Bytes, Message, MessageHeaders } from './types.js';

interface EncodedHeader {
  key: string;
  value: Uint8Array | null;
}

/**
 * One record as the producer holds it until its batch is encoded: key, value and headers already as
 * bytes (so later changes to the caller's objects do not matter), the timestamp fixed at `send`, and
 * the size of its encoded body. The shape matches `RecordToEncode`, so batches encode these directly.
 */
export interface ProducerRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: EncodedHeader[] | undefined;
  timestamp: number;
  /** Encoded bytes from the key length to the end (everything but length, attributes and deltas). */
  bodySize: number;
  /** Partition chosen by the caller, or -1. */
  partition: number;
}

/** Bytes of an unsigned varint. */
export function uvarintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes of a zig-zag varint/varlong of `v` (exact below 2^53). */
export function zigzagSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
  let n = v >= 0 ? v * 2 : -v * 2 - 1;
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** A record's full encoded size inside a batch, given its deltas (DefaultRecord.sizeInBytes). */
export function recordSize(bodySize: number, timestampDelta: number, offsetDelta: number): number {
  const inner = 1 + zigzagSize(timestampDelta) + uvarintSize(offsetDelta << 1) + bodySize;
  return uvarintSize(inner << 1) + inner;
}

function toBytes(v: Bytes | undefined, what: string): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return v;
  throw new ConfigError(what, `expected a Buffer, Uint8Array, string or null, got ${typeof v}`);
}

function bytesSize(b: Uint8Array | null): number {
  return b === null ? 1 : uvarintSize(b.length << 1) + b.length;
}

function toHeaders(h: MessageHeaders, what: string): EncodedHeader[] | undefined {
  const out: EncodedHeader[] = [];
  if (Array.isArray(h)) {
    for (let i = 0; i < h.length; i++) {
      const e = h[i] as { key: unknown; value: Bytes };
      if (typeof e?.key !== 'string') throw new ConfigError(`${what}[${i}].key`, 'expected a string');
      out.push({ key: e.key, value: toBytes(e.value, `${what}[${i}].value`) });
    }
  } else if (typeof h === 'object' && h !== null) {
    for (const key in h) {
      const v = (h as Record<string, Bytes | undefined>)[key];
      if (v !== undefined) out.push({ key, value: toBytes(v, `${what}.${key}`) });
    }
  } else {
    throw new ConfigError(what, 'expected an object or an array of { key, value }');
  }
  return out.length === 0 ? undefined : out;
}

/** Encoded bytes of a record from the key length on (key, value, headers). */
export function bodySizeOf(
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: ReadonlyArray<{ key: string; value: Uint8Array | null }> | undefined,
): number {
  let size = bytesSize(key) + bytesSize(value) + uvarintSize((headers?.length ?? 0) << 1);
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      const kl = Buffer.byteLength(h.key, 'utf8');
      size += uvarintSize(kl << 1) + kl + bytesSize(h.value);
    }
  }
  return size;
}

/** Converts one message; `index` names it in errors. */
export function toProducerRecord(m: Message, index: number, now: number): ProducerRecord {
  if (typeof m !== 'object' || m === null) throw new ConfigError(`messages[${index}]`, 'expected an object');
  const key = toBytes(m.key, `messages[${index}].key`);
  const value = toBytes(m.value, `messages[${index}].value`);
  const headers = m.headers === undefined ? undefined : toHeaders(m.headers, `messages[${index}].headers`);
  const bodySize = bodySizeOf(key, value, headers);
  let timestamp = now;
  if (m.timestamp !== undefined) {
    if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
      throw new ConfigError(
        `messages[${index}].timestamp`,
        `expected milliseconds since the epoch, got ${m.timestamp}`,
      );
    }
    timestamp = m.timestamp;
  }
  let partition = -1;
  if (m.partition !== undefined) {
    if (!Number.isInteger(m.partition) || m.partition < 0) {
      throw new ConfigError(`messages[${index}].partition`, `expected a partition number, got ${m.partition}`);
    }
    partition = m.partition;
  }
  return { key, value, headers, timestamp, bodySize, partition };
}

/** A Buffer view of bytes (no copy), for partitioners that expect Buffer methods. */
export function asBuffer(b: Uint8Array | null): Buffer | null {
  if (b === null || Buffer.isBuffer(b)) return b as Buffer | null;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
