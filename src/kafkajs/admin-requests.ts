// The admin calls whose KafkaJS results carry what Sluice's Admin leaves out (config synonyms, group
// members' raw metadata and assignment bytes) or that Sluice's Admin does not have (DeleteRecords):
// requests made here on the admin's Cluster, with the retries of Sluice's admin calls.

import { byCoordinator } from '../admin/groups.js';
import type { ItemAnswers } from '../admin/per-item.js';
import { controllerConnection } from '../admin/topics.js';
import type { Cluster } from '../cluster/cluster.js';
import { KafkaError, kafkaError } from '../protocol/errors.js';
import { DeleteRecords } from '../protocol/generated/delete-records.js';
import { DescribeConfigs } from '../protocol/generated/describe-configs.js';
import { DescribeGroups } from '../protocol/generated/describe-groups.js';
import { Metadata } from '../protocol/generated/metadata.js';
import { OffsetFetch } from '../protocol/generated/offset-fetch.js';
import type {
  ConfigEntries,
  DescribeConfigResponse,
  GroupDescription,
  ITopicMetadata,
  ResourceConfigQuery,
} from './admin-types.js';
import { ConfigResourceTypes } from './admin-types.js';

type Opts = { timeoutMs?: number };

const isBroker = (type: number) => type === ConfigResourceTypes.BROKER || type === ConfigResourceTypes.BROKER_LOGGER;

/**
 * DescribeConfigs as KafkaJS returns it: broker resources asked of that broker, the rest of the
 * controller; the first resource error is thrown (as KafkaJS's response parser does).
 */
export async function describeConfigsRaw(
  cluster: Cluster,
  resources: readonly ResourceConfigQuery[],
  includeSynonyms: boolean,
  opts: Opts,
): Promise<DescribeConfigResponse> {
  return cluster.retry(
    'DescribeConfigs',
    async (_attempt, signal) => {
      await cluster.connect({ signal });
      const groups = new Map<string, ResourceConfigQuery[]>();
      for (const r of resources) {
        const k = isBroker(r.type) ? `broker:${r.name}` : 'controller';
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const out: DescribeConfigResponse['resources'] = [];
      for (const [k, list] of groups) {
        const conn =
          k === 'controller'
            ? await controllerConnection(cluster, signal)
            : await cluster.connectionTo(Number(list[0]!.name), 'general', signal);
        const res = await conn.request(
          DescribeConfigs,
          {
            resources: list.map((r) => ({
              resourceType: r.type,
              resourceName: r.name,
              configurationKeys: r.configNames ?? null,
            })),
            includeSynonyms,
          },
          { signal },
        );
        for (const r of res.results) {
          if (r.errorCode) {
            throw kafkaError(r.errorCode, {
              api: 'DescribeConfigs',
              ...(r.resourceType === ConfigResourceTypes.TOPIC ? { topic: r.resourceName } : {}),
              serverMessage: r.errorMessage,
              broker: conn.broker,
            });
          }
          out.push({
            errorCode: 0,
            errorMessage: r.errorMessage ?? '',
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configEntries: r.configs.map(
              (c): ConfigEntries => ({
                configName: c.name,
                configValue: c.value as string,
                readOnly: c.readOnly,
                isDefault: c.configSource === 5,
                configSource: c.configSource,
                isSensitive: c.isSensitive,
                configSynonyms: includeSynonyms
                  ? c.synonyms.map((s) => ({
                      configName: s.name,
                      configValue: s.value as string,
                      configSource: s.source,
                    }))
                  : [],
              }),
            ),
          });
        }
      }
      return { resources: out };
    },
    opts,
  );
}

/**
 * DescribeGroups at version 2 (what KafkaJS speaks): unknown groups come back as state `Dead`, members
 * with their metadata and assignment bytes (AssignerProtocol decodes them).
 */
export async function describeGroupsRaw(
  cluster: Cluster,
  groupIds: readonly string[],
  opts: Opts,
): Promise<GroupDescription[]> {
  return cluster.retry(
    'DescribeGroups',
    async (_attempt, signal) => {
      const answers: ItemAnswers<unknown> = new Map();
      const routes = await byCoordinator(cluster, groupIds, answers, signal);
      for (const err of answers.values()) if (err instanceof KafkaError) throw err;
      const byId = new Map<string, GroupDescription>();
      for (const [conn, ids] of routes) {
        const res = await conn.request(DescribeGroups, { groups: ids }, { signal, maxVersion: 2 });
        for (const g of res.groups) {
          if (g.errorCode) {
            const err = kafkaError(g.errorCode, { api: 'DescribeGroups', groupId: g.groupId, broker: conn.broker });
            if (err.coordinatorChanged) cluster.coordinators.invalidate('group', g.groupId);
            throw err;
          }
          byId.set(g.groupId, {
            errorCode: 0,
            groupId: g.groupId,
            state: g.groupState,
            protocolType: g.protocolType,
            protocol: g.protocolData,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.memberMetadata,
              memberAssignment: m.memberAssignment,
            })),
          });
        }
      }
      return groupIds.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
    },
    opts,
  );
}

