import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder, FrameReader } from '../../src/network/frame-decoder.js';

function frame(payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

test('frames inside one chunk are zero-copy views, frames across chunks are reassembled', () => {
  const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(1000, 7), Buffer.from('x')];
  const stream = Buffer.concat(payloads.map(frame));
  // Every way of cutting the stream in two, plus one-byte chunks.
  const cuts: Buffer[][] = [[stream]];
  for (let i = 1; i < stream.length; i += 97) cuts.push([stream.subarray(0, i), stream.subarray(i)]);
  cuts.push([...stream].map((b) => Buffer.from([b])));
  for (const chunks of cuts) {
    const d = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    for (const c of chunks) d.push(c, (f) => out.push(Buffer.from(f)));
    assert.deepEqual(out, payloads);
    assert.equal(d.pendingBytes, 0);
  }
  const d = new FrameDecoder(1 << 20);
  const chunk = frame(Buffer.from('abc'));
  let view: Buffer | undefined;
  d.push(chunk, (f) => {
    view = f;
  });
  assert.equal(view?.buffer, chunk.buffer, 'a view of the chunk, not a copy');
  assert.equal(view?.byteOffset, chunk.byteOffset + 4);
});

test('a negative or oversized frame size is rejected', () => {
  const d = new FrameDecoder(10);
  const big = Buffer.alloc(4);
  big.writeInt32BE(11, 0);
  assert.throws(() => d.push(big, () => {}), /outside 0\.\.10/);
  const neg = Buffer.alloc(4);
  neg.writeInt32BE(-1, 0);
  assert.throws(() => new FrameDecoder(10).push(neg, () => {}), RangeError);
});

test('a large frame arriving in many chunks is copied once into a buffer of its size', () => {
  const payload = Buffer.alloc(300_000, 1);
  const stream = frame(payload);
  const d = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 65536) d.push(stream.subarray(i, i + 65536), (f) => out.push(f));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.length, payload.length);
  assert.ok(out[0]!.equals(payload));
});

test('FrameReader: reads into its own buffers; small frames are views, large ones are read in place', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let trial = 0; trial < 30; trial++) {
    const payloads: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const size = rand(5) === 0 ? 20000 + rand(200000) : rand(3000);
      payloads.push(Buffer.from(Array.from({ length: size }, (_, j) => (i * 31 + j) & 0xff)));
    }
    const stream = Buffer.concat(payloads.map(frame));
    const out: Buffer[] = [];
    const reader = new FrameReader(1 << 20, (f) => out.push(f));
    // A fake socket: each read fills up to a random amount of the region the reader offers.
    for (let p = 0; p < stream.length; ) {
      const region = reader.nextBuffer();
      assert.ok(region.length > 0, 'the reader always offers room');
      const n = Math.min(region.length, stream.length - p, 1 + rand(70000));
      stream.copy(region, 0, p, p + n);
      p += n;
      reader.onRead(n);
    }
    assert.equal(out.length, payloads.length);
    for (const [i, f] of out.entries()) assert.ok(f.equals(payloads[i]!), `frame ${i} of trial ${trial}`);
  }
});

test('FrameReader: a bad frame size throws', () => {
  const reader = new FrameReader(100, () => {});
  const region = reader.nextBuffer();
  region.writeInt32BE(101, 0);
  assert.throws(() => reader.onRead(4), /outside 0\.\.100/);
});
