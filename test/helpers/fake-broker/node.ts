// One fake broker node: a TCP server on 127.0.0.1 that reads request frames, decodes them with the
// generated codecs and writes the responses its cluster computes. Like Kafka, a connection is served
// one request at a time, in order: a parked request (a JoinGroup, a long-poll Fetch, a silenced API)
// holds back the requests behind it on that connection.
import { createServer, type Server, type Socket } from 'node:net';
import { type ApiDef, requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/api.js';
import { ApiVersions, apisByKey, decodeRequestHeader } from '../../../src/protocol/generated/index.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import type { ApiName, LoggedRequest, RawHandler, RequestInfo } from './types.js';

const UNSUPPORTED_VERSION = 35;
const MAX_FRAME = 256 * 1024 * 1024;

/** What a node needs from its cluster. */
export interface NodeHost {
  readonly isClosed: boolean;
  /** Resolves when the cluster closes (parked work gives up then). */
  readonly closing: Promise<void>;
  nextConnectionId(): number;
  /** The advertised [min, max] of an API, or undefined when it is not advertised. */
  advertised(apiKey: number): readonly [number, number] | undefined;
  advertisedList(): { apiKey: number; minVersion: number; maxVersion: number }[];
  silenced(api: ApiName, nodeId: number): boolean;
  rawHandlers(api: ApiName): RawHandler[];
  /** Runs the handler chain; null = no response. */
  respond(info: RequestInfo, req: unknown): Promise<unknown>;
  logRequest(entry: LoggedRequest): void;
  fail(nodeId: number, message: string, err?: unknown): void;
}

/** A response body given as bytes: sent after a correct header (see FakeCluster.rawBody). */
export class RawBody {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A response frame: length prefix, header (v0: correlation id; v1: plus empty tagged fields), then the
 * encoded response (or the bytes of a {@link RawBody}).
 */
export function encodeResponseFrame(
  api: ApiDef<unknown, unknown>,
  version: number,
  correlationId: number,
  res: unknown,
): Buffer {
  const w = new Writer(256);
  const size = w.reserveInt32();
  w.int32(correlationId);
  if (responseHeaderVersion(api, version) === 1) w.uvarint(0);
  if (res instanceof RawBody) w.raw(res.bytes);
  else api.encodeResponse(w, version, res);
  w.patchInt32(size, w.pos - 4);
  return Buffer.from(w.view());
}

/** A response frame around raw body bytes, for hostile tests: length prefix, correlation id, `body`. */
export function rawResponseFrame(correlationId: number, body: Uint8Array, opts: { flexibleHeader?: boolean } = {}) {
  const head = Buffer.alloc(opts.flexibleHeader ? 9 : 8);
  head.writeInt32BE(head.length - 4 + body.length, 0);
  head.writeInt32BE(correlationId, 4);
  return Buffer.concat([head, body]);
}

export class FakeNode {
  readonly host = '127.0.0.1';
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly nodeId: number,
    private readonly cluster: NodeHost,
  ) {}

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Listens (again, on the same port once it had one). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and drops every connection: clients see the node as down (connection refused). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.disconnect();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops every client connection; the node keeps listening. */
  disconnect(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private serve(socket: Socket): void {
    if (this.cluster.isClosed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = this.cluster.nextConnectionId();
    const queue: Buffer[] = [];
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      try {
        for (let frame = queue.shift(); frame && !socket.destroyed; frame = queue.shift()) {
          const out = await this.handle(frame, connectionId, socket);
          if (out === 'close') socket.destroy();
          else if (out && !socket.destroyed) socket.write(out);
        }
      } catch (err) {
        this.cluster.fail(this.nodeId, 'request handling failed', err);
        socket.destroy();
      } finally {
        busy = false;
      }
    };
    // Frames are cut from a chunk list, concatenated once per frame (tests send large produce requests).
    let chunks: Buffer[] = [];
    let buffered = 0;
    let need = -1;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      for (;;) {
        if (need < 0) {
          if (buffered < 4) break;
          const head = chunks[0]!.length >= 4 ? chunks[0]! : Buffer.concat(chunks);
          const size = head.readInt32BE(0);
          if (size < 8 || size > MAX_FRAME) {
            this.cluster.fail(this.nodeId, `request frame of ${size} bytes`);
            socket.destroy();
            return;
          }
          need = 4 + size;
        }
        if (buffered < need) break;
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        queue.push(all.subarray(4, need));
        const rest = all.subarray(need);
        chunks = rest.length > 0 ? [rest] : [];
        buffered = rest.length;
        need = -1;
      }
      void pump();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** One request: the bytes to write back, null for none, or 'close' to drop the connection. */
  private async handle(frame: Buffer, connectionId: number, socket: Socket): Promise<Buffer | null | 'close'> {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const api = apisByKey[apiKey];
    if (!api) {
      this.cluster.fail(this.nodeId, `unknown API key ${apiKey}; closing the connection`);
      return 'close';
    }
    const r = new Reader(frame);
    let clientId: string | null = null;
    let req: unknown;
    const supported = version >= api.minVersion && version <= api.maxVersion;
    try {
      clientId = decodeRequestHeader(r, requestHeaderVersion(api, supported ? version : api.minVersion)).clientId;
      if (supported) {
        req = api.decodeRequest(r, version);
        r.check(`${api.name}Request v${version}`);
      }
    } catch {
      req = undefined;
    }
    const info: RequestInfo = {
      nodeId: this.nodeId,
      api: api.name as ApiName,
      version,
      correlationId,
      clientId,
      connectionId,
    };
    this.cluster.logRequest({ ...info, req, at: Date.now() });

    if (this.cluster.silenced(info.api, this.nodeId)) {
      await this.cluster.closing; // never answered; the connection is stuck, as behind a hung broker
      return null;
    }
    for (const raw of this.cluster.rawHandlers(info.api)) {
      const out = await raw(frame, {
        ...info,
        request: req,
        encode: (res, v = version) => encodeResponseFrame(api, v, correlationId, res),
      });
      if (out !== undefined) return out;
    }

    const range = this.cluster.advertised(apiKey);
    if (apiKey === ApiVersions.key && (!range || version > range[1])) {
      // KIP-511: answer in v0 with UNSUPPORTED_VERSION and our range; the client retries with it.
      return encodeResponseFrame(ApiVersions, 0, correlationId, {
        errorCode: UNSUPPORTED_VERSION,
        apiKeys: this.cluster.advertisedList(),
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      });
    }
    if (!range || version < range[0] || version > range[1] || req === undefined) {
      // Kafka closes the connection on a request it cannot parse or does not offer.
      const why = !range || version < range[0] || version > range[1] ? 'not advertised' : 'undecodable';
      this.cluster.fail(this.nodeId, `${api.name} v${version} (${why}) from ${socket.remotePort}; closing`);
      return 'close';
    }
    const res = await this.cluster.respond(info, req);
    return res === null ? null : encodeResponseFrame(api, version, correlationId, res);
  }
}