export interface DeleteRecordsOutcome {
  partition: number;
  offset: string;
  error: KafkaError | null;
}

/** DeleteRecords on each partition's leader; per-partition errors are returned, not thrown. */
export async function deleteRecords(
  cluster: Cluster,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: number }>,
  opts: Opts & { leaders: Map<number, number> },
): Promise<DeleteRecordsOutcome[]> {
  const byLeader = new Map<number, Array<{ partition: number; offset: number }>>();
  for (const p of partitions) {
    const leader = opts.leaders.get(p.partition)!;
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  const out: DeleteRecordsOutcome[] = [];
  await Promise.all(
    [...byLeader].map(async ([leader, list]) => {
      const res = await cluster.retry(
        'DeleteRecords',
        async (_attempt, signal) => {
          const conn = await cluster.connectionTo(leader, 'general', signal);
          return conn.request(
            DeleteRecords,
            {
              topics: [
                {
                  name: topic,
                  partitions: list.map((p) => ({ partitionIndex: p.partition, offset: BigInt(p.offset) })),
                },
              ],
              timeoutMs: opts.timeoutMs ?? 30_000,
            },
            { signal },
          );
        },
        opts,
      );
      for (const t of res.topics) {
        for (const p of t.partitions) {
          const asked = list.find((x) => x.partition === p.partitionIndex);
          out.push({
            partition: p.partitionIndex,
            offset: String(asked?.offset ?? -1),
            error: p.errorCode
              ? kafkaError(p.errorCode, { api: 'DeleteRecords', topic, partition: p.partitionIndex })
              : null,
          });
        }
      }
    }),
  );
  return out.sort((a, b) => a.partition - b.partition);
}

/**
 * A group's committed offsets as stored, negatives included: KafkaJS's resetOffsets commits -2/-1
 * markers, and fetchOffsets must show them (Sluice's own listGroupOffsets leaves them out).
 * `topics` null: every partition the group has an offset for.
 */
export async function fetchGroupOffsetsRaw(
  cluster: Cluster,
  groupId: string,
  topics: ReadonlyArray<{ topic: string; partitions: number[] }> | null,
  opts: Opts,
): Promise<Array<{ topic: string; partition: number; offset: string; metadata: string | null }>> {
  return cluster.retry(
    'OffsetFetch',
    async (_attempt, signal) => {
      const answers: ItemAnswers<unknown> = new Map();
      const routes = await byCoordinator(cluster, [groupId], answers, signal);
      for (const err of answers.values()) if (err instanceof KafkaError) throw err;
      const out: Array<{ topic: string; partition: number; offset: string; metadata: string | null }> = [];
      for (const conn of routes.keys()) {
        const res = await conn.request(
          OffsetFetch,
          {
            groupId,
            topics: topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
            requireStable: false,
          },
          { signal, maxVersion: 7 },
        );
        const fail = (code: number) => {
          const err = kafkaError(code, { api: 'OffsetFetch', groupId, broker: conn.broker });
          if (err.coordinatorChanged) cluster.coordinators.invalidate('group', groupId);
          return err;
        };
        if (res.errorCode) throw fail(res.errorCode);
        for (const t of res.topics) {
          for (const p of t.partitions) {
            if (p.errorCode) throw fail(p.errorCode);
            out.push({
              topic: t.name,
              partition: p.partitionIndex,
              offset: String(p.committedOffset),
              metadata: p.metadata || null,
            });
          }
        }
      }
      return out;
    },
    opts,
  );
}

/**
 * Every topic's partitions from one Metadata request (KafkaJS's fetchTopicMetadata() without topics):
 * one snapshot, so a topic deleted meanwhile by someone else cannot fail the call.
 */
export async function allTopicsMetadata(cluster: Cluster, opts: Opts): Promise<ITopicMetadata[]> {
  return cluster.retry(
    'Metadata',
    async (_attempt, signal) => {
      await cluster.connect({ signal });
      const conn = await cluster.anyConnection('general', signal);
      const res = await conn.request(Metadata, { topics: null, allowAutoTopicCreation: false }, { signal });
      return res.topics
        .filter((t) => t.name !== null && t.errorCode === 0)
        .map((t) => ({
          name: t.name!,
          partitions: t.partitions
            .map((p) => ({
              partitionErrorCode: p.errorCode,
              partitionId: p.partitionIndex,
              leader: p.leaderId,
              replicas: p.replicaNodes,
              isr: p.isrNodes,
              offlineReplicas: p.offlineReplicas,
            }))
            .sort((a, b) => a.partitionId - b.partitionId),
        }));
    },
    opts,
  );
}
