// A minimal share group on the in-process fake broker, for deterministic share consumer tests: one
// topic, partition 0, ShareGroupHeartbeat (assigns partition 0 to everyone), ShareFetch and
// ShareAcknowledge with share sessions and per-offset record states. Not the broker's logic: no lock
// timeouts, no delivery count limit. Tests steer it (drop a session, fence a member) and read what it saw.
import type { FakeCluster } from '../helpers/fake-broker.js';

type State = { state: 'available' | 'acquired' | 'done'; member: string; count: number };

export class FakeShareGroup {
  /** memberId → the epoch the next request must carry. */
  readonly sessions = new Map<string, number>();
  readonly records = new Map<number, State>();
  /** Every ShareFetch/ShareAcknowledge epoch and ack type seen, in order. */
  readonly seen: { api: string; member: string; epoch: number; acks: Array<[number, number]> }[] = [];
  readonly heartbeats: { memberId: string; memberEpoch: number }[] = [];
  fenceNext = false;
  private epoch = 0;

  constructor(
    private readonly cluster: FakeCluster,
    private readonly topic: string,
  ) {
    const topicId = cluster.topic(topic).topicId;
    cluster.on('ShareGroupHeartbeat', (req) => {
      this.heartbeats.push({ memberId: req.memberId, memberEpoch: req.memberEpoch });
      const base = { throttleTimeMs: 0, errorMessage: null, memberId: req.memberId, heartbeatIntervalMs: 100 };
      if (this.fenceNext && req.memberEpoch > 0) {
        this.fenceNext = false;
        this.releaseMember(req.memberId);
        return { ...base, errorCode: 110, memberEpoch: -1, assignment: null };
      }
      if (req.memberEpoch === -1) return { ...base, errorCode: 0, memberEpoch: -1, assignment: null };
      const epoch = req.memberEpoch === 0 ? ++this.epoch : req.memberEpoch;
      const assignment = req.memberEpoch === 0 ? { topicPartitions: [{ topicId, partitions: [0] }] } : null;
      return { ...base, errorCode: 0, memberEpoch: epoch, assignment };
    });
    cluster.on('ShareFetch', (req) => {
      const acks = this.acksOf(req.topics);
      this.seen.push({ api: 'ShareFetch', member: req.memberId!, epoch: req.shareSessionEpoch, acks });
      const fail = (errorCode: number) => ({
        throttleTimeMs: 0,
        errorCode,
        errorMessage: null,
        acquisitionLockTimeoutMs: 30000,
        responses: [],
        nodeEndpoints: [],
      });
      const err = this.checkEpoch(req.memberId!, req.shareSessionEpoch, acks.length > 0);
      if (err) return fail(err);
      this.apply(acks);
      const acquired = this.acquire(req.memberId!, req.maxRecords);
      const log = this.cluster.log(this.topic, 0);
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        acquisitionLockTimeoutMs: 30000,
        responses: [
          {
            topicId,
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                errorMessage: null,
                acknowledgeErrorCode: 0,
                acknowledgeErrorMessage: null,
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
                records: acquired.length ? log.read(Number(acquired[0]!.firstOffset), 1 << 20, true) : Buffer.alloc(0),
                acquiredRecords: acquired,
              },
            ],
          },
        ],
        nodeEndpoints: [],
      };
    });
    cluster.on('ShareAcknowledge', (req) => {
      const acks = this.acksOf(req.topics);
      this.seen.push({ api: 'ShareAcknowledge', member: req.memberId!, epoch: req.shareSessionEpoch, acks });
      const err = req.shareSessionEpoch === 0 ? 42 : this.checkEpoch(req.memberId!, req.shareSessionEpoch, false);
      if (!err) this.apply(acks);
      if (!err && req.shareSessionEpoch === -1) {
        this.sessions.delete(req.memberId!);
        this.releaseMember(req.memberId!);
      }
      return {
        throttleTimeMs: 0,
        errorCode: err,
        errorMessage: null,
        acquisitionLockTimeoutMs: 30000,
        responses: err
          ? []
          : req.topics.map((t) => ({
              topicId: t.topicId,
              partitions: t.partitions.map((p) => ({
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                errorMessage: null,
                currentLeader: { leaderId: -1, leaderEpoch: -1 },
              })),
            })),
        nodeEndpoints: [],
      };
    });
  }

  /** The broker forgets a member's share session (evicted), releasing what it held. */
  dropSession(memberId: string): void {
    this.sessions.delete(memberId);
    this.releaseMember(memberId);
  }

  private releaseMember(memberId: string): void {
    for (const s of this.records.values()) if (s.state === 'acquired' && s.member === memberId) s.state = 'available';
  }

  private checkEpoch(member: string, epoch: number, hasAcks: boolean): number {
    if (epoch === 0) {
      if (hasAcks) return 42; // INVALID_REQUEST: acknowledgements on an opening request
      this.sessions.set(member, 1);
      return 0;
    }
    const expected = this.sessions.get(member);
    if (expected === undefined) return 122; // SHARE_SESSION_NOT_FOUND
    if (epoch === -1) return 0;
    if (expected !== epoch) return 123; // INVALID_SHARE_SESSION_EPOCH
    this.sessions.set(member, epoch + 1);
    return 0;
  }

  private acksOf(
    topics: {
      partitions: {
        acknowledgementBatches: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[];
      }[];
    }[],
  ): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const t of topics)
      for (const p of t.partitions)
        for (const b of p.acknowledgementBatches)
          for (let o = Number(b.firstOffset); o <= Number(b.lastOffset); o++)
            out.push([
              o,
              b.acknowledgeTypes.length === 1 ? b.acknowledgeTypes[0]! : b.acknowledgeTypes[o - Number(b.firstOffset)]!,
            ]);
    return out;
  }

  private apply(acks: Array<[number, number]>): void {
    for (const [o, type] of acks) {
      const s = this.records.get(o);
      if (s?.state !== 'acquired') continue;
      if (type === 2) s.state = 'available';
      else if (type !== 4) s.state = 'done';
    }
  }

  private acquire(member: string, max: number): { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[] {
    const end = this.cluster.log(this.topic, 0).endOffset;
    const out: { firstOffset: bigint; lastOffset: bigint; deliveryCount: number }[] = [];
    for (let o = 0, n = 0; o < end && n < max; o++) {
      let s = this.records.get(o);
      if (!s) this.records.set(o, (s = { state: 'available', member: '', count: 0 }));
      if (s.state !== 'available') continue;
      if (out.length && Number(out[out.length - 1]!.lastOffset) !== o - 1) break; // one contiguous run per response
      s.state = 'acquired';
      s.member = member;
      s.count++;
      n++;
      const last = out[out.length - 1];
      if (last && last.deliveryCount === s.count && Number(last.lastOffset) === o - 1) last.lastOffset = BigInt(o);
      else out.push({ firstOffset: BigInt(o), lastOffset: BigInt(o), deliveryCount: s.count });
    }
    return out;
  }
}
