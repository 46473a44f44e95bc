// The dashboard's data: every `intervalMs` one round of admin calls (groups, their members, lag,
// topics) becomes a Snapshot, and the rates and lags of that round a Point of the charts' history.
// One sampler serves every open page: the server sends each round to all of them, so the broker's
// load does not grow with the number of pages.
import type { Admin } from '../admin/admin.js';
import type { GroupDescription, ListedGroup, ShareGroupDescription } from '../admin/types.js';
import {
  consumerGroupRows,
  type LagRow,
  type LagStatus,
  memberHost,
  type OwningMember,
  SampleWindow,
  shareGroupRows,
  worstStatus,
} from '../observability/lag-status.js';

export interface MemberView {
  memberId: string;
  clientId: string;
  host: string;
  /** `topic:partition` of each owned partition. */
  assignment: string[];
}

export type PartitionView = LagRow;

export interface GroupView {
  groupId: string;
  /** classic, consumer (KIP-848) or share (KIP-932), from ListGroups. */
  protocol: string;
  state: string;
  status: LagStatus | null;
  totalLag: number;
  members: MemberView[];
  partitions: PartitionView[];
  /** Why members or lag are missing: the error describing the group. */
  note: string | null;
}

export interface TopicPartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offline: number[];
  startOffset: number;
  endOffset: number;
}

export interface TopicView {
  topic: string;
  partitions: TopicPartitionView[];
}

export interface Snapshot {
  time: number;
  /** Rounds taken so far (a status needs 2). */
  round: number;
  clusterId: string | null;
  brokers: { nodeId: number; host: string; port: number }[];
  groups: GroupView[];
  topics: TopicView[];
  /** The last round's failure (broker unreachable…): the page says so; the previous figures stay. */
  error: string | null;
}

/** One point of the charts: per group its total lag; rates in records per second since the last round. */
export interface Point {
  time: number;
  lag: Record<string, number>;
  /** Per topic: log end offsets' growth. */
  produceRate: Record<string, number>;
  /** Per `group topic`: committed offsets' growth (share groups: of end − lag, the records done). */
  consumeRate: Record<string, number>;
}

export interface SamplerOptions {
  admin: Admin;
  /** Only these groups (default every group the cluster lists). */
  groups?: string[] | undefined;
  /** Samples kept per partition for the status (as `sluice lag --window`). */
  window: number;
  /** Points kept for the charts. */
  historyPoints: number;
  /** Deadline of each admin call. */
  timeoutMs: number;
}

export class Sampler {
  private readonly windows = new Map<string, SampleWindow>();
  private readonly history: Point[] = [];
  private previous: { time: number; ends: Map<string, number>; committed: Map<string, number> } | null = null;
  private round = 0;
  private last: Snapshot | null = null;

  constructor(private readonly o: SamplerOptions) {}

  get snapshot(): Snapshot | null {
    return this.last;
  }

  get points(): readonly Point[] {
    return this.history;
  }

  /** Takes one round. Never throws: a failed round keeps the last figures and records the error. */
  async sample(): Promise<{ snapshot: Snapshot; point: Point | null }> {
    try {
      const snapshot = await this.takeRound();
      const point = this.pointOf(snapshot);
      this.last = snapshot;
      if (point) {
        this.history.push(point);
        if (this.history.length > this.o.historyPoints)
          this.history.splice(0, this.history.length - this.o.historyPoints);
      }
      return { snapshot, point };
    } catch (err) {
      const base: Snapshot = this.last ?? {
        time: 0,
        round: 0,
        clusterId: null,
        brokers: [],
        groups: [],
        topics: [],
        error: null,
      };
      this.last = { ...base, time: Date.now(), error: (err as Error).message.split('\n')[0] ?? 'failed' };
      return { snapshot: this.last, point: null };
    }
  }

  private async takeRound(): Promise<Snapshot> {
    const { admin, timeoutMs } = this.o;
    const call = { timeoutMs };
    const [cluster, listed] = await Promise.all([admin.describeCluster(call), admin.listGroups(call)]);
    const wanted = this.o.groups;
    const groups = (wanted ? wanted.map((g) => listed.find((l) => l.groupId === g) ?? missing(g)) : listed).sort(
      (a, b) => a.groupId.localeCompare(b.groupId),
    );
    this.round++;
    const time = Date.now();
    const views = await Promise.all(groups.map((g) => this.groupView(g, time)));
    for (const id of [...this.windows.keys()]) if (!groups.some((g) => g.groupId === id)) this.windows.delete(id);
    const topics = await this.topicViews(call);
    return {
      time,
      round: this.round,
      clusterId: cluster.clusterId,
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      groups: views,
      topics,
      error: null,
    };
  }

  private async groupView(g: ListedGroup, time: number): Promise<GroupView> {
    const protocol = protocolOf(g);
    const base: GroupView = {
      groupId: g.groupId,
      protocol,
      state: g.state || 'Unknown',
      status: null,
      totalLag: 0,
      members: [],
      partitions: [],
      note: null,
    };
    if (protocol === 'share') return this.shareGroupView(base, time);
    const call = { timeoutMs: this.o.timeoutMs };
    let description: GroupDescription | undefined;
    let lag: Awaited<ReturnType<Admin['groupLag']>>;
    try {
      [lag, [description]] = await Promise.all([
        this.o.admin.groupLag(g.groupId, call),
        this.o.admin.describeGroups([g.groupId], call),
      ]);
    } catch (err) {
      return { ...base, note: (err as Error).message.split('\n')[0] ?? 'describe failed' };
    }
    const rows = consumerGroupRows(this.windowOf(g.groupId), time, lag.partitions, description?.members ?? []);
    return groupViewOf(base, description, lag.totalLag, rows);
  }

