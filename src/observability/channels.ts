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
  /** How long the commit took, from sending to the coordinator's answer (retries included). */
  durationMs: number;
}

export const consumerCommitChannel = diagnostics_channel.channel('sluice:consumer:commit');

/** Published after each Fetch response (sluice:consumer:fetch). */
export interface ConsumerFetchEvent {
  clientId: string;
  /** Node id of the broker asked. */
  broker: number;
  /** Request to response, including the time the broker parked it (fetch.max.wait.ms). */
  durationMs: number;
  /**
   * Each partition the response answered for: its high watermark, and the consumer's fetch position
   * once the answer was applied (the next offset it will fetch; -1 while unknown).
   */
  partitions: Array<{ topic: string; partition: number; highWatermark: number; position: number }>;
}

export const consumerFetchChannel = diagnostics_channel.channel('sluice:consumer:fetch');

/**
 * Published when a slice of records is decoded for delivery (sluice:consumer:records): the records
 * the application is handed next, unless a seek or revocation drops them first.
 */
export interface ConsumerRecordsEvent {
  clientId: string;
  groupId: string;
  topic: string;
  partition: number;
  records: number;
  /** Key and value bytes of those records. */
  bytes: number;
}

export const consumerRecordsChannel = diagnostics_channel.channel('sluice:consumer:records');

/** Published after partitions were assigned, revoked or lost and the listener ran (sluice:consumer:rebalance). */
export interface ConsumerRebalanceEvent {
  clientId: string;
  groupId: string;
  kind: 'assigned' | 'revoked' | 'lost';
  partitions: Array<{ topic: string; partition: number }>;
}

export const consumerRebalanceChannel = diagnostics_channel.channel('sluice:consumer:rebalance');

/** Published for each error the consumer meets, retried or not (sluice:consumer:error). */
export interface ConsumerErrorEvent {
  clientId: string;
  /** The error's stable code (a SluiceError's `code`, Kafka's error name), 'UNKNOWN' otherwise. */
  code: string;
  /** Where: a Fetch request, one partition's fetch, a commit, or a failure that stops the consumer. */
  source: 'fetch' | 'fetch-partition' | 'commit' | 'consumer';
  error: Error;
}

export const consumerErrorChannel = diagnostics_channel.channel('sluice:consumer:error');

/** Publishes a ConsumerErrorEvent when someone listens (never throws). */
export function publishConsumerError(clientId: string, source: ConsumerErrorEvent['source'], error: unknown): void {
  if (!consumerErrorChannel.hasSubscribers) return;
  const err = error instanceof Error ? error : new Error(String(error));
  const raw = (err as Error & { code?: unknown }).code;
  const code = typeof raw === 'string' && raw ? raw : 'UNKNOWN';
  consumerErrorChannel.publish({ clientId, code, source, error: err } satisfies ConsumerErrorEvent);
}

/**
 * Published when a member completed a classic group join (JoinGroup + SyncGroup), before its
 * assignment is applied (sluice:consumer:join). With the KIP-848 protocol (`groupProtocol:
 * 'consumer'`), when a new assignment from the broker has been reconciled (revocations done), before
 * its new partitions start: `generationId` is the member epoch, `leaderId` is '' and `isLeader` false
 * (the broker assigns), `protocol` the requested server assignor ('' for the broker's default), and
 * `durationMs` the reconciliation's time.
 */
export interface ConsumerJoinEvent {
  clientId: string;
  groupId: string;
  memberId: string;
  generationId: number;
  leaderId: string;
  isLeader: boolean;
  /** The assignor the coordinator chose (its wire name). */
  protocol: string;
  /** This member's whole assignment in the new generation. */
  assignment: Array<{ topic: string; partition: number }>;
  /** From sending JoinGroup to the SyncGroup answer. */
  durationMs: number;
}

export const consumerJoinChannel = diagnostics_channel.channel('sluice:consumer:join');

/**
 * Published after the coordinator accepted a heartbeat (sluice:consumer:heartbeat); with KIP-848,
 * `generationId` is the member epoch the heartbeat returned.
 */
export interface ConsumerHeartbeatEvent {
  clientId: string;
  groupId: string;
  memberId: string;
  generationId: number;
}

export const consumerHeartbeatChannel = diagnostics_channel.channel('sluice:consumer:heartbeat');
