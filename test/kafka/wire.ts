// Hand-encoded Kafka requests for the harness: ApiVersions v0–3 (readiness) and Metadata v12 (cluster
// membership). Test tooling must not depend on src/, so this is deliberately tiny and independent of the
// client's codecs — which also makes it a second opinion when those codecs are tested.
import net from 'node:net';
import tls from 'node:tls';

export interface WireOptions {
  /** Connect with TLS, verifying the broker against this CA (PEM). */
  tls?: { ca: string; cert?: string; key?: string };
  timeoutMs?: number;
  clientId?: string;
}

class Out {
  private readonly parts: Buffer[] = [];
  int8(v: number) {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  int16(v: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  uvarint(v: number) {
    const bytes: number[] = [];
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** Classic STRING (int16 length), as used by client_id in every request header version. */
  string(s: string) {
    const b = Buffer.from(s);
    return this.int16(b.length).raw(b);
  }
  compactString(s: string) {
    const b = Buffer.from(s);
    return this.uvarint(b.length + 1).raw(b);
  }
  raw(b: Buffer) {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): number {
    if (this.pos + n > this.buf.length) throw new Error(`truncated response at byte ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8 = () => this.buf.readInt8(this.need(1));
  int16 = () => this.buf.readInt16BE(this.need(2));
  int32 = () => this.buf.readInt32BE(this.need(4));
  int64 = () => this.buf.readBigInt64BE(this.need(8));
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buf.readUInt8(this.need(1));
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const at = this.need(n - 1);
    return this.buf.toString('utf8', at, at + n - 1);
  }
  compactString(): string {
    return this.compactNullableString() ?? '';
  }
  /** Tagged fields: returns tag → raw bytes. */
  tags(): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    for (let n = this.uvarint(); n > 0; n--) {
      const tag = this.uvarint();
      const size = this.uvarint();
      const at = this.need(size);
      out.set(tag, this.buf.subarray(at, at + size));
    }
    return out;
  }
}

let nextCorrelationId = 1;

/** Sends one request frame and returns the response bytes after the correlation id. */
export function roundTrip(host: string, port: number, frameBody: Buffer, opts: WireOptions = {}): Promise<Buffer> {
  const correlationId = nextCorrelationId++ & 0x7fffffff;
  // The correlation id sits at bytes 4–7 of every request header.
  const payload = Buffer.from(frameBody);
  payload.writeInt32BE(correlationId, 4);
  const frame = new Out().int32(payload.length).raw(payload).done();
  return new Promise((resolve, reject) => {
    const socket = opts.tls
      ? tls.connect({ host, port, ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key })
      : net.connect({ host, port });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(opts.timeoutMs ?? 5000, () => fail(new Error(`no response from ${host}:${port}`)));
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => socket.write(frame));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      socket.destroy();
      const got = buf.readInt32BE(4);
      if (got !== correlationId) return reject(new Error(`correlation id ${got}, expected ${correlationId}`));
      resolve(buf.subarray(8, 4 + buf.readInt32BE(0)));
    });
    socket.on('error', fail);
    socket.on('end', () => fail(new Error(`connection to ${host}:${port} closed before a response`)));
  });
}

/** Request header v1 (non-flexible) or v2 (flexible), with a placeholder correlation id. */
function header(apiKey: number, apiVersion: number, flexible: boolean, clientId: string): Out {
  const out = new Out().int16(apiKey).int16(apiVersion).int32(0).string(clientId);
  return flexible ? out.uvarint(0) : out;
}

export interface ApiVersionRange {
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResult {
  errorCode: number;
  apiKeys: Map<number, ApiVersionRange>;
  throttleTimeMs: number;
  /** v3+: finalized feature levels, e.g. metadata.version, group.version, share.version. */
  finalizedFeatures: Map<string, ApiVersionRange>;
}

export async function apiVersions(host: string, port: number, version = 3, opts: WireOptions = {}) {
  if (version < 0 || version > 3) throw new RangeError('ApiVersions: versions 0–3 are supported here');
  const flexible = version >= 3;
  const req = header(18, version, flexible, opts.clientId ?? 'sluice-harness');
  if (flexible) req.compactString('sluice-harness').compactString('0.0.0').uvarint(0);
  const body = new In(await roundTrip(host, port, req.done(), opts));
  // ApiVersions responses always use response header v0 (no tagged fields), so clients that do not yet
  // know the broker's versions can parse them. On UNSUPPORTED_VERSION (35) the body is encoded as v0.
  const errorCode = body.int16();
  const v = errorCode === 35 ? 0 : version;
  const apiKeys = new Map<number, ApiVersionRange>();
  const count = v >= 3 ? body.uvarint() - 1 : body.int32();
  for (let i = 0; i < count; i++) {
    const key = body.int16();
    apiKeys.set(key, { minVersion: body.int16(), maxVersion: body.int16() });
    if (v >= 3) body.tags();
  }
  const throttleTimeMs = v >= 1 ? body.int32() : 0;
  const finalizedFeatures = new Map<string, ApiVersionRange>();
  const finalized = v >= 3 ? body.tags().get(2) : undefined;
  if (finalized) {
    const f = new In(finalized);
    for (let n = f.uvarint() - 1; n > 0; n--) {
      const name = f.compactString();
      const maxVersion = f.int16(); // FinalizedFeatureKey lists MaxVersionLevel before MinVersionLevel
      finalizedFeatures.set(name, { minVersion: f.int16(), maxVersion });
      f.tags();
    }
  }
  return { errorCode, apiKeys, throttleTimeMs, finalizedFeatures } satisfies ApiVersionsResult;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Metadata v12 for no topics: the live (unfenced) brokers and the cluster id. */
export async function metadataBrokers(host: string, port: number, opts: WireOptions = {}) {
  const req = header(3, 12, true, opts.clientId ?? 'sluice-harness');
  req.uvarint(1).int8(0).int8(0).uvarint(0); // topics: [] (not null = all), no auto-create, no authz ops
  const body = new In(await roundTrip(host, port, req.done(), opts));
  body.tags(); // response header v1
  const throttleTimeMs = body.int32();
  const brokers: MetadataBroker[] = [];
  for (let n = body.uvarint() - 1; n > 0; n--) {
    const nodeId = body.int32();
    const brokerHost = body.compactString();
    const brokerPort = body.int32();
    brokers.push({ nodeId, host: brokerHost, port: brokerPort, rack: body.compactNullableString() });
    body.tags();
  }
  const clusterId = body.compactNullableString();
  const controllerId = body.int32();
  return { throttleTimeMs, brokers, clusterId, controllerId };
}
