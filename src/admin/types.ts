import type { CallOptions } from './per-item.js';

export type { CallOptions };

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface NewTopic {
  topic: string;
  /** Default: the broker's `num.partitions` (-1). Not with `replicaAssignment`. */
  numPartitions?: number;
  /** Default: the broker's `default.replication.factor` (-1). Not with `replicaAssignment`. */
  replicationFactor?: number;
  /** Replica broker ids per partition (partition → broker ids), instead of counts. */
  replicaAssignment?: Record<number, number[]>;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string | number | boolean>;
}

export interface CreateTopicsOptions extends CallOptions {
  /** Only check the request (names, configs, policies); create nothing. */
  validateOnly?: boolean;
  /** Resolve only once every partition of the new topics has a leader (default true; not with validateOnly). */
  waitForLeaders?: boolean;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** Where the value comes from, e.g. `DYNAMIC_TOPIC_CONFIG`, `STATIC_BROKER_CONFIG`, `DEFAULT_CONFIG`. */
  source: string;
  sensitive: boolean;
}

export interface CreatedTopic {
  topic: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  configs: ConfigEntry[];
}

export interface PartitionDescription {
  partition: number;
  /** Node id, or -1 while there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicDescription {
  topic: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
}

export interface NewPartitions {
  topic: string;
  /** The total number of partitions wanted (more than now). */
  count: number;
  /** Replica broker ids for each new partition. */
  assignments?: number[][];
}

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger' | 'client-metrics' | 'group';

export interface ConfigResource {
  type: ConfigResourceType;
  /** Topic name or broker id (as a string; '' for the cluster-wide broker default). */
  name: string;
  /** Only these config names (default: all). */
  names?: string[];
}

export interface ResourceConfigs {
  type: ConfigResourceType;
  name: string;
  configs: Record<string, ConfigEntry>;
}

export interface ConfigChange {
  name: string;
  /** `set` (default), `delete` (back to the default), `append`/`subtract` (list configs). */
  op?: 'set' | 'delete' | 'append' | 'subtract';
  value?: string | number | boolean | null;
}

export interface AlterConfigsInput {
  type: ConfigResourceType;
  name: string;
  changes: ConfigChange[];
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  isFenced: boolean;
}

export interface ClusterDescription {
  clusterId: string;
  /** The controller's node id as brokers report it (-1 if unknown). */
  controllerId: number;
  controller: BrokerDescription | null;
  brokers: BrokerDescription[];
}

export type GroupType = 'classic' | 'consumer' | 'share' | 'streams';

export interface ListedGroup {
  groupId: string;
  /** `consumer` for consumer groups of either protocol, '' for groups without one. */
  protocolType: string;
  state: string;
  /** The group's type (ListGroups v5+); '' when the broker does not say. */
  type: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Partitions the member owns now. */
  assignment: TopicPartition[];
  /** KIP-848 groups: what the coordinator wants it to own (equal to `assignment` once reconciled). */
  targetAssignment?: TopicPartition[];
  /** Topics it subscribes to (KIP-848 groups; classic consumer groups from the member's subscription). */
  subscribedTopics?: string[];
  subscribedTopicRegex?: string | null;
  /** KIP-848 groups only. */
  memberEpoch?: number;
  rackId?: string | null;
}

export interface GroupDescription {
  groupId: string;
  /** `classic` (JoinGroup/SyncGroup) or `consumer` (KIP-848). */
  type: 'classic' | 'consumer';
  /** e.g. `Stable`, `Empty`, `PreparingRebalance` (classic), `Stable`, `Empty`, `Reconciling`, `Assigning` (consumer). */
  state: string;
  /** Classic: the protocol type (`consumer` for consumer groups). */
  protocolType: string;
  /** Classic: the chosen assignor (`range`, `cooperative-sticky`, …); consumer: the server assignor. */
  assignor: string;
  /** KIP-848 group epoch, -1 for classic groups. */
  groupEpoch: number;
  coordinator: number;
  members: GroupMember[];
}

export type OffsetSpecName = 'earliest' | 'latest' | 'maxTimestamp';

export interface OffsetQuery extends TopicPartition {
  /** `latest` (default), `earliest`, `maxTimestamp` (the record with the largest timestamp), or a timestamp in ms. */
  at?: OffsetSpecName | number;
}

export interface ListedOffset extends TopicPartition {
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export interface GroupOffset extends TopicPartition {
  /** The next offset the group will read. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface OffsetToAlter extends TopicPartition {
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface PartitionLag extends TopicPartition {
  /** The group's committed offset, or null when it has none for this partition. */
  committedOffset: number | null;
  /** The log end offset (the last stable offset with `isolationLevel: 'read_committed'`). */
  logEndOffset: number;
  /** logEndOffset − committedOffset (never negative); null without a committed offset. */
  lag: number | null;
}

export interface GroupLag {
  groupId: string;
  partitions: PartitionLag[];
  /** Lag per topic (partitions without a commit are not counted). */
  topics: Record<string, number>;
  totalLag: number;
}

export interface ShareGroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  rackId: string | null;
  memberEpoch: number;
  subscribedTopics: string[];
  /** Partitions the member is assigned (in a share group several members may share a partition). */
  assignment: TopicPartition[];
}

export interface ShareGroupDescription {
  groupId: string;
  type: 'share';
  /** `Empty`, `Stable`, `Dead`, … as the coordinator says. */
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  /** The server-side assignor (`simple`). */
  assignor: string;
  coordinator: number;
  members: ShareGroupMember[];
}

export interface ShareGroupOffset extends TopicPartition {
  /**
   * The share-partition start offset (SPSO): every record before it is done (acknowledged, archived, or
   * skipped by an offset reset); records from it on may still be delivered.
   */
  startOffset: number;
  leaderEpoch: number;
  /**
   * The broker's count of records from the start offset to the end not yet done (in flight or not yet
   * delivered; DescribeShareGroupOffsets v1, Kafka 4.2+); null when the broker does not say.
   */
  lag: number | null;
}

export interface ShareOffsetToAlter extends TopicPartition {
  /** The new share-partition start offset. */
  offset: number;
}

export interface SharePartitionLag extends TopicPartition {
  /** The share-partition start offset, or null when the group has no state for the partition yet. */
  startOffset: number | null;
  /** The log end offset (high watermark). */
  logEndOffset: number;
  /**
   * Records not yet done: the broker's own figure where it gives one (it leaves out records already
   * acknowledged past the start offset), else logEndOffset − startOffset. Null without a start offset.
   */
  lag: number | null;
  /** Where `lag` comes from: `broker` (DescribeShareGroupOffsets v1) or `computed` (end − start). */
  lagSource: 'broker' | 'computed' | null;
}

export interface ShareGroupLag {
  groupId: string;
  partitions: SharePartitionLag[];
  /** Lag per topic (partitions without a start offset are not counted). */
  topics: Record<string, number>;
  totalLag: number;
}
