/**
 * Batches written by the real Java producer (kafka-clients 4.4.0) with each codec, copied byte for byte
 * from a broker's segment files by capture-fixtures.sh, decoded with CRC verification on and compared
 * record by record with what the producer sent (the .json beside each .segment).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createZstdCodec, getCodec, registerCodec } from '../../../src/protocol/compression/index.js';
import {
  decodeRecordBatches,
  type KafkaRecord,
  nextOffset,
  type RecordBatch,
  useCrc32cImplementation,
} from '../../../src/protocol/records/index.js';

const dir = fileURLToPath(new URL('../fixtures/records/', import.meta.url));

type Bytes = string | null | { length: number; sha256: string };
interface Expected {
  producer: string;
  compression: string;
  records: Array<{
    offset: number;
    timestamp: number;
    key: Bytes;
    value: Bytes;
    aborted?: boolean;
    headers: Array<{ key: string; value: Bytes }>;
  }>;
}

function load(name: string): { log: Buffer; expected: Expected } {
  return {
    log: readFileSync(`${dir}${name}.segment`),
    expected: JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as Expected,
  };
}

function assertBytes(actual: Buffer | null, expected: Bytes, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, what);
    return;
  }
  assert.ok(actual !== null, `${what} is null`);
  if (typeof expected === 'string') {
    assert.deepEqual(actual, Buffer.from(expected, 'base64'), what);
    return;
  }
  assert.equal(actual.length, expected.length, `${what} length`);
  assert.equal(createHash('sha256').update(actual).digest('hex'), expected.sha256, `${what} sha256`);
}

function compare(records: KafkaRecord[], expected: Expected['records']): void {
  assert.equal(records.length, expected.length, 'record count');
  for (let i = 0; i < expected.length; i++) {
    const r = records[i]!;
    const e = expected[i]!;
    assert.equal(r.offset, e.offset, `record ${i} offset`);
    assert.equal(r.timestamp, e.timestamp, `record ${i} timestamp`);
    assertBytes(r.key, e.key, `record ${i} key`);
    assertBytes(r.value, e.value, `record ${i} value`);
    assert.equal(r.headers.length, e.headers.length, `record ${i} header count`);
    e.headers.forEach((h, j) => {
      assert.equal(
        r.headers[j]!.key,
        Buffer.from(h.key as string, 'base64').toString('utf8'),
        `record ${i} header ${j} key`,
      );
      assertBytes(r.headers[j]!.value, h.value, `record ${i} header ${j} value`);
    });
  }
}

const codecIds: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

function checkCodec(name: string): RecordBatch[] {
  const { log, expected } = load(name);
  assert.match(expected.producer, /^kafka-clients 4\./);
  const { batches, truncatedBytes } = decodeRecordBatches(log, { topic: `fx-${name}`, partition: 0 });
  assert.equal(truncatedBytes, 0);
  assert.ok(batches.length >= 4, `expected several batches, got ${batches.length}`);
  for (const b of batches) {
    assert.equal(b.magic, 2);
    assert.equal(b.compression, codecIds[name]);
    assert.equal(b.timestampType, 0);
    assert.equal(b.isControl, false);
    // Java 4.x producers are idempotent by default: a real producer id, epoch and sequence.
    assert.ok(b.producerId >= 0 && b.producerEpoch >= 0 && b.baseSequence >= 0);
    assert.equal(b.recordCount, b.records.length);
    assert.equal(b.lastOffsetDelta, b.records.length - 1);
    assert.equal(b.maxTimestamp, Math.max(...b.records.map((r) => r.timestamp)));
  }
  for (let i = 1; i < batches.length; i++) assert.equal(batches[i]!.baseOffset, nextOffset(batches[i - 1]!));
  compare(
    batches.flatMap((b) => b.records),
    expected.records,
  );
  return batches;
}

describe('batches written by the Java producer', () => {
  for (const name of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    it(`decodes ${name}`, () => {
      checkCodec(name);
    });
  }

  it('decodes with the pure-JS CRC-32C too', () => {
    useCrc32cImplementation('js');
    try {
      checkCodec('lz4');
    } finally {
      useCrc32cImplementation('native');
    }
  });

  it('decodes zstd with every zstd implementation available here', () => {
    const original = getCodec(4);
    try {
      for (const impl of ['wasm', 'fzstd', 'node:zlib'] as const) {
        let codec: ReturnType<typeof createZstdCodec>;
        try {
          codec = createZstdCodec(impl);
        } catch {
          continue; // node:zlib zstd needs Node >= 22.15
        }
        registerCodec(codec);
        checkCodec('zstd');
      }
    } finally {
      registerCodec(original);
    }
  });

  it('decodes transactions: data batches, COMMIT and ABORT markers', () => {
    const { log, expected } = load('txn');
    const { batches } = decodeRecordBatches(log, { topic: 'fx-txn', partition: 0 });
    const kinds = batches.map((b) => (b.isControl ? b.control!.type : `data:${b.records.length}`));
    assert.deepEqual(kinds, ['data:3', 'COMMIT', 'data:3', 'ABORT', 'data:3', 'COMMIT']);
    const producerId = batches[0]!.producerId;
    for (const b of batches) {
      assert.equal(b.isTransactional, true);
      assert.equal(b.producerId, producerId);
      if (b.isControl) {
        assert.deepEqual(b.records, []);
        assert.equal(b.recordCount, 1);
        assert.equal(b.control!.offset, b.baseOffset);
        assert.ok(b.control!.coordinatorEpoch >= 0);
        assert.equal(b.control!.version, 0);
      }
    }
    compare(
      batches.flatMap((b) => b.records),
      expected.records,
    );
    // The aborted records are exactly those of the batch followed by the ABORT marker.
    const aborted = expected.records.filter((r) => r.aborted).map((r) => r.offset);
    assert.deepEqual(
      batches[2]!.records.map((r) => r.offset),
      aborted,
    );
  });
});
