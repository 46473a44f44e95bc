import type { FetchRequestFetchTopic } from '../protocol/generated/fetch.js';

/** What the fetcher asks of one partition; compared field by field to build incremental requests. */
export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** PartitionState.version when requested; local only, never sent. */
  version: number;
}

export interface SessionRequest {
  sessionId: number;
  sessionEpoch: number;
  /** Partitions to send: all of them in a full request, only new or changed ones in an incremental one. */
  partitions: SessionPartition[];
  /** Partitions to drop from the broker's session (incremental requests only). */
  forgotten: SessionPartition[];
}

const key = (p: { topicId: string; topic: string; partition: number }) => `${p.topicId || p.topic}\u0000${p.partition}`;

/**
 * The client side of an incremental fetch session (KIP-227). The first request is *full*
 * (session id 0, epoch 0) and lists every partition; the broker answers with a session id. After
 * that each request carries the next epoch and only what changed: new partitions, partitions whose
 * offset/limits/epoch moved, and `forgotten` ones. Idle partitions cost nothing per round trip.
 * Any error resets to a full request.
 */
export class FetchSession {
  id = 0;
  epoch = 0;
  private readonly sent = new Map<string, SessionPartition>();

  /** What the broker's session holds, keyed by topic id (or name) and partition. */
  private readonly byName = new Map<string, SessionPartition>();

  /**
   * The partition a response entry answers: by topic id (Fetch v13+) or by name (older versions,
   * which name topics even when their ids are known from metadata).
   */
  lookup(topicIdOrName: string, partition: number): SessionPartition | undefined {
    return this.sent.get(`${topicIdOrName}\u0000${partition}`) ?? this.byName.get(`${topicIdOrName}\u0000${partition}`);
  }

  build(wanted: SessionPartition[]): SessionRequest {
    const full = this.epoch === 0;
    const next = new Map(wanted.map((p) => [key(p), p]));
    const partitions: SessionPartition[] = [];
    const forgotten: SessionPartition[] = [];
    if (full) {
      partitions.push(...wanted);
    } else {
      for (const [k, p] of next) {
        const prev = this.sent.get(k);
        if (
          !prev ||
          prev.fetchOffset !== p.fetchOffset ||
          prev.maxBytes !== p.maxBytes ||
          prev.currentLeaderEpoch !== p.currentLeaderEpoch ||
          prev.lastFetchedEpoch !== p.lastFetchedEpoch
        ) {
          partitions.push(p);
        }
      }
      for (const [k, p] of this.sent) if (!next.has(k)) forgotten.push(p);
    }
    this.sent.clear();
    this.byName.clear();
    for (const [k, p] of next) {
      this.sent.set(k, p);
      this.byName.set(`${p.topic}\u0000${p.partition}`, p);
    }
    return { sessionId: this.id, sessionEpoch: this.epoch, partitions, forgotten };
  }

  /** After a successful response: adopt the session id (full) or advance the epoch. */
  onResponse(sessionId: number): void {
    if (this.epoch === 0) {
      this.id = sessionId;
      // No session created (the broker's cache is full, or sessions are off): keep sending full requests.
      this.epoch = sessionId === 0 ? 0 : 1;
    } else {
      this.epoch = this.epoch >= 0x7fffffff ? 1 : this.epoch + 1;
    }
  }

  /** Forget everything; the next request is full (after errors, or FETCH_SESSION_ID_NOT_FOUND). */
  reset(): void {
    this.id = 0;
    this.epoch = 0;
    this.sent.clear();
    this.byName.clear();
  }
}

export function toTopics(req: SessionRequest, useIds: boolean): FetchRequestFetchTopic[] {
  const byTopic = new Map<string, FetchRequestFetchTopic>();
  for (const p of req.partitions) {
    let t = byTopic.get(p.topic);
    if (!t) {
      t = useIds ? { topicId: p.topicId, partitions: [] } : { topic: p.topic, partitions: [] };
      byTopic.set(p.topic, t);
    }
    t.partitions.push({
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: BigInt(p.fetchOffset),
      lastFetchedEpoch: p.lastFetchedEpoch,
      logStartOffset: -1n,
      partitionMaxBytes: p.maxBytes,
    });
  }
  return [...byTopic.values()];
}

export function toForgotten(req: SessionRequest, useIds: boolean) {
  const byTopic = new Map<string, { topic?: string; topicId?: string; partitions: number[] }>();
  for (const p of req.forgotten) {
    let t = byTopic.get(p.topic);
    if (!t) {
      t = useIds ? { topicId: p.topicId, partitions: [] } : { topic: p.topic, partitions: [] };
      byTopic.set(p.topic, t);
    }
    t.partitions.push(p.partition);
  }
  return [...byTopic.values()];
}
