/**
 * Fuzzed decoding: truncations, bit flips, overwritten lengths and garbage. The decoder may return
 * fewer batches (a truncation) or throw, but only typed errors (SluiceError subclasses) raised by its
 * own checks: no RangeError/TypeError anywhere in the cause chain, no WebAssembly trap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../../../src/errors.js';
import { getCodec } from '../../../src/protocol/compression/index.js';
import {
  crc32,
  decodeRecordBatches,
  encodeRecordBatch,
  transactionMarkerRecord,
} from '../../../src/protocol/records/index.js';
import { Writer } from '../../../src/protocol/writer.js';

let seed = 0x5eed;
function rand(n: number): number {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6b43a9b5) >>> 0;
  return seed % n;
}

function legacy(): Buffer {
  // One v1 gzip wrapper around two messages.
  const msg = (offset: number, v: string) => {
    const body = Buffer.concat([
      Buffer.from([1, 0]),
      Buffer.alloc(8, 1),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, v.length]),
      Buffer.from(v),
    ]);
    const head = Buffer.alloc(16);
    head.writeInt32BE(offset, 4);
    head.writeInt32BE(4 + body.length, 8);
    head.writeUInt32BE(crc32(body), 12);
    return Buffer.concat([head, body]);
  };
  const inner = getCodec(1).compress(Buffer.concat([msg(0, 'a'), msg(1, 'bb')]));
  const w = msg(1, 'x').subarray(0, 16 + 10);
  const body = Buffer.concat([
    Buffer.from([1, 1]),
    Buffer.alloc(8, 1),
    Buffer.from([0xff, 0xff, 0xff, 0xff]),
    Buffer.alloc(4),
    inner,
  ]);
  body.writeInt32BE(inner.length, 14);
  const head = Buffer.from(w.subarray(0, 16));
  head.writeInt32BE(4 + body.length, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

function corpus(): Buffer[] {
  const blobs: Buffer[] = [];
  const records = Array.from({ length: 40 }, (_, i) => ({
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 7 === 0 ? null : Buffer.alloc(20 + (i % 13) * 30, i),
    timestamp: 1_700_000_000_000 + i * 1000,
    headers:
      i % 3 === 0
        ? [
            { key: `h${i}`, value: Buffer.from('v') },
            { key: 'n', value: null },
          ]
        : undefined,
  }));
  for (const compression of [0, 1, 2, 3, 4] as const) {
    const w = new Writer();
    encodeRecordBatch(w, { compression, records: records.slice(0, 20) });
    encodeRecordBatch(w, {
      compression,
      baseOffset: 20,
      records: records.slice(20),
      transactional: true,
      producerId: 5,
    });
    encodeRecordBatch(w, {
      baseOffset: 40,
      control: true,
      transactional: true,
      records: [transactionMarkerRecord('COMMIT', 1)],
    });
    blobs.push(Buffer.from(w.view()));
  }
  blobs.push(legacy());
  return blobs;
}

const seen = new Set<string>();

function attempt(data: Buffer, verifyCrc: boolean): void {
  try {
    decodeRecordBatches(data, { topic: 'fuzz', partition: 1, verifyCrc });
  } catch (err) {
    assert.ok(err instanceof SluiceError, `untyped error: ${String(err)}`);
    // The decoder's catch-all (for errors its own checks did not raise) says "decoding failed".
    assert.doesNotMatch(err.message, /decoding failed/);
    seen.add(`${err.name}: ${err.message.replace(/.*: /, '').replace(/[0-9a-fx]+/g, 'N')}`);
    for (let c: unknown = err; c !== undefined; c = (c as { cause?: unknown }).cause) {
      const name = (c as Error)?.constructor?.name;
      assert.ok(
        name !== 'TypeError' && name !== 'RangeError' && name !== 'RuntimeError',
        `${name} inside: ${(c as Error).stack}`,
      );
    }
  }
}

describe('fuzzed decode only throws typed errors', () => {
  const blobs = corpus();

  it('the corpus itself decodes', () => {
    for (const b of blobs) assert.ok(decodeRecordBatches(b, { topic: 'fuzz', partition: 1 }).batches.length > 0);
  });

  it('every truncation', () => {
    for (const b of blobs) for (let cut = 0; cut < b.length; cut += 1 + rand(3)) attempt(b.subarray(0, cut), true);
  });

  it('bit flips, with and without CRC verification', () => {
    for (const b of blobs) {
      for (let i = 0; i < 600; i++) {
        const bad = Buffer.from(b);
        for (let k = 1 + rand(3); k > 0; k--) {
          const at = rand(bad.length);
          bad.writeUInt8(bad.readUInt8(at) ^ (1 << rand(8)), at);
        }
        attempt(bad, false);
        attempt(bad, true);
      }
    }
  });

  it('overwritten length and count fields', () => {
    const values = [0, 1, -1, -2, 7, 0x7f, 0x80, 0x7fffffff, -0x80000000, 61, 1 << 20];
    for (const b of blobs) {
      for (let i = 0; i < 400; i++) {
        const bad = Buffer.from(b);
        const at = rand(Math.max(1, bad.length - 4));
        bad.writeInt32BE(values[rand(values.length)]!, at);
        attempt(bad, false);
      }
    }
  });

  it('random garbage and garbage after a valid header', () => {
    if (process.env.FUZZ_REPORT) process.on('exit', () => console.log([...seen].sort().join('\n')));
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.alloc(rand(300));
      for (let j = 0; j < junk.length; j++) junk[j] = rand(256);
      attempt(junk, false);
      const blob = blobs[rand(blobs.length)]!;
      attempt(Buffer.concat([blob.subarray(0, 61), junk]), false);
    }
  });
});
