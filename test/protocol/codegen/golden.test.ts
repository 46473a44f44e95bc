/**
 * Frames captured from a real Kafka broker by tools/codegen/capture-golden.ts (see golden.json for
 * the broker version): decode them with the generated codecs, check meaningful fields, and
 * re-encode header + body to the identical bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ApiDef, requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/api.js';
import * as g from '../../../src/protocol/generated/index.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

const DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

interface Note {
  brokerVersion: string;
  topic: string;
  clientId: string;
  frames: { api: string; version: number; request: string; response: string }[];
}

const note = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Note;
type AnyApi = ApiDef<unknown, unknown>;

function frame(api: string): { def: AnyApi; version: number; request: Buffer; response: Buffer } {
  const f = note.frames.find((x) => x.api === api);
  assert.ok(f, `no golden frame for ${api}`);
  const def = g.apis[api as g.ApiName] as AnyApi;
  return {
    def,
    version: f.version,
    request: readFileSync(join(DIR, f.request)),
    response: readFileSync(join(DIR, f.response)),
  };
}

/** Decodes header + body, checks every byte was used, and re-encodes to the same bytes. */
function roundTrip(api: string, dir: 'request' | 'response'): { header: unknown; body: unknown } {
  const { def, version, request, response } = frame(api);
  const bytes = dir === 'request' ? request : response;
  const r = new Reader(bytes);
  const w = new Writer();
  let header: unknown;
  let body: unknown;
  if (dir === 'request') {
    const hv = requestHeaderVersion(def, version);
    const h = g.decodeRequestHeader(r, hv);
    body = def.decodeRequest(r, version);
    g.encodeRequestHeader(w, hv, h);
    def.encodeRequest(w, version, body);
    header = h;
  } else {
    const hv = responseHeaderVersion(def, version);
    const h = g.decodeResponseHeader(r, hv);
    body = def.decodeResponse(r, version);
    g.encodeResponseHeader(w, hv, h);
    def.encodeResponse(w, version, body);
    header = h;
  }
  r.check(`${api} v${version} ${dir}`);
  assert.equal(r.pos, bytes.length, `${api} ${dir}: ${bytes.length - r.pos} bytes left over`);
  assert.ok(Buffer.from(w.view()).equals(bytes), `${api} v${version} ${dir}: re-encoding differs`);
  return { header, body };
}

describe(`golden frames from Kafka ${note.brokerVersion}`, () => {
  for (const f of note.frames) {
    it(`${f.api} v${f.version} request decodes and re-encodes identically`, () => {
      const { header } = roundTrip(f.api, 'request');
      assert.deepEqual(header, {
        requestApiKey: g.ApiKeys[f.api as g.ApiName],
        requestApiVersion: f.version,
        correlationId: (header as { correlationId: number }).correlationId,
        clientId: note.clientId,
      });
    });
    it(`${f.api} v${f.version} response decodes and re-encodes identically`, () => {
      roundTrip(f.api, 'response');
    });
  }

  it('ApiVersions lists Fetch with maxVersion >= 17 and the consumer APIs', () => {
    const res = roundTrip('ApiVersions', 'response').body as g.ApiVersionsResponse;
    assert.equal(res.errorCode, 0);
    const fetch = res.apiKeys.find((k) => k.apiKey === g.ApiKeys.Fetch);
    assert.ok(fetch && fetch.maxVersion >= 17, 'Fetch v17+');
    for (const api of ['Metadata', 'JoinGroup', 'OffsetCommit', 'ConsumerGroupHeartbeat'] as const) {
      assert.ok(
        res.apiKeys.some((k) => k.apiKey === g.ApiKeys[api]),
        api,
      );
    }
    assert.ok(res.finalizedFeatures.some((f) => f.name === 'metadata.version'));
  });

  it('Metadata has the broker at 127.0.0.1 and the topic with one partition', () => {
    const res = roundTrip('Metadata', 'response').body as g.MetadataResponse;
    assert.equal(res.brokers.length, 1);
    assert.equal(res.brokers[0]?.host, '127.0.0.1');
    assert.equal(res.controllerId, res.brokers[0]?.nodeId);
    const topic = res.topics.find((t) => t.name === note.topic);
    assert.ok(topic, 'topic');
    assert.equal(topic.errorCode, 0);
    assert.notEqual(topic.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(topic.partitions[0]?.leaderId, res.brokers[0]?.nodeId);
  });

  it('Produce was accepted at offset 0', () => {
    const res = roundTrip('Produce', 'response').body as g.ProduceResponse;
    const p = res.responses[0]?.partitionResponses[0];
    assert.equal(p?.errorCode, 0);
    assert.equal(p?.baseOffset, 0n);
  });

  it('Fetch returns the partition with a record batch v2 blob (magic 2 at offset 16)', () => {
    const res = roundTrip('Fetch', 'response').body as g.FetchResponse;
    const md = roundTrip('Metadata', 'response').body as g.MetadataResponse;
    assert.equal(res.errorCode, 0);
    const topic = res.responses[0];
    assert.equal(topic?.topicId, md.topics[0]?.topicId, 'Fetch v13+ names topics by id');
    const p = topic?.partitions[0];
    assert.equal(p?.errorCode, 0);
    assert.equal(p?.highWatermark, 3n);
    const records = p?.records;
    assert.ok(records && records.length > 61, 'records blob');
    assert.equal(records.readBigInt64BE(0), 0n, 'base offset');
    assert.equal(records[16], 2, 'magic');
    assert.equal(records.readInt32BE(57), 3, 'record count');
  });

  it('Fetch records are a zero-copy view of the response frame', () => {
    const { def, version, response } = frame('Fetch');
    const r = new Reader(response);
    g.decodeResponseHeader(r, responseHeaderVersion(def, version));
    const res = def.decodeResponse(r, version) as g.FetchResponse;
    const records = res.responses[0]?.partitions[0]?.records;
    assert.ok(records);
    assert.equal(records.buffer, response.buffer);
    assert.ok(records.byteOffset >= response.byteOffset && records.byteOffset < response.byteOffset + response.length);
  });
});
