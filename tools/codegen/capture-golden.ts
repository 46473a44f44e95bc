/**
 * Captures golden frames from a real broker for test/protocol/codegen/golden.test.ts. Run by hand:
 *
 *   node --import tsx tools/codegen/capture-golden.ts [host:port] [--broker-version 4.4.0]
 *
 * It talks to the broker over a raw socket with the generated codecs only: ApiVersions, CreateTopics,
 * Metadata, Produce (a hand-built record batch v2, so this does not depend on src/protocol/records)
 * and Fetch, each at the highest version both sides support. Every request and response frame
 * (header + body, without the int32 size) is written to test/protocol/fixtures/golden/ as
 * `<api>-v<version>.<request|response>.bin`, with golden.json describing them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApiDef, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/api.js';
import * as g from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(here, '../../test/protocol/fixtures/golden');
const TOPIC = 'sluice-golden';
const CLIENT_ID = 'sluice-golden';
const BASE_TIMESTAMP = 1_700_000_000_000;

/** A frame reader over a raw socket: resolves one complete frame (without its size) per call. */
class Conn {
  private chunks: Buffer = Buffer.alloc(0);
  private waiting: ((b: Buffer) => void) | undefined;
  private correlationId = 0;

  constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks = Buffer.concat([this.chunks, d]);
      this.pump();
    });
  }

  private pump(): void {
    if (this.waiting === undefined || this.chunks.length < 4) return;
    const size = this.chunks.readInt32BE(0);
    if (this.chunks.length < 4 + size) return;
    const frame = this.chunks.subarray(4, 4 + size);
    this.chunks = this.chunks.subarray(4 + size);
    const w = this.waiting;
    this.waiting = undefined;
    w(Buffer.from(frame));
  }

  async call<Req, Res>(
    api: ApiDef<Req, Res>,
    version: number,
    req: Req,
  ): Promise<{ request: Buffer; response: Buffer; res: Res }> {
    const w = new Writer();
    const correlationId = ++this.correlationId;
    g.encodeRequestHeader(w, requestHeaderVersion(api as ApiDef<unknown, unknown>, version), {
      requestApiKey: api.key,
      requestApiVersion: version,
      correlationId,
      clientId: CLIENT_ID,
    });
    api.encodeRequest(w, version, req);
    const request = Buffer.from(w.view());
    const size = Buffer.alloc(4);
    size.writeInt32BE(request.length);
    const response = await new Promise<Buffer>((ok) => {
      this.waiting = ok;
      this.sock.write(Buffer.concat([size, request]));
      this.pump();
    });
    const r = new Reader(response);
    const header = g.decodeResponseHeader(r, responseHeaderVersion(api as ApiDef<unknown, unknown>, version));
    if (header.correlationId !== correlationId)
      throw new Error(`correlation id ${header.correlationId} != ${correlationId}`);
    const res = api.decodeResponse(r, version);
    r.check(`${api.name} v${version} response`);
    return { request, response, res };
  }
}

