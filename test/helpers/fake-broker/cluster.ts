// FakeCluster: the fake broker's public face. It owns the nodes, the topics and their logs, the
// groups, and the handler chain every request goes through (test overrides first, then the defaults in
// ./handlers). See docs/testing.md ("The fake broker") for the API.

import type { CompressionName } from '../../../src/protocol/compression/codec.js';
import { errorByName } from '../../../src/protocol/errors.js';
import { apis, apisByKey } from '../../../src/protocol/generated/index.js';
import { ClassicGroup, type GroupOptions } from './group.js';
import { defaultHandlers } from './handlers.js';
import { type BatchOptions, type FakeRecord, FakeTopic, newTopicId, PartitionLog } from './log.js';
import { FakeNode, type NodeHost, RawBody } from './node.js';
import { setErrorCode } from './responses.js';
import type {
  ApiName,
  Handler,
  LoggedRequest,
  RawHandler,
  RequestContext,
  RequestInfo,
  RequestOf,
  ResponseOf,
  VersionCap,
} from './types.js';

export interface FakeTopicSpec {
  name: string;
  partitions: number;
  /** Leader node of each partition; default partition p → node p % nodes. */
  leaders?: number[];
  configs?: Record<string, string>;
}

export interface FakeClusterOptions extends Partial<GroupOptions> {
  /** Number of nodes (ids 0…n-1), default 1. */
  nodes?: number;
  topics?: FakeTopicSpec[];
  /** Coordinator node of every group and transactional id, default 0 (see setCoordinator). */
  coordinator?: number;
  /** Caps on the advertised versions, e.g. `{ Fetch: 12, Metadata: [1, 9], DescribeCluster: null }`. */
  versions?: Partial<Record<ApiName, VersionCap>>;
  clusterId?: string;
  /** Partitions of a topic created with numPartitions -1 (CreateTopics) or by auto-creation, default 1. */
  defaultPartitions?: number;
  /** auto.create.topics.enable: Metadata that allows it creates unknown topics. Default false, as on the harness's brokers. */
  autoCreateTopics?: boolean;
}

/** Which requests a rule applies to. */
export interface Match {
  nodeId?: number;
  /** Only requests touching this topic (by name; ids are resolved). */
  topic?: string;
  partition?: number;
  /** How many matching responses to change before the rule removes itself; default 1. */
  times?: number;
}

type Unregister = () => void;
type AnyHandler = (req: unknown, ctx: RequestContext) => unknown;

export class FakeCluster implements NodeHost {
  readonly nodes: FakeNode[] = [];
  readonly topics = new Map<string, FakeTopic>();
  readonly groups = new Map<string, ClassicGroup>();
  /** Every request received, in arrival order. */
  readonly requests: LoggedRequest[] = [];
  /** Problems on the broker side (undecodable or unadvertised requests, handler exceptions). */
  readonly errors: string[] = [];
  readonly clusterId: string;
  readonly groupOptions: GroupOptions;
  readonly defaultPartitions: number;
  readonly autoCreateTopics: boolean;
  coordinator: number;
  private readonly coordinators = new Map<string, number>();
  private readonly handlers = new Map<ApiName, AnyHandler[]>();
  private readonly raws = new Map<ApiName, RawHandler[]>();
  private readonly silences: { api: ApiName | 'all'; nodeId: number | undefined }[] = [];
  private readonly caps = new Map<ApiName, VersionCap>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly requestWaiters = new Set<(r: LoggedRequest) => void>();
  private connectionIds = 0;
  private producerIds = 1000n;
  private closed = false;
  private closeSignal!: () => void;
  readonly closing = new Promise<void>((resolve) => (this.closeSignal = resolve));

  private constructor(opts: FakeClusterOptions) {
    this.clusterId = opts.clusterId ?? 'fake-cluster-0000000000';
    this.coordinator = opts.coordinator ?? 0;
    this.defaultPartitions = opts.defaultPartitions ?? 1;
    this.autoCreateTopics = opts.autoCreateTopics ?? false;
    this.groupOptions = {
      minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 1000,
      maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 1_800_000,
      initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
    };
    for (const [api, cap] of Object.entries(opts.versions ?? {})) this.caps.set(api as ApiName, cap ?? null);
    for (let i = 0; i < (opts.nodes ?? 1); i++) this.nodes.push(new FakeNode(i, this));
  }

