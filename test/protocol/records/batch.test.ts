import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { UnsupportedCompressionError } from '../../../src/protocol/compression/index.js';
import {
  type BatchToEncode,
  CorruptRecordError,
  decodeRecordBatches,
  EMPTY_HEADERS,
  encodeRecordBatch,
  nextOffset,
  type RecordToEncode,
  transactionMarkerRecord,
  UnsupportedRecordFormatError,
} from '../../../src/protocol/records/index.js';
import { Writer } from '../../../src/protocol/writer.js';

const ctx = { topic: 'orders', partition: 3 };
const T0 = 1_700_000_000_000;

function encode(...batches: BatchToEncode[]): Buffer {
  const w = new Writer(16);
  for (const b of batches) encodeRecordBatch(w, b);
  return Buffer.from(w.view());
}

const sample: RecordToEncode[] = [
  { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
  { key: null, value: Buffer.from('null key'), timestamp: T0 + 5 },
  { key: Buffer.from('tombstone'), value: null, timestamp: T0 + 1 },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: T0 + 2 },
  {
    key: Buffer.from('h'),
    value: Buffer.from('with headers'),
    timestamp: T0 + 3,
    headers: [
      { key: 'trace', value: Buffer.from('abc') },
      { key: 'null-value', value: null },
      { key: 'ключ ✓', value: Buffer.from('значение') },
      { key: '', value: Buffer.alloc(0) },
    ],
  },
  { key: Buffer.from('big'), value: Buffer.alloc(300_000, 'x'), timestamp: T0 + 4 },
];

function assertRecords(
  actual: ReturnType<typeof decodeRecordBatches>['batches'][number]['records'],
  expected: RecordToEncode[],
  baseOffset: number,
) {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    const r = actual[i]!;
    assert.equal(r.offset, baseOffset + (e.offsetDelta ?? i));
    assert.equal(r.timestamp, e.timestamp);
    assert.deepEqual(r.key, e.key === undefined || e.key === null ? null : Buffer.from(e.key));
    assert.deepEqual(r.value, e.value === null ? null : Buffer.from(e.value));
    assert.deepEqual(
      r.headers.map((h) => [h.key, h.value]),
      (e.headers ?? []).map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]),
    );
  });
}

