// Every single-bit flip in fetched record batches, with CRC checks on, run through what the consumer
// does with a partition's records blob: the header scan and its checks (whole batches, ending past the
// fetch position and below the high watermark), then slice decoding with CRC-32C and the decoder's own
// checks. A flip is "detected" when any of these raises a typed error or the batch stops being whole
// (the consumer then fetches it again). The CRC-32C covers each batch from its attributes to its end;
// it does not cover baseOffset, batchLength, partitionLeaderEpoch, magic or the CRC itself (Kafka's
// design: brokers rewrite offsets and epochs). The length, magic and CRC fields are checked anyway. What
// no check can catch from the bytes alone is a flip in baseOffset or partitionLeaderEpoch that leaves
// plausible values (an epoch >= -1; offsets in order, at or before the fetch position for the first
// batch, below the high watermark): those, and only those, pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanFetched } from '../../src/consumer/fetch-errors.js';
import { ChunkDecoder } from '../../src/consumer/fetch-records.js';
import type { ConsumerRecord } from '../../src/consumer/record.js';
import { SluiceError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records/index.js';
import { Writer } from '../../src/protocol/writer.js';

const BASE = 100;
type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

function batch(w: Writer, baseOffset: number, count: number, compression: Codec) {
  encodeRecordBatch(w, {
    baseOffset,
    partitionLeaderEpoch: 7,
    compression,
    records: Array.from({ length: count }, (_, i) => ({
      key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
      value: Buffer.from(`value-${baseOffset + i}-${'x'.repeat(i % 5)}`),
      headers: i % 2 ? [{ key: 'h', value: Buffer.from(`${i}`) }] : [],
      timestamp: 1_700_000_000_000 + i,
    })),
  });
}

/** A records blob of batches back to back, as a fetch returns it, and the offset after it. */
function blob(shape: Array<[number, Codec]>): { data: Buffer; end: number } {
  const w = new Writer(4096);
  let offset = BASE;
  for (const [count, codec] of shape) {
    batch(w, offset, count, codec);
    offset += count;
  }
  return { data: Buffer.from(w.view()), end: offset };
}

type Outcome = { error: true } | { error: false; records: ConsumerRecord[]; next: number };

function consume(data: Buffer, hw: number): Outcome {
  const tp = { topic: 't', partition: 0 };
  const scan = scanFetched(tp, data, BASE, hw);
  if (scan instanceof Error) {
    assert.ok(scan instanceof SluiceError, `typed: ${scan}`);
    return { error: true };
  }
  // A batch that is no longer whole is left for the next fetch: the consumer never delivers it.
  if (scan.completeBytes < data.length) return { error: true };
  const d = new ChunkDecoder('t', 0, data, null, BASE, {
    isolationLevel: 0,
    checkCrcs: true,
    maxBatchBytes: 1 << 26,
  });
  const records: ConsumerRecord[] = [];
  try {
    for (let i = 0; i < 1000 && !d.done; i++) records.push(...d.next(7));
  } catch (err) {
    assert.ok(err instanceof SluiceError, `typed: ${err}`);
    return { error: true };
  }
  return { error: false, records, next: scan.nextOffset };
}

const same = (a: ConsumerRecord, b: ConsumerRecord) =>
  a.offset === b.offset &&
  a.timestamp === b.timestamp &&
  a.leaderEpoch === b.leaderEpoch &&
  String(a.key) === String(b.key) &&
  String(a.value) === String(b.value) &&
  JSON.stringify(a.headers.map((h) => [h.key, String(h.value)])) ===
    JSON.stringify(b.headers.map((h) => [h.key, String(h.value)]));

/** Which field of which batch a byte belongs to. */
function region(data: Buffer, at: number): string {
  for (let p = 0; p < data.length; ) {
    const end = p + 12 + data.readInt32BE(p + 8);
    if (at < end) {
      const o = at - p;
      if (o < 8) return 'baseOffset';
      if (o < 12) return 'batchLength';
      if (o < 16) return 'partitionLeaderEpoch';
      if (o < 17) return 'magic';
      if (o < 21) return 'crc';
      return 'crc-covered';
    }
    p = end;
  }
  return 'none';
}

const shapes: Array<[string, Array<[number, Codec]>]> = [
  ['uncompressed, with headers', [[12, 'none']]],
  ['gzip', [[12, 'gzip']]],
  ['snappy', [[12, 'snappy']]],
  ['lz4', [[12, 'lz4']]],
  ['zstd', [[12, 'zstd']]],
  [
    'three batches back to back',
    [
      [5, 'none'],
      [6, 'lz4'],
      [4, 'none'],
    ],
  ],
];

for (const [name, shape] of shapes) {
  test(`every single-bit flip is detected, but where Kafka's CRC cannot see it (${name})`, () => {
    const { data, end } = blob(shape);
    const clean = consume(data, end);
    assert.ok(!clean.error && clean.records.length === end - BASE, 'the clean blob decodes');
    const undetected = new Map<string, number>();
    let flips = 0;
    for (let at = 0; at < data.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(data);
        copy[at]! ^= 1 << bit;
        flips++;
        const out = consume(copy, end);
        if (out.error) continue;
        const unchanged =
          out.next === clean.next &&
          out.records.length === clean.records.length &&
          out.records.every((r, i) => same(r, clean.records[i]!));
        assert.ok(!unchanged, `flip at byte ${at} bit ${bit} changed nothing observable`);
        const where = region(data, at);
        undetected.set(where, (undetected.get(where) ?? 0) + 1);
      }
    }
    const passed = [...undetected].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(
      `# ${name}: ${flips} flips, ${flips - [...undetected.values()].reduce((a, b) => a + b, 0)} detected; undetected: ${passed}`,
    );
    for (const where of undetected.keys()) {
      assert.ok(where === 'baseOffset' || where === 'partitionLeaderEpoch', `a flip in ${where} went undetected`);
    }
  });
}
