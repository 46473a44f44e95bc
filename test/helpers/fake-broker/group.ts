// A classic consumer group coordinator (Kafka's ClassicGroup state machine, reduced to what clients
// see): KIP-394 member ids, waiting for every member to rejoin up to the rebalance timeout, leader
// election, protocol selection by vote, SyncGroup parked until the leader's assignment, heartbeats
// that announce a rebalance, session expiry, LeaveGroup, KIP-345 static members.
import { randomUUID } from 'node:crypto';

export interface GroupOptions {
  /** group.min.session.timeout.ms (the harness's brokers use 1000). */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms (the harness's brokers use 0). */
  initialRebalanceDelayMs: number;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  /** JoinGroup version: KIP-394 member ids from v4. */
  version: number;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Protocol[];
  assignment: Buffer;
  /** A parked JoinGroup's answer. */
  joining: ((r: JoinResult) => void) | undefined;
  /** A parked SyncGroup's answer. */
  syncing: ((r: { errorCode: number; assignment: Buffer }) => void) | undefined;
  session: NodeJS.Timeout | undefined;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

const E = {
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
} as const;

const EMPTY = Buffer.alloc(0);

export class ClassicGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** KIP-394: member ids handed out by MEMBER_ID_REQUIRED, not joined yet. */
  readonly pending = new Map<string, NodeJS.Timeout>();
  /** Static members: group.instance.id → member id. */
  readonly instances = new Map<string, string>();
  readonly offsets = new Map<string, CommittedOffset>();
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private notBefore = 0;

  constructor(
    readonly groupId: string,
    private readonly o: GroupOptions,
  ) {}

  join(r: JoinRequest): Promise<JoinResult> {
    const now = (errorCode: number, memberId = r.memberId) => Promise.resolve(this.result(errorCode, memberId));
    if (r.sessionTimeoutMs < this.o.minSessionTimeoutMs || r.sessionTimeoutMs > this.o.maxSessionTimeoutMs)
      return now(E.INVALID_SESSION_TIMEOUT);
    if (!r.protocolType || r.protocols.length === 0 || !this.supports(r)) return now(E.INCONSISTENT_GROUP_PROTOCOL);
    if (r.memberId === '') {
      const id = `${r.clientId}-${randomUUID()}`;
      if (r.groupInstanceId !== null) {
        const old = this.instances.get(r.groupInstanceId);
        return old ? this.rejoinStatic(this.members.get(old)!, id, r) : this.add(id, r);
      }
      if (r.version < 4) return this.add(id, r);
      // KIP-394: hand out the id; the member must join again with it within its session timeout.
      this.pending.set(
        id,
        setTimeout(() => {
          this.pending.delete(id);
          this.maybeCompleteJoin();
        }, r.sessionTimeoutMs).unref(),
      );
      return now(E.MEMBER_ID_REQUIRED, id);
    }
    const pending = this.pending.get(r.memberId);
    if (pending) {
      clearTimeout(pending);
      this.pending.delete(r.memberId);
      return this.add(r.memberId, r);
    }
    if (this.fenced(r.memberId, r.groupInstanceId)) return now(E.FENCED_INSTANCE_ID);
    const m = this.members.get(r.memberId);
    if (!m) return now(E.UNKNOWN_MEMBER_ID);
    const same = sameProtocols(m.protocols, r.protocols);
    // A follower rejoining with unchanged metadata gets the current generation back (no rebalance).
    if (same && (this.state === 'CompletingRebalance' || (this.state === 'Stable' && this.leaderId !== m.memberId)))
      return Promise.resolve(this.result(0, m.memberId, this.state === 'CompletingRebalance'));
    this.update(m, r);
    return this.park(m);
  }

  sync(r: {
    memberId: string;
    groupInstanceId: string | null;
    generationId: number;
    protocolType: string | null;
    protocolName: string | null;
    assignments: { memberId: string; assignment: Buffer }[];
  }): Promise<{ errorCode: number; assignment: Buffer }> {
    const now = (errorCode: number, assignment: Buffer = EMPTY) => Promise.resolve({ errorCode, assignment });
    if (this.fenced(r.memberId, r.groupInstanceId)) return now(E.FENCED_INSTANCE_ID);
    const m = this.members.get(r.memberId);
    if (!m) return now(E.UNKNOWN_MEMBER_ID);
    if (r.generationId !== this.generationId) return now(E.ILLEGAL_GENERATION);
    if (
      (r.protocolType && r.protocolType !== this.protocolType) ||
      (r.protocolName && r.protocolName !== this.protocolName)
    )
      return now(E.INCONSISTENT_GROUP_PROTOCOL);
    if (this.state === 'PreparingRebalance') return now(E.REBALANCE_IN_PROGRESS);
    this.touch(m);
    if (this.state === 'Stable') return now(0, m.assignment);
    const answer = new Promise<{ errorCode: number; assignment: Buffer }>((resolve) => (m.syncing = resolve));
    if (m.memberId === this.leaderId) {
      const given = new Map(r.assignments.map((a) => [a.memberId, a.assignment]));
      this.state = 'Stable';
      for (const member of this.members.values()) {
        member.assignment = given.get(member.memberId) ?? EMPTY;
        const reply = member.syncing;
        member.syncing = undefined;
        reply?.({ errorCode: 0, assignment: member.assignment });
      }
    }
    return answer;
  }

  heartbeat(r: { memberId: string; groupInstanceId: string | null; generationId: number }): number {
    // Kafka checks the static identity first: an old member id of a rejoined instance is fenced.
    if (this.fenced(r.memberId, r.groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const m = this.members.get(r.memberId);
    if (!m) return E.UNKNOWN_MEMBER_ID;
    if (r.generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    this.touch(m);
    return this.state === 'PreparingRebalance' ? E.REBALANCE_IN_PROGRESS : 0;
  }

  /** LeaveGroup for one member (by member id, or by instance id for static members). */
  leave(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const id = this.instances.get(groupInstanceId);
      if (!id) return E.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && memberId !== id) return E.FENCED_INSTANCE_ID;
      memberId = id;
    }
    const pending = this.pending.get(memberId);
    if (pending) {
      clearTimeout(pending);
      this.pending.delete(memberId);
      this.maybeCompleteJoin();
      return 0;
    }
    const m = this.members.get(memberId);
    if (!m) return E.UNKNOWN_MEMBER_ID;
    this.remove(m);
    return 0;
  }

  /** The error code an OffsetCommit from this member/generation gets (0: store it). */
  validateCommit(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (generationId < 0 && this.state === 'Empty') return 0; // a commit from outside the group (admin, assign())
    if (this.state === 'CompletingRebalance') return E.REBALANCE_IN_PROGRESS;
    if (this.fenced(memberId, groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const m = this.members.get(memberId);
    if (!m) return E.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return E.ILLEGAL_GENERATION;
    this.touch(m);
    return 0;
  }

  close(): void {
    clearTimeout(this.rebalanceTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    for (const m of this.members.values()) clearTimeout(m.session);
  }

  // ---- Internals ----

  private result(errorCode: number, memberId: string, withMembers = true): JoinResult {
    const isLeader = errorCode === 0 && memberId === this.leaderId;
    return {
      errorCode,
      generationId: errorCode === 0 ? this.generationId : -1,
      protocolType: errorCode === 0 ? this.protocolType : null,
      protocolName: errorCode === 0 ? this.protocolName : null,
      leader: errorCode === 0 ? (this.leaderId ?? '') : '',
      skipAssignment: false,
      memberId,
      members:
        isLeader && withMembers
          ? [...this.members.values()].map((x) => ({
              memberId: x.memberId,
              groupInstanceId: x.groupInstanceId,
              metadata: x.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
            }))
          : [],
    };
  }

  /** The member's protocol type matches, and it shares a protocol with every other member. */
  private supports(r: JoinRequest): boolean {
    const others = [...this.members.values()].filter((m) => m.memberId !== r.memberId);
    if (others.length === 0) return true;
    if (r.protocolType !== this.protocolType) return false;
    return r.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  private fenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const id = this.instances.get(groupInstanceId);
    return id !== undefined && id !== memberId;
  }

  private add(memberId: string, r: JoinRequest): Promise<JoinResult> {
    const m: Member = {
      memberId,
      groupInstanceId: r.groupInstanceId,
      clientId: r.clientId,
      clientHost: r.clientHost,
      sessionTimeoutMs: r.sessionTimeoutMs,
      rebalanceTimeoutMs: r.rebalanceTimeoutMs,
      protocols: r.protocols,
      assignment: EMPTY,
      joining: undefined,
      syncing: undefined,
      session: undefined,
    };
    if (this.members.size === 0) this.protocolType = r.protocolType;
    this.members.set(memberId, m);
    if (r.groupInstanceId !== null) this.instances.set(r.groupInstanceId, memberId);
    this.leaderId ??= memberId;
    return this.park(m);
  }

  /** KIP-345: a static member came back with a new member id; the old id is fenced from now on. */
  private rejoinStatic(old: Member, newId: string, r: JoinRequest): Promise<JoinResult> {
    this.members.delete(old.memberId);
    old.joining?.(this.result(E.FENCED_INSTANCE_ID, old.memberId));
    old.syncing?.({ errorCode: E.FENCED_INSTANCE_ID, assignment: EMPTY });
    old.joining = old.syncing = undefined;
    if (this.leaderId === old.memberId) this.leaderId = newId;
    const wasLeader = this.leaderId === newId;
    const same = sameProtocols(old.protocols, r.protocols);
    old.memberId = newId;
    this.members.set(newId, old);
    this.instances.set(r.groupInstanceId!, newId);
    if (this.state === 'Stable' && same) {
      // Back within the session timeout, same subscription: no rebalance; it syncs its old assignment.
      this.touch(old);
      const res = this.result(0, newId);
      res.skipAssignment = wasLeader && r.version >= 9;
      if (!res.skipAssignment) res.members = [];
      return Promise.resolve(res);
    }
    this.update(old, r);
    return this.park(old);
  }

  private update(m: Member, r: JoinRequest): void {
    m.protocols = r.protocols;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    m.clientId = r.clientId;
  }

  private park(m: Member): Promise<JoinResult> {
    // A join that replaces one still parked (the client gave up on it) answers the old one.
    m.joining?.(this.result(E.REBALANCE_IN_PROGRESS, m.memberId));
    clearTimeout(m.session);
    const answer = new Promise<JoinResult>((resolve) => (m.joining = resolve));
    this.prepareRebalance();
    this.maybeCompleteJoin();
    return answer;
  }

  private prepareRebalance(): void {
    if (this.state === 'PreparingRebalance') return;
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members.values()) {
        m.syncing?.({ errorCode: E.REBALANCE_IN_PROGRESS, assignment: EMPTY });
        m.syncing = undefined;
      }
    }
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.rebalanceTimer = setTimeout(() => this.completeJoin(), timeout).unref();
    if (wasEmpty && this.o.initialRebalanceDelayMs > 0) {
      this.notBefore = Date.now() + this.o.initialRebalanceDelayMs;
      setTimeout(() => this.maybeCompleteJoin(), this.o.initialRebalanceDelayMs).unref();
    }
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.pending.size > 0 || Date.now() < this.notBefore) return;
    for (const m of this.members.values()) if (!m.joining) return;
    this.completeJoin();
  }

  /** Ends the join phase: members that did not rejoin are out; a new generation starts. */
  private completeJoin(): void {
    if (this.state !== 'PreparingRebalance') return;
    clearTimeout(this.rebalanceTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const m of [...this.members.values()]) if (!m.joining) this.drop(m);
    this.generationId++;
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.protocolName = this.protocolType = this.leaderId = null;
      return;
    }
    this.protocolName = this.selectProtocol();
    if (!this.leaderId || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.state = 'CompletingRebalance';
    for (const m of this.members.values()) {
      const reply = m.joining!;
      m.joining = undefined;
      this.touch(m);
      reply(this.result(0, m.memberId));
    }
  }

  /** Each member votes for its most preferred protocol that every member supports; most votes wins. */
  private selectProtocol(): string {
    const all = [...this.members.values()];
    const candidates = all[0]!.protocols
      .map((p) => p.name)
      .filter((name) => all.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of all) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? candidates[0] ?? '';
  }

  /** Restarts the member's session timer (heartbeat, join, sync, commit). */
  private touch(m: Member): void {
    clearTimeout(m.session);
    m.session = setTimeout(() => {
      // A member waiting in JoinGroup or SyncGroup is alive (Kafka's shouldKeepAlive).
      if (m.joining || m.syncing) this.touch(m);
      else if (this.members.get(m.memberId) === m) this.remove(m);
    }, m.sessionTimeoutMs).unref();
  }

  private drop(m: Member): void {
    clearTimeout(m.session);
    this.members.delete(m.memberId);
    if (m.groupInstanceId !== null && this.instances.get(m.groupInstanceId) === m.memberId)
      this.instances.delete(m.groupInstanceId);
    if (this.leaderId === m.memberId) this.leaderId = null;
    m.joining?.(this.result(E.UNKNOWN_MEMBER_ID, m.memberId));
    m.syncing?.({ errorCode: E.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    m.joining = m.syncing = undefined;
  }

  /** A member left or its session expired: the others rebalance. */
  private remove(m: Member): void {
    this.drop(m);
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance();
    this.maybeCompleteJoin();
  }
}

function sameProtocols(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}
