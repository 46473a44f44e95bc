// Fast unit tests: acquired-range filtering, acknowledgement batches, share session epochs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRecordBatch } from '../../src/protocol/records/encode.js';
import { Writer } from '../../src/protocol/writer.js';
import { toAckBatches } from '../../src/share/acks.js';
import { decodeAcquired } from '../../src/share/decode.js';
import { ShareSession } from '../../src/share/session.js';
import { ACK_CODES } from '../../src/share/types.js';

const opts = { checkCrcs: true, maxBatchBytes: 1 << 20 };

/** One batch of `n` records at `base`, offsets base…base+n-1 except those in `skip` (compacted away). */
function batch(base: number, n: number, skip: number[] = []): Buffer {
  const w = new Writer(256);
  const records = [];
  for (let i = 0; i < n; i++)
    if (!skip.includes(base + i)) records.push({ value: Buffer.from(`v${base + i}`), offsetDelta: i });
  encodeRecordBatch(w, { baseOffset: base, records });
  return Buffer.from(w.view());
}

const range = (first: number, last: number, deliveryCount: number) => ({
  firstOffset: BigInt(first),
  lastOffset: BigInt(last),
  deliveryCount,
});

test('only records inside acquired ranges are delivered, each with its range delivery count', () => {
  const blob = Buffer.concat([batch(0, 5), batch(5, 5)]);
  const d = decodeAcquired('t', 0, blob, [range(5, 6, 3), range(1, 2, 1), range(9, 9, 2)], opts);
  assert.deepEqual(
    d.records.map((r) => [r.offset, r.deliveryCount, r.value!.toString()]),
    [
      [1, 1, 'v1'],
      [2, 1, 'v2'],
      [5, 3, 'v5'],
      [6, 3, 'v6'],
      [9, 2, 'v9'],
    ],
  );
  assert.deepEqual(d.gaps, []);
  assert.equal(d.error, undefined);
});

test('acquired offsets with no record (compacted, or past the returned batches) become gaps', () => {
  const d = decodeAcquired('t', 0, batch(10, 5, [11, 13]), [range(10, 16, 1)], opts);
  assert.deepEqual(
    d.records.map((r) => r.offset),
    [10, 12, 14],
  );
  assert.deepEqual(d.gaps, [11, 13, 15, 16]);
  assert.deepEqual(decodeAcquired('t', 0, null, [range(3, 4, 1)], opts).gaps, [3, 4]);
});

test('a corrupt batch: the records before it are delivered, the acquired offsets from it on are released, the error is typed', () => {
  const good = batch(0, 3);
  const bad = batch(3, 3);
  bad[bad.length - 1]! ^= 0xff; // flips a payload bit: CRC-32C mismatch
  const d = decodeAcquired('t', 0, Buffer.concat([good, bad]), [range(0, 5, 1)], opts);
  assert.deepEqual(
    d.records.map((r) => r.offset),
    [0, 1, 2],
  );
  assert.deepEqual(d.undecodable, [3, 4, 5]);
  assert.equal((d.error as { code?: string }).code, 'CORRUPT_RECORD');
});

test('acquired ranges a broker could not mean are refused with a typed error, before any allocation', () => {
  const bad = (ranges: ReturnType<typeof range>[]) =>
    assert.throws(
      () => decodeAcquired('t', 0, null, ranges, opts),
      (e: { code?: string }) => e.code === 'CORRUPT_RECORD',
    );
  bad([range(5, 4, 1)]);
  bad([range(0, 5, 1), range(5, 6, 1)]);
  bad([{ firstOffset: 0n, lastOffset: 1n << 40n, deliveryCount: 1 }]);
});

test('acknowledgement batches: runs of consecutive offsets, one type when they agree', () => {
  const acks = new Map([
    [7, ACK_CODES.accept],
    [5, ACK_CODES.accept],
    [6, ACK_CODES.accept],
    [9, ACK_CODES.release],
    [10, ACK_CODES.gap],
    [11, ACK_CODES.reject],
  ] as const);
  assert.deepEqual(toAckBatches(acks), [
    { firstOffset: 5n, lastOffset: 7n, acknowledgeTypes: [1] },
    { firstOffset: 9n, lastOffset: 11n, acknowledgeTypes: [2, 0, 3] },
  ]);
});

test('share session: epoch 0 opens with every partition, then increments and lists only changes; reset starts over', () => {
  const s = new ShareSession();
  const p = (partition: number, topicId = 'id-a') => ({ topic: 'a', partition, topicId });
  assert.deepEqual(s.build([p(0), p(1)]), { added: [p(0), p(1)], forgotten: [] });
  assert.equal(s.epoch, 0);
  s.advance();
  assert.equal(s.epoch, 1);
  assert.deepEqual(s.build([p(1), p(2)]), { added: [p(2)], forgotten: [p(0)] });
  s.advance();
  assert.deepEqual(s.build([p(1, 'id-new'), p(2)]), { added: [p(1, 'id-new')], forgotten: [p(1)] });
  s.epoch = 0x7fffffff;
  s.advance();
  assert.equal(s.epoch, 1, 'wraps to 1, never to 0 (open) or -1 (close)');
  s.reset();
  assert.equal(s.epoch, 0);
  assert.deepEqual(s.build([p(1)]).added, [p(1)]);
});
