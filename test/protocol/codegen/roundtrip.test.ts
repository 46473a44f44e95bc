/**
 * Every API × every valid version × both directions (and every header and data schema), driven by
 * the schemas: encode a value with non-default values for all fields of that version, decode it,
 * compare, re-encode to identical bytes; then decode truncated and bit-flipped copies, which must
 * only ever end in a sticky ProtocolDecodeError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedVersionError } from '../../../src/protocol/api.js';
import * as generated from '../../../src/protocol/generated/index.js';
import { ProtocolDecodeError, Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { SCHEMA_DIR } from '../../../tools/codegen/main.js';
import { apiName } from '../../../tools/codegen/names.js';
import { loadSchemas, type Message } from '../../../tools/codegen/schema.js';
import { rng, VARIANTS, ValueBuilder } from './values.js';

type Encode = (w: Writer, version: number, value: unknown) => void;
type Decode = (r: Reader, version: number) => unknown;

const messages = loadSchemas(SCHEMA_DIR);
const table = generated as unknown as Record<string, Encode | Decode | undefined>;

function codecsOf(m: Message): { encode: Encode; decode: Decode } {
  if (m.type === 'request' || m.type === 'response') {
    const api = generated.apisByKey[m.apiKey!];
    assert.ok(api, `no ApiDef for ${m.name}`);
    const dir = m.type === 'request' ? 'Request' : 'Response';
    return {
      encode: (w, v, x) => api[`encode${dir}`](w, v, x),
      decode: (r, v) => api[`decode${dir}`](r, v),
    };
  }
  const encode = table[`encode${m.name}`] as Encode | undefined;
  const decode = table[`decode${m.name}`] as Decode | undefined;
  assert.ok(encode && decode, `no encode/decode for ${m.name}`);
  return { encode, decode };
}

function encodeToBuffer(encode: Encode, version: number, value: unknown): Buffer {
  const w = new Writer(16);
  encode(w, version, value);
  return Buffer.from(w.view());
}

/** Decoding must not throw; the only failure allowed is the sticky error that check() reports. */
function decodeDamaged(decode: Decode, buf: Buffer, version: number, what: string): boolean {
  const r = new Reader(buf);
  decode(r, version);
  try {
    r.check(what);
    return true;
  } catch (err) {
    assert.ok(err instanceof ProtocolDecodeError, `${what}: ${String(err)}`);
    return false;
  }
}

let cases = 0;
const apiVersions = new Set<string>();

for (const m of messages) {
  describe(m.name, () => {
    const { encode, decode } = codecsOf(m);
    for (let version = m.valid.lo; version <= m.valid.hi; version++) {
      for (const variant of VARIANTS) {
        it(`v${version} ${variant}`, () => {
          const what = `${m.name} v${version} ${variant}`;
          const value = new ValueBuilder(m, version, variant).struct();
          const bytes = encodeToBuffer(encode, version, value);
          const r = new Reader(bytes);
          const decoded = decode(r, version);
          r.check(what);
          assert.equal(r.pos, bytes.length, `${what}: decoder left ${bytes.length - r.pos} bytes`);
          assert.deepStrictEqual(decoded, value, what);
          assert.ok(encodeToBuffer(encode, version, decoded).equals(bytes), `${what}: re-encoding differs`);
          cases++;
          if (m.apiKey !== undefined) apiVersions.add(`${apiName(m)}:${version}`);

          const next = rng(version * 31 + bytes.length);
          const cuts = new Set([0, 1, bytes.length >> 1, bytes.length - 1].filter((c) => c >= 0 && c < bytes.length));
          for (let i = 0; i < 3 && bytes.length > 0; i++) cuts.add(Math.floor(next() * bytes.length));
          for (const cut of cuts) {
            assert.equal(decodeDamaged(decode, bytes.subarray(0, cut), version, what), false, `${what} cut at ${cut}`);
          }
          for (let i = 0; i < 6 && bytes.length > 0; i++) {
            const flipped = Buffer.from(bytes);
            const at = Math.floor(next() * bytes.length);
            flipped[at] = flipped[at]! ^ (1 << Math.floor(next() * 8));
            decodeDamaged(decode, flipped, version, `${what} bit flip at ${at}`);
          }
        });
      }
    }
  });
}

describe('encoder rules', () => {
  it('throws UnsupportedVersionError for a non-ignorable field the version lacks', () => {
    const w = new Writer();
    assert.throws(
      () => generated.Metadata.encodeRequest(w, 7, { topics: [], includeTopicAuthorizedOperations: true }),
      UnsupportedVersionError,
    );
  });

  it('drops ignorable fields silently', () => {
    const w = new Writer();
    generated.Metadata.encodeRequest(w, 9, { topics: [{ topicId: 'AQIDBAUGBwgJCgsMDQ4PEA', name: 't' }] });
    const back = generated.Metadata.decodeRequest(new Reader(Buffer.from(w.view())), 9);
    assert.equal(back.topics?.[0]?.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('rejects null where the version does not allow it, and versions out of range', () => {
    assert.throws(() => generated.Metadata.encodeRequest(new Writer(), 0, { topics: null }), UnsupportedVersionError);
    assert.throws(() => generated.Metadata.encodeRequest(new Writer(), 14, { topics: null }), UnsupportedVersionError);
    assert.throws(() => generated.Fetch.decodeResponse(new Reader(Buffer.alloc(8)), 3), UnsupportedVersionError);
  });

  it('writes tagged fields only when they differ from their defaults, in tag order', () => {
    const base = { maxWaitMs: 500, minBytes: 1, topics: [] };
    const plain = encodeToBuffer((w, v, x) => generated.Fetch.encodeRequest(w, v, x as typeof base), 15, base);
    const tagged = encodeToBuffer((w, v, x) => generated.Fetch.encodeRequest(w, v, x as typeof base), 15, {
      ...base,
      clusterId: 'c',
      replicaState: { replicaId: 3 },
    });
    // No tags: the root's tagged section is one 0 byte; with both: count 2, tag 0 (clusterId), tag 1.
    assert.equal(plain[plain.length - 1], 0);
    const tail = tagged.subarray(plain.length - 1);
    assert.deepEqual([...tail.subarray(0, 5)], [2, 0, 2, 2, 'c'.charCodeAt(0)]);
    assert.equal(tail[5], 1);
  });

  it('every API of the schemas is in the tables', () => {
    for (const m of messages) {
      if (m.type !== 'request') continue;
      const api = generated.apisByKey[m.apiKey!];
      assert.equal(api?.name, apiName(m));
      assert.equal(generated.ApiKeys[apiName(m) as generated.ApiName], m.apiKey);
      assert.equal(api?.minVersion, m.valid.lo);
      assert.equal(api?.maxVersion, m.valid.hi);
    }
  });

  it('covered every API version', () => {
    // Runs after the round trips (node:test runs describe blocks in order).
    const apiCount = messages.filter((m) => m.type === 'request').length;
    const versionCount = messages
      .filter((m) => m.type === 'request')
      .reduce((n, m) => n + m.valid.hi - m.valid.lo + 1, 0);
    assert.equal(apiVersions.size, versionCount);
    console.log(`round trips: ${cases} cases, ${apiCount} APIs, ${versionCount} API versions × 2 directions`);
  });
});