  static async start(opts: FakeClusterOptions = {}): Promise<FakeCluster> {
    const cluster = new FakeCluster(opts);
    try {
      for (const n of cluster.nodes) await n.start();
      for (const t of opts.topics ?? []) cluster.createTopic(t.name, t.partitions, t);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Every node's `127.0.0.1:port`, comma-separated (a client's `brokers` option). */
  get bootstrap(): string {
    return this.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  }

  /** The port of a node (same as `node(nodeId).port`). */
  port(nodeId: number): number {
    return this.node(nodeId).port;
  }

  node(nodeId: number): FakeNode {
    const n = this.nodes[nodeId];
    if (!n) throw new Error(`fake cluster has no node ${nodeId}`);
    return n;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- Topics and data ----

  /** Creates a topic (leaders default to partition p → node p % nodes); returns its topic id. */
  createTopic(name: string, partitions: number, opts: { leaders?: number[]; configs?: Record<string, string> } = {}) {
    if (this.topics.has(name)) throw new Error(`topic ${name} exists`);
    const topic = new FakeTopic(name, newTopicId(), opts.configs);
    const ids = this.nodes.map((n) => n.nodeId);
    for (let p = 0; p < partitions; p++) {
      const leader = opts.leaders?.[p] ?? p % ids.length;
      const replicas = leader < 0 ? ids : [leader, ...ids.filter((id) => id !== leader)];
      topic.partitions.push(new PartitionLog(name, p, leader, 0, replicas));
    }
    this.topics.set(name, topic);
    this.changed();
    return topic.topicId;
  }

  deleteTopic(name: string): void {
    if (!this.topics.delete(name)) throw new Error(`no topic ${name}`);
    this.changed();
  }

  topic(name: string): FakeTopic {
    const t = this.topics.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    return t;
  }

  topicById(id: string): FakeTopic | undefined {
    for (const t of this.topics.values()) if (t.topicId === id) return t;
    return undefined;
  }

  log(topic: string, partition: number): PartitionLog {
    const p = this.topic(topic).partitions[partition];
    if (!p) throw new Error(`no partition ${topic}-${partition}`);
    return p;
  }

  /**
   * Appends to a partition: records (encoded as one batch with `batch` attributes) or raw batch bytes
   * (base offsets rewritten when they are whole v2 batches, else stored as they are). Returns the base
   * offset. Parked fetches answer at once.
   */
  append(
    topic: string,
    partition: number,
    data: readonly FakeRecord[] | Buffer,
    batch: BatchOptions | CompressionName = {},
  ): number {
    const log = this.log(topic, partition);
    const opts = typeof batch === 'string' ? { compression: batch } : batch;
    const base = Buffer.isBuffer(data) ? log.appendBatches(data) : log.appendRecords(data, opts);
    this.changed();
    return base;
  }

  /** Appends bytes exactly as given, covering `count` offsets whatever their headers say (hostile batches). */
  appendRaw(topic: string, partition: number, bytes: Buffer, count: number, maxTimestamp?: number): number {
    const base = this.log(topic, partition).appendVerbatim(bytes, count, maxTimestamp);
    this.changed();
    return base;
  }

  /** Moves a partition's leadership (-1: none, LEADER_NOT_AVAILABLE) and bumps its leader epoch. */
  setLeader(topic: string, partition: number, nodeId: number): void {
    const log = this.log(topic, partition);
    log.leader = nodeId;
    log.leaderEpoch++;
    this.changed();
  }

  /** The coordinator node of one group/transactional id, or (no key) of every key without its own. */
  setCoordinator(nodeId: number, key?: string): void {
    if (key === undefined) this.coordinator = nodeId;
    else this.coordinators.set(key, nodeId);
  }

  coordinatorFor(key: string): number {
    return this.coordinators.get(key) ?? this.coordinator;
  }

  group(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new ClassicGroup(groupId, this.groupOptions)));
    return g;
  }

