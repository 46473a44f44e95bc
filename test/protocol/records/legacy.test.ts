/** Legacy message sets (magic 0 and 1), built by hand from the format in implementation.html. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCodec } from '../../../src/protocol/compression/index.js';
import { CorruptRecordError, crc32, decodeRecordBatches } from '../../../src/protocol/records/index.js';

const ctx = { topic: 'old', partition: 0 };

function bytes(v: Buffer | null): Buffer {
  if (v === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(v.length);
  return Buffer.concat([len, v]);
}

function message(
  magic: 0 | 1,
  offset: number,
  attributes: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigInt64BE(BigInt(timestamp));
  const body = Buffer.concat([
    Buffer.from([magic, attributes]),
    magic === 1 ? ts : Buffer.alloc(0),
    bytes(key),
    bytes(value),
  ]);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(offset));
  head.writeInt32BE(4 + body.length, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

describe('legacy message sets (magic 0 and 1)', () => {
  it('CRC-32 (IEEE) known vector', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('decodes uncompressed v0 and v1 messages, one batch each', () => {
    const set = Buffer.concat([
      message(0, 0, 0, -1, Buffer.from('k0'), Buffer.from('v0')),
      message(1, 1, 0, 1_600_000_000_000, null, Buffer.from('v1')),
      message(1, 2, 0, 1_600_000_000_001, Buffer.from('k2'), null),
    ]);
    const { batches, truncatedBytes } = decodeRecordBatches(set, ctx);
    assert.equal(truncatedBytes, 0);
    assert.deepEqual(
      batches.map((b) => [b.magic, b.baseOffset, b.producerId, b.records.length]),
      [
        [0, 0, -1, 1],
        [1, 1, -1, 1],
        [1, 2, -1, 1],
      ],
    );
    const records = batches.flatMap((b) => b.records);
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]),
      [
        [0, -1, 'k0', 'v0'],
        [1, 1_600_000_000_000, null, 'v1'],
        [2, 1_600_000_000_001, 'k2', null],
      ],
    );
  });

  it('decodes a compressed v1 wrapper: relative inner offsets, wrapper holds the last absolute one', () => {
    for (const codec of [1, 2, 3]) {
      const inner = Buffer.concat(
        [0, 1, 2].map((i) => message(1, i, 0, 1_600_000_000_000 + i, Buffer.from(`k${i}`), Buffer.from(`v${i}`))),
      );
      const wrapper = message(1, 102, codec, 1_600_000_000_002, null, getCodec(codec).compress(inner));
      const [batch] = decodeRecordBatches(wrapper, ctx).batches;
      assert.equal(batch!.compression, codec);
      assert.deepEqual(
        batch!.records.map((r) => [r.offset, r.timestamp, r.value!.toString()]),
        [
          [100, 1_600_000_000_000, 'v0'],
          [101, 1_600_000_000_001, 'v1'],
          [102, 1_600_000_000_002, 'v2'],
        ],
      );
      assert.equal(batch!.lastOffsetDelta, 2);
    }
  });

  it('v1 LogAppendTime wrappers give every inner message the wrapper timestamp', () => {
    const inner = Buffer.concat([0, 1].map((i) => message(1, i, 0, 5 + i, null, Buffer.from('x'))));
    const wrapper = message(1, 11, 1 | 0x08, 9_999, null, getCodec(1).compress(inner));
    const [batch] = decodeRecordBatches(wrapper, ctx).batches;
    assert.equal(batch!.timestampType, 1);
    assert.deepEqual(
      batch!.records.map((r) => [r.offset, r.timestamp]),
      [
        [10, 9_999],
        [11, 9_999],
      ],
    );
  });

  it('decodes a compressed v0 wrapper (absolute inner offsets)', () => {
    const inner = Buffer.concat([7, 8].map((o) => message(0, o, 0, -1, null, Buffer.from(`m${o}`))));
    const [batch] = decodeRecordBatches(message(0, 8, 1, -1, null, getCodec(1).compress(inner)), ctx).batches;
    assert.deepEqual(
      batch!.records.map((r) => r.offset),
      [7, 8],
    );
  });

  it('a bad CRC-32 is a CorruptRecordError; a truncated message is left over', () => {
    const m = message(1, 5, 0, 1, null, Buffer.from('payload'));
    const bad = Buffer.from(m);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    assert.throws(
      () => decodeRecordBatches(bad, ctx),
      (e: unknown) => e instanceof CorruptRecordError && e.offset === 5 && /CRC-32 mismatch/.test(e.message),
    );
    assert.equal(decodeRecordBatches(bad, { ...ctx, verifyCrc: false }).batches.length, 1);
    assert.deepEqual(decodeRecordBatches(m.subarray(0, m.length - 1), ctx), {
      batches: [],
      truncatedBytes: m.length - 1,
    });
  });
});
