import type { Cluster } from '../cluster/cluster.js';
import type { Connection } from '../network/connection.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeResponseAssignment,
  type ConsumerGroupDescribeResponseDescribedGroup,
} from '../protocol/generated/consumer-group-describe.js';
import { decodeConsumerProtocolAssignmentVersioned } from '../protocol/generated/consumer-protocol-assignment.js';
import { decodeConsumerProtocolSubscriptionVersioned } from '../protocol/generated/consumer-protocol-subscription.js';
import { DeleteGroups } from '../protocol/generated/delete-groups.js';
import { DescribeGroups, type DescribeGroupsResponseDescribedGroup } from '../protocol/generated/describe-groups.js';
import { ListGroups } from '../protocol/generated/list-groups.js';
import { Reader } from '../protocol/reader.js';
import { type CallOptions, type ItemAnswers, perItem } from './per-item.js';
import type { GroupDescription, GroupMember, GroupType, ListedGroup, TopicPartition } from './types.js';

const GROUP_ID_NOT_FOUND = 69;

/** Every broker coordinates some groups: ListGroups asks each one and merges the answers. */
export async function listGroups(
  cluster: Cluster,
  filter: { types?: readonly GroupType[]; states?: readonly string[] },
  opts: CallOptions,
): Promise<ListedGroup[]> {
  await cluster.connect(opts);
  await cluster.refreshMetadata(opts);
  // Brokers advertised with an unusable address are asked too: their (typed) error then says which
  // groups may be missing, rather than leaving them out silently.
  const nodes = [...cluster.metadata.brokers.keys(), ...cluster.metadata.invalidBrokers.keys()].map(String);
  const types = filter.types?.map((t) => t.toLowerCase());
  const states = filter.states?.map((s) => s.toLowerCase());
  const perNode = await perItem<ListedGroup[]>(
    cluster,
    'ListGroups',
    nodes,
    async (pending, signal) => {
      const answers: ItemAnswers<ListedGroup[]> = new Map();
      await Promise.all(
        pending.map(async (node) => {
          try {
            const conn = await cluster.connectionTo(Number(node), 'general', signal);
            const version = conn.apiVersions.pick(ListGroups);
            const res = await conn.request(
              ListGroups,
              {
                statesFilter: filter.states ? [...filter.states] : [],
                typesFilter: filter.types ? [...filter.types] : [],
              },
              { signal },
            );
            if (res.errorCode) {
              answers.set(node, kafkaError(res.errorCode, { api: 'ListGroups', broker: conn.broker }));
              return;
            }
            let groups = res.groups.map((g) => ({
              groupId: g.groupId,
              protocolType: g.protocolType,
              state: g.groupState,
              type: g.groupType.toLowerCase(),
            }));
            // Older brokers ignore filters they do not know (states: v4+, types: v5+): apply them here.
            if (states && version < 4) groups = groups.filter((g) => states.includes(g.state.toLowerCase()));
            if (types && version < 5) groups = groups.filter((g) => types.includes(g.type || 'classic'));
            answers.set(node, groups);
          } catch (err) {
            if (err instanceof KafkaError) answers.set(node, err);
            else throw err;
          }
        }),
      );
      return answers;
    },
    opts,
  );
  const byId = new Map<string, ListedGroup>();
  for (const list of perNode.values()) for (const g of list) byId.set(g.groupId, g);
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/**
 * Groups `groupIds` by coordinator. A group whose coordinator cannot be found gets its error; the
 * retry loop asks again for retriable ones.
 */
export async function byCoordinator(
  cluster: Cluster,
  groupIds: readonly string[],
  answers: ItemAnswers<unknown>,
  signal?: AbortSignal,
): Promise<Map<Connection, string[]>> {
  await cluster.connect({ signal });
  const out = new Map<Connection, string[]>();
  await Promise.all(
    groupIds.map(async (groupId) => {
      try {
        const addr = await cluster.coordinators.find('group', groupId, signal);
        const conn = await cluster.pool.get(addr, 'general', signal);
        let list = out.get(conn);
        if (!list) out.set(conn, (list = []));
        list.push(groupId);
      } catch (err) {
        cluster.coordinators.invalidate('group', groupId);
        if (err instanceof KafkaError) answers.set(groupId, err);
        else throw err;
      }
    }),
  );
  return out;
}

/** A per-group error; coordinator moves drop the cached coordinator so the next round finds the new one. */
export function groupError(
  cluster: Cluster,
  code: number,
  api: string,
  groupId: string,
  conn: Connection,
  message?: string | null,
): KafkaError {
  const err = kafkaError(code, { api, groupId, broker: conn.broker, serverMessage: message ?? null });
  if (err.coordinatorChanged) cluster.coordinators.invalidate('group', groupId);
  return err;
}

/**
 * What an answer with per-item error codes fails with: the first error that is not retriable, else the
 * first retriable one (so the call is retried only when every failure is worth retrying); undefined when
 * no item failed. `what` names the item in the message (the server's message when it gave one).
 */
export function firstGroupError(
  cluster: Cluster,
  api: string,
  groupId: string,
  conn: Connection,
  items: Iterable<{ errorCode: number; what: string }>,
): KafkaError | undefined {
  let failed: KafkaError | undefined;
  for (const item of items) {
    if (item.errorCode && (!failed || failed.retriable))
      failed = groupError(cluster, item.errorCode, api, groupId, conn, item.what);
  }
  return failed;
}

/**
 * Describes groups of either protocol in one shape. KIP-848 groups answer ConsumerGroupDescribe; for the
 * others (classic groups) it says GROUP_ID_NOT_FOUND, and they are asked with DescribeGroups, as Java's
 * admin does. A group neither knows is GROUP_ID_NOT_FOUND.
 */
export async function describeGroups(
  cluster: Cluster,
  groupIds: readonly string[],
  opts: CallOptions,
): Promise<GroupDescription[]> {
  const results = await perItem<GroupDescription>(
    cluster,
    'DescribeGroups',
    groupIds,
    async (pending, signal) => {
      const answers: ItemAnswers<GroupDescription> = new Map();
      const routes = await byCoordinator(cluster, pending, answers, signal);
      await Promise.all(
        [...routes].map(async ([conn, ids]) => {
          const node = nodeOf(cluster, conn);
          let classic = ids;
          if (conn.apiVersions.highest(ConsumerGroupDescribe) !== undefined) {
            classic = [];
            const res = await conn.request(
              ConsumerGroupDescribe,
              { groupIds: ids, includeAuthorizedOperations: false },
              { signal },
            );
            for (const g of res.groups) {
              if (g.errorCode === GROUP_ID_NOT_FOUND) classic.push(g.groupId);
              else if (g.errorCode)
                answers.set(
                  g.groupId,
                  groupError(cluster, g.errorCode, 'ConsumerGroupDescribe', g.groupId, conn, g.errorMessage),
                );
              else answers.set(g.groupId, fromConsumerGroup(g, node));
            }
          }
          if (classic.length === 0) return;
          const res = await conn.request(
            DescribeGroups,
            { groups: classic, includeAuthorizedOperations: false },
            { signal },
          );
          for (const g of res.groups) {
            if (g.errorCode)
              answers.set(
                g.groupId,
                groupError(cluster, g.errorCode, 'DescribeGroups', g.groupId, conn, g.errorMessage),
              );
            else if (g.groupState === 'Dead')
              answers.set(g.groupId, groupError(cluster, GROUP_ID_NOT_FOUND, 'DescribeGroups', g.groupId, conn));
            else answers.set(g.groupId, fromClassicGroup(g, node));
          }
        }),
      );
      return answers;
    },
    opts,
  );
  return groupIds.map((id) => results.get(id)!);
}

export function nodeOf(cluster: Cluster, conn: Connection): number {
  for (const b of cluster.metadata.brokers.values()) if (`${b.host}:${b.port}` === conn.broker) return b.nodeId;
  return -1;
}

function partitionsOf(a: ConsumerGroupDescribeResponseAssignment): TopicPartition[] {
  return a.topicPartitions
    .flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topicName, partition })))
    .sort(byTopicPartition);
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function fromConsumerGroup(g: ConsumerGroupDescribeResponseDescribedGroup, coordinator: number): GroupDescription {
  return {
    groupId: g.groupId,
    type: 'consumer',
    state: g.groupState,
    protocolType: 'consumer',
    assignor: g.assignorName,
    groupEpoch: g.groupEpoch,
    coordinator,
    members: g.members.map(
      (m): GroupMember => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: partitionsOf(m.assignment),
        targetAssignment: partitionsOf(m.targetAssignment),
        subscribedTopics: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        memberEpoch: m.memberEpoch,
        rackId: m.rackId,
      }),
    ),
  };
}

