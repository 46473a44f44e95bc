import type { TopicPartition } from '../topic-partition.js';

/** What a commit must carry to be accepted by the group coordinator. */
export interface CommitIdentity {
  /** Classic: the generation id. KIP-848: the member epoch. */
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
}

/**
 * How a group membership (classic or KIP-848) tells the consumer about partition changes. The
 * consumer implements these; the membership calls them one at a time, in order. `deadline` (ms since
 * the epoch) bounds the wait for in-flight handlers; by default it is now + the rebalance timeout.
 */
export interface GroupHooks {
  /** Give partitions up: abort their handlers' signals, let them finish (bounded), commit, call onPartitionsRevoked. */
  revoke(partitions: TopicPartition[], reason: string, deadline?: number): Promise<void>;
  /** The partitions are no longer ours and may already be someone else's: abort, wait (bounded), no commit, onPartitionsLost. */
  lose(partitions: TopicPartition[], reason: string, deadline?: number): Promise<void>;
  /** New partitions (possibly none): call onPartitionsAssigned, then resolve positions and start fetching. */
  assign(partitions: TopicPartition[]): Promise<void>;
  /** An error the membership cannot recover from (fenced static member, authorization, bad config). */
  fatal(err: Error): void;
}

/** A generation (classic) or member epoch (KIP-848) and the member id it was joined with. */
export interface GenerationInfo {
  readonly generationId: number;
  readonly memberId: string;
}

export const NO_GENERATION: GenerationInfo = Object.freeze({ generationId: -1, memberId: '' });

/** A consumer's membership in a group, whichever protocol runs it. */
export interface GroupMembership {
  start(): void;
  requestRejoin(reason: string): void;
  /** Null while no generation/epoch is valid: then nothing may be committed (DESIGN invariant 5). */
  commitIdentity(): CommitIdentity | null;
  ownedPartitions(): TopicPartition[];
  /** The last generation joined (kept until the next join completes); -1 and '' before the first. */
  generation(): GenerationInfo;
  /** A commit sent with `sentWith` was rejected because the generation or epoch is stale. */
  onGenerationFenced(err: Error, sentWith?: CommitIdentity): void;
  /** Revokes (commits) owned partitions and leaves the group, all by `deadline` (ms since the epoch). */
  stop(deadline: number): Promise<void>;
}
