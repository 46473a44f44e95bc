import { tpKey } from '../consumer/topic-partition.js';

/** A partition as a share session names it. */
export interface SessionPartition {
  topic: string;
  partition: number;
  topicId: string;
}

/** Share session epochs with a meaning of their own (KIP-932). */
export const OPEN_EPOCH = 0;
export const CLOSE_EPOCH = -1;

/**
 * The client side of one broker's share session (KIP-932, like KIP-227 fetch sessions): epoch 0 opens
 * a session with the partitions listed; each later request carries the next epoch and lists only the
 * partitions added (or carrying acknowledgements) and those to forget; -1 closes it, which also makes
 * the broker release every record the member still holds there. A session error
 * (SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH) or a lost connection starts over at epoch 0.
 */
export class ShareSession {
  epoch = OPEN_EPOCH;
  /** Partitions in the broker's session, by tpKey. */
  private readonly partitions = new Map<string, SessionPartition>();

  get isOpen(): boolean {
    return this.epoch > 0;
  }

  /**
   * The next request's partition lists for `wanted`: everything when opening, otherwise the changes
   * (a topic recreated under a new id is forgotten and added again). Applied at once: if the request
   * then fails, {@link reset} starts over.
   */
  build(wanted: readonly SessionPartition[]): { added: SessionPartition[]; forgotten: SessionPartition[] } {
    const next = new Map(wanted.map((p) => [tpKey(p.topic, p.partition), p]));
    if (this.epoch === OPEN_EPOCH) {
      this.partitions.clear();
      for (const [k, p] of next) this.partitions.set(k, p);
      return { added: [...next.values()], forgotten: [] };
    }
    const added: SessionPartition[] = [];
    const forgotten: SessionPartition[] = [];
    for (const [k, p] of this.partitions) {
      const n = next.get(k);
      if (!n || n.topicId !== p.topicId) {
        forgotten.push(p);
        this.partitions.delete(k);
      }
    }
    for (const [k, p] of next) {
      if (this.partitions.has(k)) continue;
      this.partitions.set(k, p);
      added.push(p);
    }
    return { added, forgotten };
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.has(tpKey(topic, partition));
  }

  get size(): number {
    return this.partitions.size;
  }

  /** The broker answered the request sent with the current epoch. */
  advance(): void {
    // Epochs wrap to 1, never to 0 (open) or negative (close), as Java's ShareRequestMetadata.nextEpoch.
    this.epoch = this.epoch >= 0x7fffffff ? 1 : this.epoch + 1;
  }

  /** Start over: the next request opens a new session. */
  reset(): void {
    this.epoch = OPEN_EPOCH;
    this.partitions.clear();
  }
}
