// A small in-process Kafka cluster for tests that must be deterministic or hostile: it speaks the real
// wire protocol through the generated codecs (request decoders, response encoders), keeps topics as
// in-memory logs of record batches, and runs one classic consumer-group coordinator. Tests override any
// API (`on`), reply with raw bytes (`raw`), or never reply (`silence`). It is not Kafka: no replication,
// no transactions, no fetch sessions (it answers sessionless), one coordinator (node 0).
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type ApiDef, responseHeaderVersion } from '../../src/protocol/api.js';
import {
  ApiVersions,
  apisByKey,
  decodeRequestHeader,
  encodeResponseHeader,
  type FetchRequest,
  type FetchResponsePartitionData,
} from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeRecordBatch } from '../../src/protocol/records/encode.js';
import type { RecordToEncode } from '../../src/protocol/records/types.js';
import { Writer } from '../../src/protocol/writer.js';
import { GroupCoordinator } from './fake-group.js';

/** Versions the fake broker advertises: every one the default handlers implement. */
export const FAKE_VERSIONS: Record<string, [number, number]> = {
  Produce: [3, 9],
  Fetch: [4, 16],
  ListOffsets: [1, 7],
  Metadata: [1, 12],
  OffsetCommit: [2, 8],
  OffsetFetch: [1, 7],
  FindCoordinator: [1, 3],
  JoinGroup: [2, 7],
  Heartbeat: [1, 4],
  LeaveGroup: [1, 4],
  SyncGroup: [1, 5],
  ApiVersions: [0, 3],
  InitProducerId: [0, 4],
};

export interface RequestContext {
  nodeId: number;
  api: string;
  version: number;
  correlationId: number;
  clientId: string | null;
  /** Increases with every connection accepted by the cluster. */
  connectionId: number;
}

export interface LoggedRequest extends RequestContext {
  body: unknown;
  at: number;
}

/** Returned by a handler: send nothing back (the request stays unanswered). */
export const NO_REPLY = Symbol('no reply');

// biome-ignore lint/suspicious/noExplicitAny: handlers see the decoded request of whatever API they serve
export type Handler = (req: any, ctx: RequestContext) => unknown;

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

export interface FakePartition {
  leader: number;
  leaderEpoch: number;
  logStart: number;
  highWatermark: number;
  batches: StoredBatch[];
  /** Resolves parked fetches when data arrives. */
  waiters: Array<() => void>;
}

export interface FakeTopic {
  name: string;
  id: string;
  partitions: FakePartition[];
}

export interface FakeClusterOptions {
  nodes?: number;
  topics?: Array<{ name: string; partitions: number }>;
  /** Caps on advertised versions, e.g. `{ Fetch: 11 }`. */
  maxVersions?: Record<string, number>;
  /** Create unknown topics (1 partition) when a Metadata request allows it. */
  autoCreateTopics?: boolean;
}

interface FakeNode {
  id: number;
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

export class FakeCluster {
  readonly topics = new Map<string, FakeTopic>();
  readonly requests: LoggedRequest[] = [];
  readonly group: GroupCoordinator;
  private readonly nodes: FakeNode[] = [];
  private readonly handlers = new Map<string, Handler>();
  private readonly silenced = new Set<string>();
  private nextConnection = 1;

  private constructor(readonly options: FakeClusterOptions) {
    this.group = new GroupCoordinator();
  }

  static async start(options: FakeClusterOptions = {}): Promise<FakeCluster> {
    const c = new FakeCluster(options);
    for (let id = 0; id < (options.nodes ?? 1); id++) await c.listen(id);
    for (const t of options.topics ?? []) c.createTopic(t.name, t.partitions);
    return c;
  }