function fromClassicGroup(g: DescribeGroupsResponseDescribedGroup, coordinator: number): GroupDescription {
  const consumer = g.protocolType === 'consumer';
  return {
    groupId: g.groupId,
    type: 'classic',
    state: g.groupState,
    protocolType: g.protocolType,
    assignor: g.protocolData,
    groupEpoch: -1,
    coordinator,
    members: g.members.map((m): GroupMember => {
      const member: GroupMember = {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: consumer ? decodeAssignment(m.memberAssignment) : [],
      };
      const topics = consumer ? decodeSubscribedTopics(m.memberMetadata) : undefined;
      if (topics) member.subscribedTopics = topics;
      return member;
    }),
  };
}

/** The consumer protocol's assignment (ConsumerProtocolAssignment); undecodable bytes give no partitions. */
function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    const { value } = decodeConsumerProtocolAssignmentVersioned(r);
    return value.assignedPartitions
      .flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition })))
      .sort(byTopicPartition);
  } catch {
    return [];
  }
}

function decodeSubscribedTopics(bytes: Buffer): string[] | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return decodeConsumerProtocolSubscriptionVersioned(new Reader(bytes)).value.topics;
  } catch {
    return undefined;
  }
}

export async function deleteGroups(cluster: Cluster, groupIds: readonly string[], opts: CallOptions): Promise<void> {
  await perItem<true>(
    cluster,
    'DeleteGroups',
    groupIds,
    async (pending, signal) => {
      const answers: ItemAnswers<true> = new Map();
      const routes = await byCoordinator(cluster, pending, answers, signal);
      await Promise.all(
        [...routes].map(async ([conn, ids]) => {
          const res = await conn.request(DeleteGroups, { groupsNames: ids }, { signal });
          for (const r of res.results) {
            answers.set(
              r.groupId,
              r.errorCode ? groupError(cluster, r.errorCode, 'DeleteGroups', r.groupId, conn, r.errorMessage) : true,
            );
          }
        }),
      );
      return answers;
    },
    opts,
  );
}