describe('record batch v2 round trip', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`keys, values, nulls and headers with ${compression}`, () => {
      const blob = encode({ compression, baseOffset: 1000, records: sample });
      const { batches, truncatedBytes } = decodeRecordBatches(blob, ctx);
      assert.equal(truncatedBytes, 0);
      assert.equal(batches.length, 1);
      const b = batches[0]!;
      assert.equal(b.compression, ['none', 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(compression));
      assert.equal(b.batchLength, blob.length - 12);
      assert.equal(b.baseTimestamp, T0);
      assert.equal(b.maxTimestamp, T0 + 5);
      assert.equal(b.lastOffsetDelta, sample.length - 1);
      assert.equal(nextOffset(b), 1000 + sample.length);
      assertRecords(b.records, sample, 1000);
    });
  }

  it('every header field and attribute bit', () => {
    const blob = encode({
      baseOffset: 2 ** 40 + 7,
      partitionLeaderEpoch: 42,
      compression: 'lz4',
      timestampType: 1,
      transactional: true,
      deleteHorizon: true,
      producerId: 2 ** 45 + 3,
      producerEpoch: 32000,
      baseSequence: 2 ** 31 - 10,
      baseTimestamp: T0 - 1,
      records: [
        { value: Buffer.from('a'), timestamp: T0 + 9, offsetDelta: 0 },
        { value: Buffer.from('b'), timestamp: T0, offsetDelta: 5 },
      ],
    });
    const b = decodeRecordBatches(blob, ctx).batches[0]!;
    assert.equal(b.baseOffset, 2 ** 40 + 7);
    assert.equal(b.partitionLeaderEpoch, 42);
    assert.equal(b.magic, 2);
    assert.equal(b.attributes, 3 | 0x08 | 0x10 | 0x40);
    assert.equal(b.timestampType, 1);
    assert.equal(b.isTransactional, true);
    assert.equal(b.isControl, false);
    assert.equal(b.hasDeleteHorizon, true);
    assert.equal(b.producerId, 2 ** 45 + 3);
    assert.equal(b.producerEpoch, 32000);
    assert.equal(b.baseSequence, 2 ** 31 - 10);
    assert.equal(b.lastOffsetDelta, 5);
    assert.equal(b.baseTimestamp, T0 - 1);
    assert.equal(b.maxTimestamp, T0 + 9);
    assert.equal(b.recordCount, 2);
    // LogAppendTime: every record carries the batch's max timestamp (the broker's append time).
    assert.deepEqual(
      b.records.map((r) => [r.offset, r.timestamp]),
      [
        [2 ** 40 + 7, T0 + 9],
        [2 ** 40 + 12, T0 + 9],
      ],
    );
  });

  it('defaults: not idempotent, CreateTime, leader epoch -1, timestamps now', () => {
    const before = Date.now();
    const b = decodeRecordBatches(encode({ records: [{ value: Buffer.from('x') }] }), ctx).batches[0]!;
    assert.deepEqual(
      [b.baseOffset, b.partitionLeaderEpoch, b.producerId, b.producerEpoch, b.baseSequence],
      [0, -1, -1, -1, -1],
    );
    assert.equal(b.attributes, 0);
    assert.ok(b.records[0]!.timestamp >= before && b.records[0]!.timestamp <= Date.now());
    assert.equal(b.records[0]!.key, null);
    assert.equal(b.records[0]!.headers, EMPTY_HEADERS);
  });

  it('timestamp deltas beyond 32 bits and negative ones (varlong)', () => {
    const records = [T0, T0 - 5, T0 + 2 ** 40, T0 - 2 ** 33, 0].map((timestamp) => ({ value: null, timestamp }));
    const b = decodeRecordBatches(encode({ records }), ctx).batches[0]!;
    assert.deepEqual(
      b.records.map((r) => r.timestamp),
      records.map((r) => r.timestamp),
    );
    assert.equal(b.maxTimestamp, T0 + 2 ** 40);
  });

  it('a batch compacted empty: no records, offsets still advance', () => {
    for (const compression of ['none', 'gzip'] as const) {
      const blob = encode({ compression, baseOffset: 50, records: [] });
      const b = decodeRecordBatches(blob, ctx).batches[0]!;
      assert.equal(b.recordCount, 0);
      assert.deepEqual(b.records, []);
    }
  });

  it('keys and values are zero-copy Buffer views of the input', () => {
    const blob = encode({ records: sample.slice(0, 1) });
    const r = decodeRecordBatches(blob, ctx).batches[0]!.records[0]!;
    assert.ok(Buffer.isBuffer(r.value) && r.value instanceof Buffer);
    assert.equal(r.value.constructor, Buffer);
    assert.equal(r.value.buffer, blob.buffer);
    assert.equal(inspect(r.value), '<Buffer 76 31>');
    assert.equal(r.value.toString(), 'v1');
    assert.ok(Buffer.isBuffer(r.value.subarray(1)));
  });

  it('several batches in one blob, some compressed', () => {
    const a = { baseOffset: 0, records: sample.slice(0, 2) };
    const b = { baseOffset: 2, compression: 'snappy' as const, records: sample.slice(2, 5) };
    const c = { baseOffset: 5, compression: 'zstd' as const, records: sample.slice(5) };
    const { batches } = decodeRecordBatches(encode(a, b, c), ctx);
    assert.equal(batches.length, 3);
    assertRecords(
      batches.flatMap((x) => x.records),
      sample,
      0,
    );
  });
});

