// Events published on node:diagnostics_channel: zero cost while nobody subscribes, and a seam for
// metrics, tracing and tests that must not change how the clients behave.
//
//   import diagnostics_channel from 'node:diagnostics_channel';
//   diagnostics_channel.subscribe('sluice:consumer:commit', (e) => console.log(e));
import diagnostics_channel from 'node:diagnostics_channel';

/** One partition's committed offset (the next offset to read). */
export interface CommittedPartition {
  topic: string;
  partition: number;
  offset: number;
}

/** Published after the group coordinator accepted a commit (auto, on revoke, on close, or manual). */
export interface ConsumerCommitEvent {
  groupId: string;
  clientId: string;
  /** Member id and generation the commit was sent with (-1 / '' for a consumer without membership). */
  memberId: string;
  generationId: number;
  offsets: CommittedPartition[];
}

export const consumerCommitChannel = diagnostics_channel.channel('sluice:consumer:commit');