  /** Every node, `host:port` joined by commas. */
  get bootstrap(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  port(nodeId: number): number {
    return this.nodes[nodeId]!.port;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  createTopic(name: string, partitions: number): FakeTopic {
    const t: FakeTopic = {
      name,
      id: randomBytes(16).toString('base64url'),
      partitions: Array.from({ length: partitions }, (_, p) => ({
        leader: p % this.nodes.length,
        leaderEpoch: 0,
        logStart: 0,
        highWatermark: 0,
        batches: [],
        waiters: [],
      })),
    };
    this.topics.set(name, t);
    return t;
  }

  deleteTopic(name: string): void {
    this.topics.delete(name);
  }

  partition(topic: string, p: number): FakePartition {
    const part = this.topics.get(topic)?.partitions[p];
    if (!part) throw new Error(`fake broker: no partition ${topic}-${p}`);
    return part;
  }

  /** Moves a partition's leadership (-1: no leader); bumps its leader epoch. */
  setLeader(topic: string, p: number, nodeId: number): void {
    const part = this.partition(topic, p);
    part.leader = nodeId;
    part.leaderEpoch++;
  }

  /** Appends records as one batch (offsets assigned from the log end); returns its base offset. */
  append(
    topic: string,
    p: number,
    records: Array<{ key?: string | null; value: string | null; headers?: Record<string, string> }>,
    compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' = 'none',
  ): number {
    const part = this.partition(topic, p);
    const w = new Writer(1024);
    const toEncode: RecordToEncode[] = records.map((r) => ({
      key: r.key == null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
    }));
    encodeRecordBatch(w, {
      baseOffset: part.highWatermark,
      partitionLeaderEpoch: part.leaderEpoch,
      compression,
      records: toEncode,
    });
    return this.appendRaw(topic, p, Buffer.from(w.view()), records.length);
  }

  /**
   * Appends bytes exactly as given (hostile batches): they are served as one stored batch covering
   * `count` offsets from the log end, whatever their headers say.
   */
  appendRaw(topic: string, p: number, bytes: Buffer, count: number, maxTimestamp = Date.now()): number {
    const part = this.partition(topic, p);
    const base = part.highWatermark;
    part.batches.push({ baseOffset: base, lastOffset: base + count - 1, maxTimestamp, bytes });
    part.highWatermark = base + count;
    const waiters = part.waiters.splice(0);
    for (const w of waiters) w();
    return base;
  }

  /** Replaces the default handling of an API; return undefined from it to fall back to the default. */
  on(api: string, handler: Handler): void {
    this.handlers.set(api, handler);
  }

  off(api: string): void {
    this.handlers.delete(api);
  }

  /** Replies to `api` with these raw bytes as the response body (after a correct header). */
  raw(api: string, body: (req: unknown, ctx: RequestContext) => Buffer | null): void {
    this.handlers.set(api, (req, ctx) => {
      const b = body(req, ctx);
      return b === null ? NO_REPLY : new RawBody(b);
    });
  }

  /** Requests of `api` (or every API) are read but never answered, on one node or all. */
  silence(api: string | 'all', nodeId?: number): void {
    this.silenced.add(`${api}@${nodeId ?? '*'}`);
  }

  unsilence(): void {
    this.silenced.clear();
  }

  /** Drops every client connection (of one node, or all). */
  disconnect(nodeId?: number): void {
    for (const n of this.nodes) if (nodeId === undefined || n.id === nodeId) for (const s of n.sockets) s.destroy();
  }

  requestsOf(api: string): LoggedRequest[] {
    return this.requests.filter((r) => r.api === api);
  }

  async close(): Promise<void> {
    this.group.close();
    for (const t of this.topics.values()) for (const p of t.partitions) for (const w of p.waiters.splice(0)) w();
    for (const n of this.nodes) {
      for (const s of n.sockets) s.destroy();
      await new Promise<void>((r) => n.server.close(() => r()));
    }
  }

  // ---- the wire ---------------------------------------------------------------------------

  private async listen(id: number): Promise<void> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => this.serve(id, socket, sockets));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.nodes.push({ id, server, port: (server.address() as { port: number }).port, sockets });
  }

