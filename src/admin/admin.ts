import { Cluster } from '../cluster/cluster.js';
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from '../cluster/options.js';
import { ConfigError } from '../errors.js';
import { kafkaError } from '../protocol/errors.js';
import { DescribeCluster } from '../protocol/generated/describe-cluster.js';
import { alterConfigs, describeConfigs } from './configs.js';
import { deleteGroups, describeGroups, listGroups } from './groups.js';
import { alterGroupOffsets, deleteGroupOffsets, groupLag, listGroupOffsets, listOffsets } from './offsets.js';
import { type CallOptions, startCall } from './per-item.js';
import {
  alterShareGroupOffsets,
  deleteShareGroupOffsets,
  describeShareGroups,
  listShareGroupOffsets,
  shareGroupLag,
} from './share-groups.js';
import { createPartitions, createTopics, deleteTopics, describeTopics, listTopics } from './topics.js';
import type {
  AlterConfigsInput,
  BrokerDescription,
  ClusterDescription,
  ConfigResource,
  CreatedTopic,
  CreateTopicsOptions,
  GroupDescription,
  GroupLag,
  GroupOffset,
  GroupType,
  ListedGroup,
  ListedOffset,
  NewPartitions,
  NewTopic,
  OffsetQuery,
  OffsetToAlter,
  ResourceConfigs,
  ShareGroupDescription,
  ShareGroupLag,
  ShareGroupOffset,
  ShareOffsetToAlter,
  TopicDescription,
  TopicPartition,
} from './types.js';

/** Admin options: the shared client options (brokers, TLS, SASL, timeouts); `defaultApiTimeoutMs` bounds each call. */
export type AdminOptions = ClientOptions;

type Isolation = { isolationLevel?: 'read_uncommitted' | 'read_committed' };

function names(list: unknown, what: string): string[] {
  const arr = typeof list === 'string' ? [list] : list;
  if (!Array.isArray(arr) || arr.some((x) => typeof x !== 'string' || x === '')) {
    throw new ConfigError(what, 'expected a name or an array of non-empty names');
  }
  return arr as string[];
}

/**
 * Administers topics, configs, consumer groups and their offsets. Every call retries what is worth
 * retrying (a controller or coordinator moving, a leader election) until its deadline (`timeoutMs`,
 * default `defaultApiTimeoutMs`), and fails with Kafka's error names: a call about one item rejects with
 * its KafkaError, a call about several with an AdminError listing which items failed. See docs/admin.md.
 */
export class Admin {
  readonly options: ResolvedClientOptions;
  private readonly cluster: Cluster;

  constructor(options: AdminOptions) {
    this.options = resolveClientOptions('Admin', options);
    this.cluster = new Cluster(this.options);
  }

  /** Connects (bootstrap metadata). Optional: every call connects first. */
  async connect(opts: CallOptions = {}): Promise<void> {
    await this.cluster.connect(opts);
  }

  /**
   * Closes the connections. Calls in flight reject at once with ClientClosedError (code
   * `CLIENT_CLOSED`, not retriable), and so do calls made afterwards.
   */
  close(): void {
    this.cluster.close();
  }

  // ---- Topics ----

  /** Creates topics; resolves when each has leaders (unless `validateOnly` or `waitForLeaders: false`). */
  createTopics(topics: NewTopic[], opts: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
    if (!Array.isArray(topics)) throw new ConfigError('topics', 'expected an array of { topic, numPartitions, … }');
    return createTopics(this.cluster, topics, startCall(opts));
  }

  deleteTopics(topics: string | string[], opts: CallOptions = {}): Promise<void> {
    return deleteTopics(this.cluster, names(topics, 'topics'), startCall(opts));
  }

  /** Topic names, sorted (internal topics such as __consumer_offsets only with `includeInternal`). */
  listTopics(opts: CallOptions & { includeInternal?: boolean } = {}): Promise<string[]> {
    return listTopics(this.cluster, startCall(opts));
  }

  /** Partitions with leader, replicas and ISR, and the topic id. An unknown topic is UNKNOWN_TOPIC_OR_PARTITION. */
  describeTopics(topics: string | string[], opts: CallOptions = {}): Promise<TopicDescription[]> {
    return describeTopics(this.cluster, names(topics, 'topics'), startCall(opts));
  }

  /** Adds partitions: `count` is the new total. */
  createPartitions(list: NewPartitions[], opts: CallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    return createPartitions(this.cluster, list, startCall(opts));
  }

  // ---- Configs ----

  describeConfigs(resources: ConfigResource[], opts: CallOptions = {}): Promise<ResourceConfigs[]> {
    return describeConfigs(this.cluster, resources, startCall(opts));
  }

  /** Incremental config changes (set, delete, append, subtract); configs not named keep their value. */
  alterConfigs(resources: AlterConfigsInput[], opts: CallOptions & { validateOnly?: boolean } = {}): Promise<void> {
    return alterConfigs(this.cluster, resources, startCall(opts));
  }

  // ---- Cluster ----