  /** A group's committed offset for a partition, or undefined. */
  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.groups.get(groupId)?.offsets.get(`${topic}\u0000${partition}`)?.offset;
  }

  nextProducerId(): bigint {
    return this.producerIds++;
  }

  // ---- Behaviour ----

  /**
   * Adds a handler in front of the chain for `api` (the newest runs first). Return a response to send
   * it, null to send none, undefined to leave the request to the handlers before; `ctx.next()` gives
   * the response they would send. Returns a function that removes the handler.
   */
  on<N extends ApiName>(api: N, handler: Handler<N>): Unregister {
    return addTo(this.handlers, api, handler as unknown as AnyHandler);
  }

  /** Removes every handler added with {@link on} for `api`. */
  off(api: ApiName): void {
    this.handlers.delete(api);
  }

  /** Like {@link on}, on the raw frame: write exactly the returned bytes (null: nothing). */
  raw(api: ApiName, handler: RawHandler): Unregister {
    return addTo(this.raws, api, handler);
  }

  /**
   * Answers `api` with these bytes as the response body, after a correct length prefix and header
   * (null: no answer; undefined: the normal answer). For a hostile body; {@link raw} controls every byte.
   */
  rawBody(api: ApiName, body: (req: unknown, ctx: RequestContext) => Uint8Array | null | undefined): Unregister {
    return this.on(api, async (req, ctx) => {
      const b = await body(req, ctx as RequestContext);
      return (b === undefined || b === null ? b : new RawBody(b)) as never;
    });
  }

  /**
   * Sets `error` (a Kafka error name or code) in the next `times` (default 1) responses to `api`:
   * in the partitions matching `topic`/`partition` if given, else at the top level (or in every
   * partition when the response has no top-level error code).
   */
  failNext(api: ApiName, error: string | number, match: Match = {}): Unregister {
    const code = typeof error === 'number' ? error : errorByName(error)?.code;
    if (code === undefined) throw new Error(`unknown Kafka error ${error}`);
    let left = match.times ?? 1;
    const remove = this.on(api, async (_req, ctx) => {
      if (left <= 0 || (match.nodeId !== undefined && match.nodeId !== ctx.nodeId)) return undefined;
      const res = await ctx.next();
      if (res && setErrorCode(res, code, match, (id) => this.topicById(id)?.name) && --left <= 0) remove();
      return res;
    });
    return remove;
  }

  /** Delays the next `times` (default: every) responses to `api` by `ms`. */
  delay(api: ApiName, ms: number, match: Omit<Match, 'topic' | 'partition'> = {}): Unregister {
    let left = match.times ?? Number.POSITIVE_INFINITY;
    const remove = this.on(api, async (_req, ctx) => {
      if (left <= 0 || (match.nodeId !== undefined && match.nodeId !== ctx.nodeId)) return undefined;
      if (--left <= 0) remove();
      await ctx.sleep(ms);
      return ctx.next();
    });
    return remove;
  }

  /** Ends every {@link silence} (requests already parked stay unanswered). */
  unsilence(): void {
    this.silences.length = 0;
  }

  /** Requests to `api` (or every API) on `nodeId` (or every node) are read and never answered. */
  silence(api: ApiName | 'all', nodeId?: number): Unregister {
    const entry = { api, nodeId };
    this.silences.push(entry);
    return () => {
      const i = this.silences.indexOf(entry);
      if (i >= 0) this.silences.splice(i, 1);
    };
  }

  /** Caps (or with null, hides) the versions advertised for `api` from now on. */
  setVersions(api: ApiName, cap: VersionCap | undefined): void {
    if (cap === undefined) this.caps.delete(api);
    else this.caps.set(api, cap);
  }

  /** Drops every client connection, on one node or all. */
  disconnect(nodeId?: number): void {
    for (const n of this.nodes) if (nodeId === undefined || n.nodeId === nodeId) n.disconnect();
  }

  /** Logged requests to `api` (optionally on one node). */
  requestsOf<N extends ApiName>(api: N, nodeId?: number): (LoggedRequest & { req: RequestOf<N> })[] {
    return this.requests.filter(
      (r) => r.api === api && (nodeId === undefined || r.nodeId === nodeId),
    ) as (LoggedRequest & {
      req: RequestOf<N>;
    })[];
  }

  /** The next request to `api` matching `where` that arrives from now on. */
  nextRequest<N extends ApiName>(
    api: N,
    opts: { where?: (req: RequestOf<N>, r: LoggedRequest) => boolean; timeoutMs?: number } = {},
  ): Promise<LoggedRequest & { req: RequestOf<N> }> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const waiter = (r: LoggedRequest) => {
        if (r.api !== api || (opts.where && !opts.where(r.req as RequestOf<N>, r))) return;
        this.requestWaiters.delete(waiter);
        clearTimeout(timer);
        resolve(r as LoggedRequest & { req: RequestOf<N> });
      };
      const timer = setTimeout(() => {
        this.requestWaiters.delete(waiter);
        reject(new Error(`no ${api} request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requestWaiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeSignal();
    this.changed();
    for (const g of this.groups.values()) g.close();
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  // ---- Internals used by the nodes and handlers ----

  /** Wakes parked fetches (data appended, leadership or topics changed, closing). */
  changed(): void {
    const waiters = [...this.changeWaiters];
    this.changeWaiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves on the next change, after `ms`, or on close, whichever comes first. */
  waitForChange(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.changeWaiters.add(done);
    });
  }

  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      void this.closing.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  nextConnectionId(): number {
    return ++this.connectionIds;
  }

  advertised(apiKey: number): readonly [number, number] | undefined {
    const api = apisByKey[apiKey];
    if (!api) return undefined;
    const name = api.name as ApiName;
    const offered = name in defaultHandlers || this.handlers.has(name) || this.raws.has(name);
    const cap = this.caps.get(name);
    if (!offered || cap === null) return undefined;
    let min = api.minVersion;
    // Like a broker, leave out the newest version while it is unstable.
    let max = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    if (typeof cap === 'number') max = Math.min(max, cap);
    else if (cap) [min, max] = [Math.max(min, cap[0]), Math.min(max, cap[1])];
    return min <= max ? [min, max] : undefined;
  }

  advertisedList(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    const out = [];
    for (const api of Object.values(apis)) {
      const range = this.advertised(api.key);
      if (range) out.push({ apiKey: api.key, minVersion: range[0], maxVersion: range[1] });
    }
    return out;
  }

  silenced(api: ApiName, nodeId: number): boolean {
    return this.silences.some((s) => (s.api === 'all' || s.api === api) && (s.nodeId ?? nodeId) === nodeId);
  }

  rawHandlers(api: ApiName): RawHandler[] {
    return [...(this.raws.get(api) ?? [])].reverse();
  }

  respond(info: RequestInfo, req: unknown): Promise<unknown> {
    const chain = (this.handlers.get(info.api) ?? []).slice();
    const fallback = defaultHandlers[info.api] as
      | ((c: FakeCluster, req: unknown, info: RequestInfo) => unknown)
      | undefined;
    const run = async (i: number): Promise<unknown> => {
      const ctx: RequestContext = {
        ...info,
        next: () => run(i - 1) as Promise<never>,
        sleep: (ms) => this.sleep(ms),
      };
      if (i < 0) {
        if (!fallback) throw new Error(`no handler for ${info.api}`);
        return fallback(this, req, info);
      }
      const out = await chain[i]!(req, ctx);
      return out === undefined ? run(i - 1) : out;
    };
    return run(chain.length - 1);
  }

  logRequest(entry: LoggedRequest): void {
    this.requests.push(entry);
    for (const w of [...this.requestWaiters]) w(entry);
  }

  fail(nodeId: number, message: string, err?: unknown): void {
    const line = `node ${nodeId}: ${message}${err ? `: ${(err as Error)?.stack ?? String(err)}` : ''}`;
    this.errors.push(line);
    // A fake-broker bug or a client sending what it should not: worth seeing in the test output.
    console.error(`[fake-broker] ${line}`);
  }
}

function addTo<T>(map: Map<ApiName, T[]>, api: ApiName, item: T): Unregister {
  if (!(api in apis)) throw new Error(`unknown API ${api}`);
  let list = map.get(api);
  if (!list) map.set(api, (list = []));
  list.push(item);
  return () => {
    const l = map.get(api);
    const i = l?.indexOf(item) ?? -1;
    if (i >= 0) l!.splice(i, 1);
    if (l?.length === 0) map.delete(api);
  };
}

export type { RequestOf, ResponseOf };
