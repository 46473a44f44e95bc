import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SluiceError } from '../../../src/errors.js';
import {
  CompressionError,
  codecImplementations,
  createZstdCodec,
  getCodec,
  registerCodec,
  UnsupportedCompressionError,
  zstdDecodedBound,
} from '../../../src/protocol/compression/index.js';
import { lz4DecompressFrames } from '../../../src/protocol/compression/lz4.js';
import { xxh32 } from '../../../src/protocol/compression/lz4-block.js';
import { snappyDecodeRaw, snappyEncodeRaw } from '../../../src/protocol/compression/snappy-block.js';

/** Deterministic text-like data: compressible, with repeats at many distances. */
function text(size: number, seed = 1): Buffer {
  const words = ['kafka', 'record', 'batch', 'offset', 'sluice', 'partition', 'consumer', '{"id":', '},\n', ' '];
  const parts: string[] = [];
  let x = seed;
  let n = 0;
  while (n < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w = words[x % words.length]! + (x % 7 === 0 ? String(x % 1000) : '');
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

const inputs: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from([7])],
  ['short', Buffer.from('hello hello hello')],
  ['zeros 100 KiB', Buffer.alloc(100_000)],
  ['random 70 KiB (incompressible)', randomBytes(70_000)],
  ['text 54 KiB', text(54_000)],
  ['text 300 KiB (many blocks/chunks)', text(300_000, 7)],
  ['text 3 MiB', text(3_000_000, 3)],
];

