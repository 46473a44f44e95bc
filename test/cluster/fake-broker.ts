// An in-process broker speaking the real wire protocol, for scenarios a real Kafka cannot produce on
// demand: a broker that accepts TCP and never answers, one that answers ApiVersions and then goes
// silent, one that advertises a broken address in Metadata or FindCoordinator.
import { createServer, type Server, Socket } from 'node:net';
import { type ApiDef, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/api.js';
import {
  ApiVersions,
  type ApiVersionsResponse,
  DescribeCluster,
  decodeRequestHeader,
  encodeResponseHeader,
  FindCoordinator,
  ListGroups,
  Metadata,
  type MetadataResponse,
} from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

/** Every API the fake can decode and answer; ApiVersions advertises each one's whole range. */
const APIS: ApiDef<unknown, unknown>[] = [ApiVersions, Metadata, FindCoordinator, DescribeCluster, ListGroups].map(
  (a) => a as ApiDef<unknown, unknown>,
);

export interface FakeRequest {
  apiKey: number;
  version: number;
  body: unknown;
}

export interface FakeBrokerOptions {
  /**
   * `silent`: accept TCP, never answer anything (not even ApiVersions). `handshake`: answer ApiVersions,
   * then nothing. `answer` (default): answer with `handle`.
   */
  mode?: 'silent' | 'handshake' | 'answer';
  /**
   * The response body for a request (or a promise of it, to answer late), or undefined to stay
   * silent. ApiVersions is answered by the fake.
   */
  handle?: (req: FakeRequest) => unknown;
}

export interface FakeBroker {
  host: string;
  port: number;
  /** `host:port`, for `brokers`. */
  address: string;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  /** Requests received (ApiVersions included), in order. */
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeBroker(o: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const mode = o.mode ?? 'answer';
  const sockets = new Set<Socket>();
  const requests: FakeRequest[] = [];
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (mode === 'silent') return;
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        answer(frame).then(
          (reply) => {
            if (reply && !socket.destroyed) socket.write(reply);
          },
          () => socket.destroy(),
        );
      }
    });
  });
  const answer = async (frame: Buffer): Promise<Buffer | undefined> => {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const api = APIS.find((a) => a.key === apiKey);
    if (!api) return undefined;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, requestHeaderVersion(api, version));
    const body = api.decodeRequest(r, version);
    requests.push({ apiKey, version, body });
    let res: unknown;
    if (api === ApiVersions) res = apiVersionsResponse();
    else if (mode === 'answer') res = await o.handle?.({ apiKey, version, body });
    if (res === undefined) return undefined;
    const w = new Writer(256);
    const size = w.reserveInt32();
    encodeResponseHeader(w, responseHeaderVersion(api, version), { correlationId: header.correlationId });
    api.encodeResponse(w, version, res);
    w.patchInt32(size, w.pos - 4);
    return Buffer.from(w.view());
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function apiVersionsResponse(): ApiVersionsResponse {
  return {
    errorCode: 0,
    apiKeys: APIS.map((a) => ({
      apiKey: a.key,
      minVersion: a.minVersion,
      maxVersion: a.latestVersionUnstable ? a.maxVersion - 1 : a.maxVersion,
    })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

/** A Metadata response listing `brokers` and no topics. */
export function metadataResponse(
  brokers: Array<{ nodeId: number; host: string; port: number }>,
  controllerId = brokers[0]?.nodeId ?? -1,
): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: brokers.map((b) => ({ ...b, rack: null })),
    clusterId: 'fake-cluster',
    controllerId,
    topics: [],
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
  };
}

/**
 * A `socketFactory` whose sockets never connect and never fail: the SYN goes into a black hole (a
 * firewall dropping packets, a host that is down).
 */
export function blackholeSocketFactory(): { factory: () => Socket; opened: () => number } {
  let opened = 0;
  return {
    factory: () => {
      opened++;
      return new Socket();
    },
    opened: () => opened,
  };
}
