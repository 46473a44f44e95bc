// The output limit of `Codec.decompress` at its edges, in every codec and zstd implementation: a limit
// at or above the output size decodes, one byte less is DecompressedTooLargeError, and a limit beyond
// what a Buffer can hold (a consumer with maxBufferedBytes above 4 GiB, or Infinity) means "no limit
// of ours". Before, node:zlib refused such a maxOutputLength outright, so on Node 20 every gzip batch
// failed as corrupt once the limit passed 4 GiB, and on every version gzip (and zstd through node:zlib)
// failed with Infinity; a NaN limit threw a raw RangeError from lz4.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Codec,
  CompressionError,
  createZstdCodec,
  DecompressedTooLargeError,
  getCodec,
  type ZstdImplementation,
} from '../../../src/protocol/compression/index.js';

const codecs: Codec[] = [getCodec(1), getCodec(2), getCodec(3)];
for (const impl of ['node:zlib', 'wasm', 'fzstd'] as ZstdImplementation[]) {
  try {
    codecs.push(createZstdCodec(impl)); // node:zlib zstd needs Node >= 22.15
  } catch {}
}

/** Compressible, and not all one byte (so the formats use matches, not just runs). */
const data = Buffer.from('a sluice lets the water through, a little at a time; '.repeat(2000));
/** What the zstd fallback (decompression only) reads: the frames WASM or node:zlib write. */
const zstdWriter = createZstdCodec();

function compress(codec: Codec, input: Buffer): Buffer {
  return codec.implementation.startsWith('fzstd') ? zstdWriter.compress(input) : codec.compress(input);
}

const tooLarge = (limit: number) => (e: unknown) => e instanceof DecompressedTooLargeError && e.limit === limit;

describe('decompress limits at their edges', () => {
  for (const codec of codecs) {
    const name = `${codec.name} (${codec.implementation})`;

    it(`${name}: exactly the output size decodes, one byte less does not`, () => {
      const packed = compress(codec, data);
      assert.deepEqual(codec.decompress(packed, data.length), data);
      assert.throws(() => codec.decompress(packed, data.length - 1), tooLarge(data.length - 1));
      const one = compress(codec, Buffer.from('x'));
      assert.deepEqual(codec.decompress(one, 1), Buffer.from('x'));
      assert.throws(() => codec.decompress(one, 0), tooLarge(0));
      assert.deepEqual(codec.decompress(compress(codec, Buffer.alloc(0)), 0), Buffer.alloc(0));
    });

    it(`${name}: a limit beyond what a Buffer can hold is no limit`, () => {
      const packed = compress(codec, data);
      for (const limit of [2 ** 32 + 1, 2 ** 33, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
        assert.deepEqual(codec.decompress(packed, limit), data, `limit ${limit}`);
      }
    });

    it(`${name}: a limit that is not a size allows nothing, with a typed error`, () => {
      const packed = compress(codec, data);
      for (const limit of [Number.NaN, -1, Number.NEGATIVE_INFINITY]) {
        assert.throws(() => codec.decompress(packed, limit), tooLarge(0), `limit ${limit}`);
      }
    });

    it(`${name}: corrupt input is still a CompressionError under any limit`, () => {
      for (const limit of [0, 10, Number.POSITIVE_INFINITY]) {
        assert.throws(
          () => codec.decompress(Buffer.from('not compressed at all!'), limit),
          (e: unknown) => e instanceof CompressionError || e instanceof DecompressedTooLargeError,
          `limit ${limit}`,
        );
      }
    });
  }
});