describe('codecs round-trip', () => {
  for (const id of [0, 1, 2, 3, 4]) {
    const codec = getCodec(id);
    it(`${codec.name} (${codec.implementation})`, () => {
      for (const [what, data] of inputs) {
        const compressed = codec.compress(data);
        assert.deepEqual(codec.decompress(compressed), data, what);
        if (id !== 0 && what.startsWith('text')) assert.ok(compressed.length < data.length / 2, `${what} compresses`);
      }
    });
  }

  it('lists the implementations in use', () => {
    const impl = codecImplementations();
    assert.deepEqual(Object.keys(impl), ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    assert.equal(impl.gzip, 'node:zlib');
  });

  it('zstd: every implementation reads every other one’s frames', () => {
    const impls = (['node:zlib', 'wasm', 'fzstd'] as const).flatMap((name) => {
      try {
        return [createZstdCodec(name)];
      } catch {
        return []; // node:zlib zstd needs Node >= 22.15
      }
    });
    assert.ok(impls.length >= 2);
    for (const enc of impls.filter((c) => !c.implementation.startsWith('fzstd'))) {
      for (const [what, data] of inputs) {
        const frame = enc.compress(data);
        for (const dec of impls)
          assert.deepEqual(dec.decompress(frame), data, `${enc.implementation} → ${dec.implementation}: ${what}`);
      }
    }
    assert.throws(() => createZstdCodec('fzstd').compress(Buffer.from('x')), UnsupportedCompressionError);
  });

  it('zstd: bounds frames without a content size from their blocks (as Java writes them)', () => {
    // A zstd frame with FHD 0 (no content size, not single-segment), one raw block of 5 bytes.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x29, 0x00, 0x00, ...Buffer.from('hello')]);
    assert.equal(zstdDecodedBound(frame), 5);
    assert.deepEqual(getCodec(4).decompress(frame), Buffer.from('hello'));
    assert.deepEqual(createZstdCodec('fzstd').decompress(frame), Buffer.from('hello'));
    // Two frames back to back decode as their concatenation.
    assert.deepEqual(getCodec(4).decompress(Buffer.concat([frame, frame])), Buffer.from('hellohello'));
  });
});

describe('snappy framing', () => {
  const data = text(100_000);

  it('writes xerial framing with 32 KiB chunks, like snappy-java', () => {
    const out = getCodec(2).compress(data);
    assert.deepEqual(out.subarray(0, 16), Buffer.from('82534e41505059000000000100000001', 'hex'));
    let chunks = 0;
    for (let p = 16; p < out.length; p += 4 + out.readInt32BE(p)) chunks++;
    assert.equal(chunks, 4);
  });

  it('reads raw snappy blocks too', () => {
    assert.deepEqual(getCodec(2).decompress(snappyEncodeRaw(data)), data);
    assert.deepEqual(snappyDecodeRaw(snappyEncodeRaw(Buffer.alloc(0))), Buffer.alloc(0));
  });
});

describe('lz4 framing', () => {
  const data = text(200_000);

  it('writes what Kafka’s Lz4BlockOutputStream writes: FLG 0x60, BD 0x40, correct header checksum', () => {
    const out = getCodec(3).compress(data);
    assert.deepEqual(out.subarray(0, 6), Buffer.from('04224d186040', 'hex'));
    assert.equal(out[6], (xxh32(out, 4, 6) >>> 8) & 0xff);
    assert.equal(out.readUInt32LE(out.length - 4), 0); // EndMark
  });

  it('decodes long overlapping matches exactly, whatever their period (runs, repeated values)', () => {
    const lz4 = getCodec(3);
    for (const period of [1, 2, 3, 7, 31, 100, 110, 4096]) {
      const pattern = randomBytes(period);
      const body = Buffer.alloc(70_000 + (period % 13));
      for (let i = 0; i < body.length; i++) body[i] = pattern[i % period]!;
      const data = Buffer.concat([randomBytes(50), body, randomBytes(20)]);
      const frame = lz4.compress(data);
      assert.ok(frame.length < data.length / 4, `period ${period} compressed as long matches`);
      assert.deepEqual(lz4.decompress(frame, data.length), data, `period ${period}`);
    }
  });

  it('reads frames with content size, block and content checksums, and stored blocks', () => {
    const payload = Buffer.from('stored block, not compressed');
    // FLG 0x7c: version 1, independent, block checksum, content size, content checksum.
    const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x7c, 0x40, ...u64(payload.length)]);
    const hc = (xxh32(header, 4, header.length) >>> 8) & 0xff;
    const block = Buffer.concat([u32(0x80000000 | payload.length), payload, u32(xxh32(payload, 0, payload.length))]);
    const frame = Buffer.concat([header, Buffer.from([hc]), block, u32(0), u32(xxh32(payload, 0, payload.length))]);
    assert.deepEqual(lz4DecompressFrames(frame), payload);
  });

  it('accepts the pre-KIP-57 header checksum that covered the magic (magic-0 messages)', () => {
    const good = getCodec(3).compress(data);
    const legacy = Buffer.from(good);
    legacy[6] = (xxh32(legacy, 0, 6) >>> 8) & 0xff;
    assert.deepEqual(getCodec(3).decompress(legacy), data);
    const wrong = Buffer.from(good);
    wrong[6] = (wrong[6]! + 1) & 0xff;
    if (wrong[6] !== legacy[6]) assert.throws(() => getCodec(3).decompress(wrong), /header checksum/);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

describe('codec errors', () => {
  it('unknown codec ids are UnsupportedCompressionError naming the id', () => {
    for (const id of [5, 6, 7, -1]) {
      assert.throws(
        () => getCodec(id),
        (e: unknown) => e instanceof UnsupportedCompressionError && e.codecId === id && e.message.includes(`id ${id}`),
      );
    }
    assert.throws(() => registerCodec({ ...getCodec(1), id: 9 as never }), UnsupportedCompressionError);
  });

  it('corrupt data is a CompressionError, never a silent result', () => {
    const data = text(80_000);
    for (const id of [1, 2, 3, 4]) {
      const codec = getCodec(id);
      const good = codec.compress(data);
      const cases = [good.subarray(0, good.length >> 1), good.subarray(0, 5), Buffer.from('not compressed at all!')];
      for (const bad of cases) {
        assert.throws(
          () => codec.decompress(bad),
          (e: unknown) => e instanceof CompressionError && e.codec === codec.name,
          codec.name,
        );
      }
    }
  });

  it('bit flips either fail typed or (where the format has no checksum) decode to something', () => {
    const data = text(20_000);
    let seed = 42;
    for (const id of [1, 2, 3, 4]) {
      const codec = getCodec(id);
      const good = codec.compress(data);
      for (let i = 0; i < 300; i++) {
        const bad = Buffer.from(good);
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        bad.writeUInt8(bad.readUInt8(seed % bad.length) ^ (1 << (seed % 8)), seed % bad.length);
        try {
          codec.decompress(bad);
        } catch (e) {
          assert.ok(e instanceof SluiceError, `${codec.name}: ${String(e)}`);
        }
      }
    }
  });
});