const CRC32C = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC32C[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Record batch v2 (magic 2) with three uncompressed records, as in docs/implementation.html. */
function recordBatch(): Buffer {
  const records = [
    { key: 'k0', value: 'hello' },
    { key: null, value: 'world' },
    { key: 'k2', value: 'sluice', header: ['h', 'v'] as const },
  ];
  const body = new Writer();
  records.forEach((rec, i) => {
    const r = new Writer();
    r.int8(0).varlong(i).varint(i); // attributes, timestampDelta, offsetDelta
    if (rec.key === null) r.varint(-1);
    else r.varint(rec.key.length).raw(Buffer.from(rec.key));
    r.varint(rec.value.length).raw(Buffer.from(rec.value));
    const h = 'header' in rec ? rec.header : undefined;
    r.varint(h ? 1 : 0);
    if (h) r.varint(h[0].length).raw(Buffer.from(h[0])).varint(h[1].length).raw(Buffer.from(h[1]));
    body.varint(r.pos).raw(r.view());
  });
  const tail = new Writer(); // from attributes to the end: what the CRC covers
  tail
    .int16(0)
    .int32(records.length - 1)
    .int64Number(BASE_TIMESTAMP)
    .int64Number(BASE_TIMESTAMP + records.length - 1);
  tail.int64(-1n).int16(-1).int32(-1).int32(records.length).raw(body.view());
  const w = new Writer();
  w.int64(0n)
    .int32(4 + 1 + 4 + tail.pos)
    .int32(-1)
    .int8(2)
    .uint32(crc32c(tail.view()))
    .raw(tail.view());
  return Buffer.from(w.view());
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.find((a) => !a.startsWith('--')) ?? '127.0.0.1:19092';
  const bv = args.indexOf('--broker-version');
  const brokerVersion = bv >= 0 ? args[bv + 1] : '4.4.0';
  const [host, port] = [at.slice(0, at.lastIndexOf(':')), Number(at.slice(at.lastIndexOf(':') + 1))];
  const sock = connect({ host, port });
  await new Promise<void>((ok, fail) => sock.once('connect', ok).once('error', fail));
  const conn = new Conn(sock);
  const frames: { api: string; version: number; request: string; response: string }[] = [];
  const save = (api: ApiDef<unknown, unknown>, version: number, x: { request: Buffer; response: Buffer }) => {
    const base = `${api.name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}-v${version}`;
    writeFileSync(join(OUT, `${base}.request.bin`), x.request);
    writeFileSync(join(OUT, `${base}.response.bin`), x.response);
    frames.push({ api: api.name, version, request: `${base}.request.bin`, response: `${base}.response.bin` });
  };
  mkdirSync(OUT, { recursive: true });

  const av = await conn.call(g.ApiVersions, 4, { clientSoftwareName: 'sluice', clientSoftwareVersion: '0.1.0' });
  save(g.ApiVersions as ApiDef<unknown, unknown>, 4, av);
  const version = (api: ApiDef<unknown, unknown>) => {
    const k = av.res.apiKeys.find((x) => x.apiKey === api.key);
    if (k === undefined) throw new Error(`broker lacks ${api.name}`);
    return Math.min(k.maxVersion, api.maxVersion);
  };

  const ctv = version(g.CreateTopics as ApiDef<unknown, unknown>);
  const ct = await conn.call(g.CreateTopics, ctv, {
    topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
  });
  console.log('CreateTopics:', ct.res.topics.map((t) => `${t.name} error ${t.errorCode}`).join(', '));
  await new Promise((ok) => setTimeout(ok, 1000));

  const mv = version(g.Metadata as ApiDef<unknown, unknown>);
  const md = await conn.call(g.Metadata, mv, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false });
  save(g.Metadata as ApiDef<unknown, unknown>, mv, md);
  const topicId = md.res.topics[0]!.topicId;

  const pv = version(g.Produce as ApiDef<unknown, unknown>);
  const pr = await conn.call(g.Produce, pv, {
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: TOPIC, topicId, partitionData: [{ index: 0, records: recordBatch() }] }],
  });
  save(g.Produce as ApiDef<unknown, unknown>, pv, pr);

  const fv = version(g.Fetch as ApiDef<unknown, unknown>);
  const fe = await conn.call(g.Fetch, fv, {
    maxWaitMs: 100,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        topicId,
        partitions: [{ partition: 0, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  save(g.Fetch as ApiDef<unknown, unknown>, fv, fe);
  sock.end();

  const note = {
    brokerVersion,
    capturedWith: 'tools/codegen/capture-golden.ts',
    schemas: g.KAFKA_SCHEMA_VERSION,
    topic: TOPIC,
    clientId: CLIENT_ID,
    note: 'Frames are header + body without the int32 size prefix. ApiVersions responses use header v0.',
    frames,
  };
  writeFileSync(join(OUT, 'golden.json'), `${JSON.stringify(note, null, 2)}\n`);
  console.log(`Wrote ${frames.length} request/response pairs to ${OUT}`);
}

await main();