  private serve(nodeId: number, socket: Socket, sockets: Set<Socket>): void {
    sockets.add(socket);
    const connectionId = this.nextConnection++;
    let buf = Buffer.alloc(0);
    // A broker handles one request per connection at a time, in order.
    let chain = Promise.resolve();
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        chain = chain
          .then(() => this.handle(nodeId, connectionId, socket, frame))
          .catch(() => {
            socket.destroy();
          });
      }
    });
  }

  private async handle(nodeId: number, connectionId: number, socket: Socket, frame: Buffer): Promise<void> {
    const key = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const api = apisByKey[key];
    if (!api) throw new Error(`fake broker: unknown API key ${key}`);
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, key === 18 && version >= 3 ? 2 : version >= api.flexibleFrom ? 2 : 1);
    const ctx: RequestContext = {
      nodeId,
      api: api.name,
      version,
      correlationId: header.correlationId,
      clientId: header.clientId ?? null,
      connectionId,
    };
    if (key === 18 && version > FAKE_VERSIONS.ApiVersions![1]) {
      // KIP-511: an ApiVersions version we do not know gets a v0 answer with UNSUPPORTED_VERSION.
      this.reply(socket, ApiVersions, 0, ctx.correlationId, this.apiVersions(35));
      return;
    }
    const body = api.decodeRequest(r, version);
    r.check(`${api.name}Request v${version}`);
    this.requests.push({ ...ctx, body, at: Date.now() });
    if (this.silenced.has(`${api.name}@${nodeId}`) || this.silenced.has(`${api.name}@*`)) return;
    if (this.silenced.has(`all@${nodeId}`) || this.silenced.has('all@*')) return;
    const custom = this.handlers.get(api.name);
    let res = custom ? await custom(body, ctx) : undefined;
    if (res === undefined) res = await this.defaultHandler(api.name, body, ctx);
    if (res === NO_REPLY || socket.destroyed) return;
    this.reply(socket, api, version, ctx.correlationId, res);
  }

  private reply(socket: Socket, api: ApiDef<unknown, unknown>, version: number, correlationId: number, res: unknown) {
    const w = new Writer(256);
    const size = w.reserveInt32();
    encodeResponseHeader(w, responseHeaderVersion(api, version), { correlationId });
    if (res instanceof RawBody) w.raw(res.bytes);
    else api.encodeResponse(w, version, res);
    w.patchInt32(size, w.pos - 4);
    socket.write(Buffer.from(w.view()));
  }

  // ---- default behaviour ------------------------------------------------------------------

  private apiVersions(errorCode = 0) {
    const caps = this.options.maxVersions ?? {};
    return {
      errorCode,
      apiKeys: Object.entries(FAKE_VERSIONS).map(([name, [min, max]]) => ({
        apiKey: Object.values(apisByKey).find((a) => a.name === name)!.key,
        minVersion: min,
        maxVersion: Math.min(max, caps[name] ?? max),
      })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: the decoded request of the API being served
  private async defaultHandler(api: string, req: any, ctx: RequestContext): Promise<unknown> {
    switch (api) {
      case 'ApiVersions':
        return this.apiVersions();
      case 'Metadata':
        return this.metadata(req);
      case 'FindCoordinator':
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          errorMessage: null,
          nodeId: 0,
          host: '127.0.0.1',
          port: this.port(0),
          coordinators: [],
        };
      case 'Fetch':
        return this.fetch(req, ctx);
      case 'ListOffsets':
        return this.listOffsets(req);
      case 'Produce':
        return this.produce(req);
      case 'InitProducerId':
        return {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: 1000n,
          producerEpoch: 0,
          ongoingTxnProducerId: -1n,
          ongoingTxnProducerEpoch: -1,
        };
      case 'JoinGroup':
      case 'SyncGroup':
      case 'Heartbeat':
      case 'LeaveGroup':
      case 'OffsetCommit':
      case 'OffsetFetch':
        return this.group.handle(api, req, ctx);
      default:
        throw new Error(`fake broker: no default handler for ${api}`);
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: MetadataRequest of any version
  private metadata(req: any) {
    const names: string[] =
      req.topics === null || req.topics === undefined
        ? [...this.topics.keys()]
        : req.topics.map((t: { name: string }) => t.name);
    for (const n of names)
      if (!this.topics.has(n) && req.allowAutoTopicCreation && this.options.autoCreateTopics) this.createTopic(n, 1);
    return {
      throttleTimeMs: 0,
      brokers: this.nodes.map((n) => ({ nodeId: n.id, host: '127.0.0.1', port: n.port, rack: null })),
      clusterId: 'fake-cluster',
      controllerId: 0,
      topics: names.map((name) => {
        const t = this.topics.get(name);
        if (!t)
          return {
            errorCode: 3,
            name,
            topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: -2147483648,
          };
        return {
          errorCode: 0,
          name,
          topicId: t.id,
          isInternal: false,
          partitions: t.partitions.map((p, i) => ({
            errorCode: p.leader < 0 ? 5 : 0,
            partitionIndex: i,
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.leader < 0 ? [] : [p.leader],
            isrNodes: p.leader < 0 ? [] : [p.leader],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    };
  }

  /** Data for each asked partition from its log; parks (up to maxWaitMs) while there is none. */
  private async fetch(req: FetchRequest, ctx: RequestContext) {
    const build = () => {
      let bytes = 0;
      const responses = req.topics.map((t) => ({
        topic: t.topic ?? '',
        topicId: t.topicId ?? 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: t.partitions.map((fp): FetchResponsePartitionData => {
          const name = t.topic || this.topicName(t.topicId);
          const base: FetchResponsePartitionData = {
            partitionIndex: fp.partition,
            errorCode: 0,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          };
          const part = this.topics.get(name)?.partitions[fp.partition];
          if (!part) return { ...base, errorCode: t.topic ? 3 : 100 };
          if (part.leader !== ctx.nodeId)
            return { ...base, errorCode: 6, currentLeader: { leaderId: part.leader, leaderEpoch: part.leaderEpoch } };
          const at = Number(fp.fetchOffset);
          const hw = {
            highWatermark: BigInt(part.highWatermark),
            lastStableOffset: BigInt(part.highWatermark),
            logStartOffset: BigInt(part.logStart),
          };
          if (at < part.logStart || at > part.highWatermark) return { ...base, ...hw, errorCode: 1 };
          const chunks: Buffer[] = [];
          let size = 0;
          for (const b of part.batches) {
            if (b.lastOffset < at) continue;
            if (
              chunks.length &&
              (size + b.bytes.length > fp.partitionMaxBytes ||
                bytes + size + b.bytes.length > (req.maxBytes ?? Infinity))
            )
              break;
            chunks.push(b.bytes);
            size += b.bytes.length;
          }
          bytes += size;
          return { ...base, ...hw, records: chunks.length ? Buffer.concat(chunks) : Buffer.alloc(0) };
        }),
      }));
      return { bytes, responses };
    };
    let out = build();
    if (out.bytes === 0 && req.maxWaitMs > 0) {
      const parts = req.topics.flatMap((t) =>
        t.partitions.map((p) => this.topics.get(t.topic ?? '')?.partitions[p.partition]),
      );
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, req.maxWaitMs);
        for (const p of parts) p?.waiters.push(done);
      });
      out = build();
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: out.responses, nodeEndpoints: [] };
  }

  private topicName(id: string | undefined): string {
    for (const t of this.topics.values()) if (t.id === id) return t.name;
    return '';
  }

  // biome-ignore lint/suspicious/noExplicitAny: ListOffsetsRequest of any version
  private listOffsets(req: any) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map(
        (t: { name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const part = this.topics.get(t.name)?.partitions[p.partitionIndex];
            if (!part)
              return { partitionIndex: p.partitionIndex, errorCode: 3, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            const ts = Number(p.timestamp);
            let offset = part.highWatermark;
            if (ts === -2) offset = part.logStart;
            else if (ts >= 0) offset = part.batches.find((b) => b.maxTimestamp >= ts)?.baseOffset ?? -1;
            return {
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              timestamp: -1n,
              offset: BigInt(offset),
              leaderEpoch: part.leaderEpoch,
            };
          }),
        }),
      ),
    };
  }

  // biome-ignore lint/suspicious/noExplicitAny: ProduceRequest of any version
  private produce(req: any) {
    const responses = req.topicData.map(
      (t: { name: string; partitionData: Array<{ index: number; records: Buffer | null }> }) => ({
        name: t.name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitionResponses: t.partitionData.map((p) => {
          const part = this.topics.get(t.name)?.partitions[p.index];
          const base = {
            index: p.index,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            errorMessage: null,
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
          };
          if (!part || !p.records) return { ...base, errorCode: 3, baseOffset: -1n };
          // Rewrite each batch's base offset (outside the CRC) as a broker does.
          let at = 0;
          let first = -1;
          while (at + 61 <= p.records.length) {
            const len = p.records.readInt32BE(at + 8);
            const bytes = Buffer.from(p.records.subarray(at, at + 12 + len));
            const count = bytes.readInt32BE(23) + 1;
            bytes.writeBigInt64BE(BigInt(part.highWatermark), 0);
            const off = this.appendRaw(t.name, p.index, bytes, count);
            if (first < 0) first = off;
            at += 12 + len;
          }
          return { ...base, errorCode: 0, baseOffset: BigInt(first) };
        }),
      }),
    );
    if (req.acks === 0) return NO_REPLY;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  }
}

/** A response body given as bytes (see {@link FakeCluster.raw}). */
export class RawBody {
  constructor(readonly bytes: Buffer) {}
}