describe('truncated, corrupt and unknown batches', () => {
  const one = encode({ baseOffset: 0, records: sample.slice(0, 3) });
  const two = encode({ baseOffset: 3, compression: 'gzip', records: sample.slice(3, 5) });
  const blob = Buffer.concat([one, two]);

  it('a truncated last batch is normal: returns the complete ones and the leftover size', () => {
    for (let cut = 1; cut < two.length; cut++) {
      const { batches, truncatedBytes } = decodeRecordBatches(blob.subarray(0, one.length + cut), ctx);
      assert.equal(batches.length, 1, `cut ${cut}`);
      assert.equal(truncatedBytes, cut);
    }
    assert.deepEqual(decodeRecordBatches(blob.subarray(0, 20), ctx), { batches: [], truncatedBytes: 20 });
  });

  it('a length larger than the data (e.g. above fetch.max.bytes) is a truncation', () => {
    const huge = Buffer.from(one);
    huge.writeInt32BE(0x7fffffff, 8);
    assert.deepEqual(decodeRecordBatches(huge, ctx), { batches: [], truncatedBytes: huge.length });
  });

  it('a CRC mismatch is a CorruptRecordError naming topic, partition and offset', () => {
    const bad = Buffer.from(blob);
    bad.writeUInt8(bad.readUInt8(one.length + 70) ^ 0x10, one.length + 70); // inside the second batch's compressed records
    assert.throws(
      () => decodeRecordBatches(bad, ctx),
      (e: unknown) =>
        e instanceof CorruptRecordError &&
        e.code === 'CORRUPT_RECORD' &&
        e.topic === 'orders' &&
        e.partition === 3 &&
        e.offset === 3 &&
        /CRC-32C mismatch/.test(e.message) &&
        /topic orders partition 3 at offset 3/.test(e.message),
    );
  });

  it('partialOnError returns the good batches before the bad one, and the error', () => {
    const bad = Buffer.from(blob);
    bad.writeUInt8(bad.readUInt8(one.length + 70) ^ 0x10, one.length + 70);
    const result = decodeRecordBatches(bad, { ...ctx, partialOnError: true });
    assert.equal(result.batches.length, 1);
    assert.ok(result.error instanceof CorruptRecordError && result.error.offset === 3);
  });

  it('the partition leader epoch is not covered by the CRC', () => {
    const moved = Buffer.from(one);
    moved.writeInt32BE(99, 12);
    assert.equal(decodeRecordBatches(moved, ctx).batches[0]!.partitionLeaderEpoch, 99);
  });

  it('verifyCrc: false skips the check', () => {
    const bad = Buffer.from(one);
    bad.writeUInt32BE(0xdeadbeef, 17);
    assert.throws(() => decodeRecordBatches(bad, ctx), CorruptRecordError);
    assert.equal(decodeRecordBatches(bad, { ...ctx, verifyCrc: false }).batches[0]!.crc, 0xdeadbeef);
  });

  it('an unknown codec id is UnsupportedCompressionError with the id and location', () => {
    for (const id of [5, 6, 7]) {
      const bad = Buffer.from(one);
      bad.writeInt16BE(id, 21);
      assert.throws(
        () => decodeRecordBatches(bad, { ...ctx, verifyCrc: false }),
        (e: unknown) =>
          e instanceof UnsupportedCompressionError && e.codecId === id && e.offset === 0 && e.topic === 'orders',
      );
    }
  });

  it('an unknown magic is UnsupportedRecordFormatError', () => {
    const bad = Buffer.from(one);
    bad[16] = 3;
    assert.throws(
      () => decodeRecordBatches(bad, ctx),
      (e: unknown) => e instanceof UnsupportedRecordFormatError && e.magic === 3 && e.partition === 3,
    );
  });

  it('inconsistent lengths and counts are CorruptRecordError', () => {
    const cases: Array<[string, (b: Buffer) => void]> = [
      ['batch length below the header', (b) => b.writeInt32BE(20, 8)],
      ['negative batch length', (b) => b.writeInt32BE(-5, 8)],
      ['record count too high', (b) => b.writeInt32BE(4, 57)],
      ['record count too low', (b) => b.writeInt32BE(2, 57)],
      ['negative record count', (b) => b.writeInt32BE(-1, 57)],
    ];
    for (const [what, mutate] of cases) {
      const bad = Buffer.from(one);
      mutate(bad);
      assert.throws(() => decodeRecordBatches(bad, { ...ctx, verifyCrc: false }), CorruptRecordError, what);
    }
  });
});

describe('control batches', () => {
  it('decode COMMIT and ABORT markers into a typed form, with no data records', () => {
    const markers = encode(
      {
        baseOffset: 10,
        control: true,
        transactional: true,
        producerId: 7,
        producerEpoch: 1,
        records: [transactionMarkerRecord('COMMIT', 5, T0)],
      },
      {
        baseOffset: 11,
        control: true,
        transactional: true,
        producerId: 8,
        producerEpoch: 0,
        records: [transactionMarkerRecord('ABORT', 6, T0 + 1)],
      },
    );
    const [commit, abort] = decodeRecordBatches(markers, ctx).batches;
    assert.deepEqual(commit!.control, {
      type: 'COMMIT',
      typeId: 1,
      version: 0,
      coordinatorEpoch: 5,
      offset: 10,
      timestamp: T0,
    });
    assert.deepEqual(abort!.control, {
      type: 'ABORT',
      typeId: 0,
      version: 0,
      coordinatorEpoch: 6,
      offset: 11,
      timestamp: T0 + 1,
    });
    assert.deepEqual(commit!.records, []);
    assert.equal(commit!.isControl, true);
    assert.equal(commit!.recordCount, 1);
    assert.equal(nextOffset(abort!), 12);
  });

  it('KRaft control types and unknown types keep their id; malformed keys are corrupt', () => {
    const key = Buffer.from([0, 0, 0, 2]);
    const leaderChange = encode({ control: true, records: [{ key, value: Buffer.from('opaque') }] });
    assert.equal(decodeRecordBatches(leaderChange, ctx).batches[0]!.control!.type, 'LEADER_CHANGE');
    const unknown = encode({ control: true, records: [{ key: Buffer.from([0, 0, 0, 77]), value: null }] });
    assert.deepEqual(
      { ...decodeRecordBatches(unknown, ctx).batches[0]!.control!, offset: 0, timestamp: 0 },
      { type: 'UNKNOWN', typeId: 77, version: 0, coordinatorEpoch: -1, offset: 0, timestamp: 0 },
    );
    for (const bad of [
      { key: Buffer.from([0, 0]), value: null },
      { key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0]) },
      { key: null, value: null },
    ]) {
      assert.throws(() => decodeRecordBatches(encode({ control: true, records: [bad] }), ctx), CorruptRecordError);
    }
  });
});
