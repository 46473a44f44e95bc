import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder } from '../../src/network/frame-decoder.js';

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
