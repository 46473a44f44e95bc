// The fake broker's classic consumer-group coordinator: JoinGroup (KIP-394 member ids; the join waits
// until every known member has rejoined, or the rebalance timeout), SyncGroup, Heartbeat (with session
// expiry), LeaveGroup, OffsetCommit (generation-checked) and OffsetFetch. Enough for Sluice consumers
// to form, rebalance and commit in a group; not the real state machine (no static membership, no
// delayed initial rebalance).
import { randomUUID } from 'node:crypto';
import { NO_REPLY, type RequestContext } from './fake-broker.js';

const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;
const REBALANCE_IN_PROGRESS = 27;
const MEMBER_ID_REQUIRED = 79;
const INCONSISTENT_GROUP_PROTOCOL = 23;

interface Member {
  id: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastSeen: number;
  /** A parked JoinGroup. */
  join?: (res: unknown) => void;
  joinVersion?: number;
  /** A parked SyncGroup. */
  sync?: (res: unknown) => void;
  assignment: Buffer;
}

type State = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export class GroupCoordinator {
  state: State = 'Empty';
  generation = 0;
  leader = '';
  protocol: string | null = null;
  readonly members = new Map<string, Member>();
  /** Committed offsets: group → "topic\0partition" → offset. */
  readonly offsets = new Map<string, Map<string, bigint>>();
  /** Heartbeats received, with their time: the gap between them is what tests measure. */
  readonly heartbeats: Array<{ memberId: string; at: number }> = [];
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private readonly expiry: NodeJS.Timeout;

  constructor() {
    this.expiry = setInterval(() => this.expire(), 100);
    this.expiry.unref();
  }

  close(): void {
    clearInterval(this.expiry);
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    for (const m of this.members.values()) {
      m.join?.(NO_REPLY);
      m.sync?.(NO_REPLY);
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: the decoded request of the API being served
  handle(api: string, req: any, ctx: RequestContext): unknown {
    switch (api) {
      case 'JoinGroup':
        return this.joinGroup(req, ctx);
      case 'SyncGroup':
        return this.syncGroup(req);
      case 'Heartbeat':
        return { throttleTimeMs: 0, errorCode: this.heartbeat(req.memberId, req.generationId) };
      case 'LeaveGroup':
        return this.leaveGroup(req);
      case 'OffsetCommit':
        return this.offsetCommit(req);
      case 'OffsetFetch':
        return this.offsetFetch(req);
    }
    return undefined;
  }

  private joinGroup(
    req: {
      memberId: string;
      sessionTimeoutMs: number;
      rebalanceTimeoutMs?: number;
      protocols: Array<{ name: string; metadata: Buffer }>;
    },
    ctx: RequestContext,
  ): unknown {
    const fail = (errorCode: number, memberId = '') => ({
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      skipAssignment: false,
      memberId,
      members: [],
    });
    if (req.memberId === '') return fail(MEMBER_ID_REQUIRED, `${ctx.clientId ?? 'member'}-${randomUUID()}`);
    let m = this.members.get(req.memberId);
    if (!m) {
      m = {
        id: req.memberId,
        protocols: [],
        sessionTimeoutMs: 0,
        rebalanceTimeoutMs: 0,
        lastSeen: 0,
        assignment: Buffer.alloc(0),
      };
      this.members.set(m.id, m);
    }
    m.protocols = req.protocols;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs ?? req.sessionTimeoutMs;
    m.lastSeen = Date.now();
    if (this.state !== 'PreparingRebalance') this.prepareRebalance();
    return new Promise((resolve) => {
      m.join = resolve;
      m.joinVersion = ctx.version;
      this.maybeCompleteJoin();
    });
  }

  private prepareRebalance(): void {
    this.state = 'PreparingRebalance';
    for (const m of this.members.values()) {
      m.sync?.({
        throttleTimeMs: 0,
        errorCode: REBALANCE_IN_PROGRESS,
        protocolType: null,
        protocolName: null,
        assignment: Buffer.alloc(0),
      });
      m.sync = undefined;
    }
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = setTimeout(() => {
      // Members that did not rejoin in time are dropped.
      for (const [id, m] of this.members) if (!m.join) this.members.delete(id);
      this.maybeCompleteJoin();
    }, timeout);
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance') return;
    const all = [...this.members.values()];
    if (all.length === 0 || all.some((m) => !m.join)) return;
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.generation++;
    this.leader = all[0]!.id;
    const common = all[0]!.protocols
      .map((p) => p.name)
      .find((n) => all.every((m) => m.protocols.some((p) => p.name === n)));
    this.protocol = common ?? null;
    this.state = 'CompletingRebalance';
    for (const m of all) {
      const respond = m.join!;
      m.join = undefined;
      m.lastSeen = Date.now();
      if (common === undefined) {
        respond({
          throttleTimeMs: 0,
          errorCode: INCONSISTENT_GROUP_PROTOCOL,
          generationId: -1,
          protocolType: null,
          protocolName: null,
          leader: '',
          skipAssignment: false,
          memberId: m.id,
          members: [],
        });
        continue;
      }
      respond({
        throttleTimeMs: 0,
        errorCode: 0,
        generationId: this.generation,
        protocolType: 'consumer',
        protocolName: common,
        leader: this.leader,
        skipAssignment: false,
        memberId: m.id,
        members:
          m.id === this.leader
            ? all.map((x) => ({
                memberId: x.id,
                groupInstanceId: null,
                metadata: x.protocols.find((p) => p.name === common)!.metadata,
              }))
            : [],
      });
    }
  }

  private syncGroup(req: {
    memberId: string;
    generationId: number;
    assignments: Array<{ memberId: string; assignment: Buffer }>;
  }) {
    const answer = (errorCode: number, assignment: Buffer = Buffer.alloc(0)) => ({
      throttleTimeMs: 0,
      errorCode,
      protocolType: 'consumer',
      protocolName: this.protocol,
      assignment,
    });
    const m = this.members.get(req.memberId);
    if (!m) return answer(UNKNOWN_MEMBER_ID);
    if (req.generationId !== this.generation) return answer(ILLEGAL_GENERATION);
    if (this.state === 'PreparingRebalance') return answer(REBALANCE_IN_PROGRESS);
    if (this.state === 'Stable') return answer(0, m.assignment);
    m.lastSeen = Date.now();
    if (req.memberId === this.leader) {
      for (const a of req.assignments) {
        const x = this.members.get(a.memberId);
        if (x) x.assignment = a.assignment;
      }
      this.state = 'Stable';
      for (const x of this.members.values()) {
        x.sync?.(answer(0, x.assignment));
        x.sync = undefined;
      }
      return answer(0, m.assignment);
    }
    return new Promise((resolve) => {
      m.sync = resolve;
    });
  }

  private heartbeat(memberId: string, generationId: number): number {
    this.heartbeats.push({ memberId, at: Date.now() });
    const m = this.members.get(memberId);
    if (!m) return UNKNOWN_MEMBER_ID;
    m.lastSeen = Date.now();
    if (this.state === 'PreparingRebalance') return REBALANCE_IN_PROGRESS;
    if (generationId !== this.generation) return ILLEGAL_GENERATION;
    return 0;
  }

  private leaveGroup(req: { memberId?: string; members?: Array<{ memberId: string }> }) {
    const ids = req.members ? req.members.map((m) => m.memberId) : [req.memberId ?? ''];
    for (const id of ids) this.remove(id);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      members: ids.map((memberId) => ({ memberId, groupInstanceId: null, errorCode: 0 })),
    };
  }

  private remove(id: string): void {
    const m = this.members.get(id);
    if (!m) return;
    this.members.delete(id);
    m.join?.(NO_REPLY);
    m.sync?.(NO_REPLY);
    if (this.members.size === 0) {
      this.state = 'Empty';
      if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    } else if (this.state === 'PreparingRebalance') this.maybeCompleteJoin();
    else this.prepareRebalance();
  }

  private expire(): void {
    const now = Date.now();
    for (const m of [...this.members.values()]) {
      if (!m.join && now - m.lastSeen > m.sessionTimeoutMs) this.remove(m.id);
    }
  }

  private offsetCommit(req: {
    groupId: string;
    generationIdOrMemberEpoch?: number;
    memberId: string;
    topics: Array<{ name?: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint }> }>;
  }) {
    const gen = req.generationIdOrMemberEpoch ?? -1;
    let errorCode = 0;
    if (gen >= 0 || req.memberId) {
      if (!this.members.has(req.memberId)) errorCode = UNKNOWN_MEMBER_ID;
      else if (gen !== this.generation) errorCode = ILLEGAL_GENERATION;
      else if (this.state === 'CompletingRebalance') errorCode = REBALANCE_IN_PROGRESS;
    }
    let store = this.offsets.get(req.groupId);
    if (!store) this.offsets.set(req.groupId, (store = new Map()));
    for (const t of req.topics)
      for (const p of t.partitions) if (!errorCode) store.set(`${t.name}\u0000${p.partitionIndex}`, p.committedOffset);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name ?? '',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    };
  }

  private offsetFetch(req: { groupId: string; topics: Array<{ name: string; partitionIndexes: number[] }> | null }) {
    const store = this.offsets.get(req.groupId) ?? new Map<string, bigint>();
    const topics =
      req.topics ??
      [...new Set([...store.keys()].map((k) => k.split('\u0000')[0]!))].map((name) => ({
        name,
        partitionIndexes: [...store.keys()]
          .filter((k) => k.startsWith(`${name}\u0000`))
          .map((k) => Number(k.split('\u0000')[1])),
      }));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: [],
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: store.get(`${t.name}\u0000${p}`) ?? -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: 0,
        })),
      })),
    };
  }
}