  /** Cluster id, controller and brokers (DescribeCluster; brokers before 2.8 answer through Metadata). */
  async describeCluster(opts: CallOptions = {}): Promise<ClusterDescription> {
    return this.cluster.retry(
      'Describing the cluster',
      async (_attempt, signal) => {
        await this.cluster.connect({ signal });
        const conn = await this.cluster.anyConnection('general', signal);
        let brokers: BrokerDescription[];
        let clusterId: string;
        let controllerId: number;
        if (conn.apiVersions.highest(DescribeCluster) !== undefined) {
          const res = await conn.request(DescribeCluster, { includeClusterAuthorizedOperations: false }, { signal });
          if (res.errorCode) {
            throw kafkaError(res.errorCode, {
              api: 'DescribeCluster',
              broker: conn.broker,
              serverMessage: res.errorMessage,
            });
          }
          brokers = res.brokers.map((b) => ({
            nodeId: b.brokerId,
            host: b.host,
            port: b.port,
            rack: b.rack,
            isFenced: b.isFenced,
          }));
          clusterId = res.clusterId;
          controllerId = res.controllerId;
        } else {
          await this.cluster.refreshMetadata({ signal });
          const md = this.cluster.metadata;
          brokers = [...md.brokers.values()].map((b) => ({ ...b, isFenced: false }));
          clusterId = md.clusterId ?? '';
          controllerId = md.controllerId;
        }
        brokers.sort((a, b) => a.nodeId - b.nodeId);
        return { clusterId, controllerId, controller: brokers.find((b) => b.nodeId === controllerId) ?? null, brokers };
      },
      opts,
    );
  }

  // ---- Groups ----

  /** Groups on every broker; filter by type (`classic`, `consumer`, …; ListGroups v5) and state. */
  listGroups(filter: { types?: GroupType[]; states?: string[] } & CallOptions = {}): Promise<ListedGroup[]> {
    return listGroups(this.cluster, filter, startCall(filter));
  }

  /** Groups of either protocol with members and their decoded assignments. Unknown: GROUP_ID_NOT_FOUND. */
  describeGroups(groupIds: string | string[], opts: CallOptions = {}): Promise<GroupDescription[]> {
    return describeGroups(this.cluster, names(groupIds, 'groupIds'), startCall(opts));
  }

  /** Deletes empty groups (a group with members is NON_EMPTY_GROUP). */
  deleteGroups(groupIds: string | string[], opts: CallOptions = {}): Promise<void> {
    return deleteGroups(this.cluster, names(groupIds, 'groupIds'), startCall(opts));
  }

  // ---- Offsets ----

  /** Offsets by spec: `earliest`, `latest` (default; the last stable offset with read_committed), `maxTimestamp`, or a timestamp. */
  listOffsets(queries: OffsetQuery[], opts: CallOptions & Isolation = {}): Promise<ListedOffset[]> {
    return listOffsets(this.cluster, queries, startCall(opts));
  }

  /** A group's committed offsets (all, or for these partitions). */
  listGroupOffsets(groupId: string, partitions?: TopicPartition[], opts: CallOptions = {}): Promise<GroupOffset[]> {
    return listGroupOffsets(this.cluster, names(groupId, 'groupId')[0]!, partitions, startCall(opts));
  }

  /** Sets committed offsets of a group without active members. */
  alterGroupOffsets(groupId: string, offsets: OffsetToAlter[], opts: CallOptions = {}): Promise<void> {
    return alterGroupOffsets(this.cluster, names(groupId, 'groupId')[0]!, offsets, startCall(opts));
  }

  /** Deletes committed offsets (of partitions the group no longer subscribes to). */
  deleteGroupOffsets(groupId: string, partitions: TopicPartition[], opts: CallOptions = {}): Promise<void> {
    return deleteGroupOffsets(this.cluster, names(groupId, 'groupId')[0]!, partitions, startCall(opts));
  }

  /** Committed offset, log end offset and lag per partition, and totals, in one call. */
  groupLag(groupId: string, opts: CallOptions & Isolation = {}): Promise<GroupLag> {
    return groupLag(this.cluster, names(groupId, 'groupId')[0]!, startCall(opts));
  }

  // ---- Share groups (KIP-932, Kafka 4.1+) ----

  /** Share groups with members and their assignments (ShareGroupDescribe). Unknown: GROUP_ID_NOT_FOUND. */
  describeShareGroups(groupIds: string | string[], opts: CallOptions = {}): Promise<ShareGroupDescription[]> {
    return describeShareGroups(this.cluster, names(groupIds, 'groupIds'), startCall(opts));
  }

  /** Share-partition start offsets (and the broker's lag, Kafka 4.2+) of a share group: all, or these partitions. */
  listShareGroupOffsets(
    groupId: string,
    partitions?: TopicPartition[],
    opts: CallOptions = {},
  ): Promise<ShareGroupOffset[]> {
    return listShareGroupOffsets(this.cluster, names(groupId, 'groupId')[0]!, partitions, startCall(opts));
  }

  /** Moves share-partition start offsets; only while the group has no members (else NON_EMPTY_GROUP). */
  alterShareGroupOffsets(groupId: string, offsets: ShareOffsetToAlter[], opts: CallOptions = {}): Promise<void> {
    if (!Array.isArray(offsets)) throw new ConfigError('offsets', 'expected an array of { topic, partition, offset }');
    return alterShareGroupOffsets(this.cluster, names(groupId, 'groupId')[0]!, offsets, startCall(opts));
  }

  /** Deletes a share group's state for whole topics; only while the group has no members (else NON_EMPTY_GROUP). */
  deleteShareGroupOffsets(groupId: string, topics: string | string[], opts: CallOptions = {}): Promise<void> {
    return deleteShareGroupOffsets(
      this.cluster,
      names(groupId, 'groupId')[0]!,
      names(topics, 'topics'),
      startCall(opts),
    );
  }

  /** Start offset, log end offset and lag per partition of a share group, and totals. */
  shareGroupLag(groupId: string, opts: CallOptions = {}): Promise<ShareGroupLag> {
    return shareGroupLag(this.cluster, names(groupId, 'groupId')[0]!, startCall(opts));
  }
}