  private windowOf(groupId: string): SampleWindow {
    let window = this.windows.get(groupId);
    if (!window) {
      window = new SampleWindow(this.o.window);
      this.windows.set(groupId, window);
    }
    return window;
  }

  /**
   * A share group's round, as `sluice lag` takes it (src/cli/commands/lag.ts): its records are done one
   * by one, not up to a committed offset, so the status rules are fed a position of end − lag (the
   * broker's count of records not yet done), which moves forward as records are accepted or rejected.
   * A partition is usually assigned to several members: its owner is the one member, or `N members`.
   */
  private async shareGroupView(base: GroupView, time: number): Promise<GroupView> {
    const call = { timeoutMs: this.o.timeoutMs };
    let lag: Awaited<ReturnType<Admin['shareGroupLag']>>;
    let description: ShareGroupDescription | undefined;
    try {
      [lag, [description]] = await Promise.all([
        this.o.admin.shareGroupLag(base.groupId, call),
        this.o.admin.describeShareGroups([base.groupId], call),
      ]);
    } catch (err) {
      return { ...base, note: (err as Error).message.split('\n')[0] ?? 'describe failed' };
    }
    const rows = shareGroupRows(this.windowOf(base.groupId), time, lag.partitions, description?.members ?? []);
    return groupViewOf(base, description, lag.totalLag, rows);
  }

  private async topicViews(call: { timeoutMs: number }): Promise<TopicView[]> {
    const names = (await this.o.admin.listTopics(call)).sort();
    if (!names.length) return [];
    const described = await this.o.admin.describeTopics(names, call);
    const queries = described.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition })));
    const [starts, ends] = await Promise.all([
      this.o.admin.listOffsets(
        queries.map((q) => ({ ...q, at: 'earliest' as const })),
        call,
      ),
      this.o.admin.listOffsets(
        queries.map((q) => ({ ...q, at: 'latest' as const })),
        call,
      ),
    ]);
    const offsetOf = (list: typeof starts, topic: string, partition: number) =>
      list.find((o) => o.topic === topic && o.partition === partition)?.offset ?? 0;
    return described
      .map((t) => ({
        topic: t.topic,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            offline: p.offlineReplicas,
            startOffset: offsetOf(starts, t.topic, p.partition),
            endOffset: offsetOf(ends, t.topic, p.partition),
          }))
          .sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  /** Lags and rates of a round; rates need the previous round, so the first round gives none. */
  private pointOf(s: Snapshot): Point | null {
    const ends = new Map<string, number>();
    for (const t of s.topics)
      ends.set(
        t.topic,
        t.partitions.reduce((n, p) => n + p.endOffset, 0),
      );
    const committed = new Map<string, number>();
    const lag: Record<string, number> = {};
    for (const g of s.groups) {
      lag[g.groupId] = g.totalLag;
      for (const p of g.partitions) {
        const key = `${g.groupId} ${p.topic}`;
        // A share group's position is end − lag (records done), as its status is computed.
        const at = g.protocol === 'share' ? (p.lag === null ? 0 : p.logEndOffset - p.lag) : (p.committedOffset ?? 0);
        committed.set(key, (committed.get(key) ?? 0) + at);
      }
    }
    const prev = this.previous;
    this.previous = { time: s.time, ends, committed };
    if (!prev) return null;
    const seconds = Math.max(0.001, (s.time - prev.time) / 1000);
    const rate = (now: Map<string, number>, before: Map<string, number>) => {
      const out: Record<string, number> = {};
      for (const [k, v] of now) {
        const b = before.get(k);
        if (b !== undefined) out[k] = Math.max(0, Math.round((v - b) / seconds));
      }
      return out;
    };
    return { time: s.time, lag, produceRate: rate(ends, prev.ends), consumeRate: rate(committed, prev.committed) };
  }
}

function missing(groupId: string): ListedGroup {
  return { groupId, protocolType: '', state: 'Dead', type: '' } as ListedGroup;
}

/** ListGroups v5 says the type; before it, a group of `protocolType` consumer is a classic one. */
function protocolOf(g: ListedGroup): string {
  if (g.type) return g.type;
  if (g.protocolType === 'share') return 'share';
  return 'classic';
}

/** A member as the page lists it, with its partitions as `topic:partition`. */
function memberView(m: OwningMember & { memberId: string }): MemberView {
  return {
    memberId: m.memberId,
    clientId: m.clientId,
    host: memberHost(m),
    assignment: m.assignment.map((tp) => `${tp.topic}:${tp.partition}`),
  };
}

/** A consumer or share group's view from its description and lag rows: members, sorted rows, worst status. */
function groupViewOf(
  base: GroupView,
  description: { state: string; members: Array<OwningMember & { memberId: string }> } | undefined,
  totalLag: number,
  rows: LagRow[],
): GroupView {
  const partitions = rows.sort(byPartition);
  return {
    ...base,
    state: description?.state ?? base.state,
    status: worstStatus(partitions.map((p) => p.status)),
    totalLag,
    members: (description?.members ?? []).map(memberView),
    partitions,
  };
}

function byPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic.localeCompare(b.topic) || a.partition - b.partition;
}
