// Default answers of the group coordinator: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
// OffsetFetch, DescribeGroups, ListGroups, DeleteGroups. Group requests sent to a node that is not the
// group's coordinator get NOT_COORDINATOR, as on a real cluster.
import type { FakeCluster } from './cluster.js';
import { type DefaultHandlers, E, findTopic, ZERO_UUID } from './common.js';
import type { ClassicGroup } from './group.js';

const CLIENT_HOST = '/127.0.0.1';
const offsetKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function coordinatorError(c: FakeCluster, groupId: string, nodeId: number): number {
  const id = c.coordinatorFor(groupId);
  if (!c.nodes[id]?.isUp) return E.COORDINATOR_NOT_AVAILABLE;
  return id === nodeId ? 0 : E.NOT_COORDINATOR;
}

/** Committed offsets of `partitions` (all of the group's when null), as OffsetFetch reports them. */
function committed(group: ClassicGroup | undefined, topics: { name: string; partitions: number[] }[] | null) {
  const wanted = topics ?? groupedOffsets(group);
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const o = group?.offsets.get(offsetKey(t.name, p));
      return {
        partitionIndex: p,
        committedOffset: BigInt(o?.offset ?? -1),
        committedLeaderEpoch: o?.leaderEpoch ?? -1,
        metadata: o ? o.metadata : '',
        errorCode: 0,
      };
    }),
  }));
}

function groupedOffsets(group: ClassicGroup | undefined): { name: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const key of group?.offsets.keys() ?? []) {
    const [name, p] = key.split('\u0000') as [string, string];
    let list = byTopic.get(name);
    if (!list) byTopic.set(name, (list = []));
    list.push(Number(p));
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a - b) }));
}

export const groupHandlers: DefaultHandlers = {
  JoinGroup: async (c, req, info) => {
    const err = coordinatorError(c, req.groupId, info.nodeId);
    const res = err
      ? {
          errorCode: err,
          generationId: -1,
          protocolType: null,
          protocolName: null,
          leader: '',
          skipAssignment: false,
          memberId: req.memberId,
          members: [],
        }
      : await c.group(req.groupId).join({
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId ?? null,
          sessionTimeoutMs: req.sessionTimeoutMs,
          rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
          protocolType: req.protocolType,
          protocols: req.protocols,
          clientId: info.clientId ?? '',
          clientHost: CLIENT_HOST,
          version: info.version,
        });
    return { throttleTimeMs: 0, ...res };
  },

  SyncGroup: async (c, req, info) => {
    const err = coordinatorError(c, req.groupId, info.nodeId);
    const group = c.groups.get(req.groupId);
    const res =
      err || !group
        ? { errorCode: err || E.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) }
        : await group.sync({
            memberId: req.memberId,
            groupInstanceId: req.groupInstanceId ?? null,
            generationId: req.generationId,
            protocolType: req.protocolType ?? null,
            protocolName: req.protocolName ?? null,
            assignments: req.assignments,
          });
    return {
      throttleTimeMs: 0,
      errorCode: res.errorCode,
      protocolType: res.errorCode ? null : (group?.protocolType ?? null),
      protocolName: res.errorCode ? null : (group?.protocolName ?? null),
      assignment: res.assignment,
    };
  },

  Heartbeat: (c, req, info) => {
    const group = c.groups.get(req.groupId);
    const errorCode =
      coordinatorError(c, req.groupId, info.nodeId) ||
      (group?.heartbeat({ ...req, groupInstanceId: req.groupInstanceId ?? null }) ?? E.UNKNOWN_MEMBER_ID);
    return { throttleTimeMs: 0, errorCode };
  },

  LeaveGroup: (c, req, info) => {
    const err = coordinatorError(c, req.groupId, info.nodeId);
    const group = c.groups.get(req.groupId);
    const who = req.members ?? [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    const members = who.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? null,
      errorCode: err || (group?.leave(m.memberId, m.groupInstanceId ?? null) ?? E.UNKNOWN_MEMBER_ID),
    }));
    // v3+ reports per member; before that the single member's error is the response's.
    const errorCode = err || (req.members ? 0 : (members[0]?.errorCode ?? 0));
    return { throttleTimeMs: 0, errorCode, members: req.members ? members : [] };
  },

  OffsetCommit: (c, req, info) => {
    const generation = req.generationIdOrMemberEpoch ?? -1;
    let err = coordinatorError(c, req.groupId, info.nodeId);
    if (!err && !c.groups.has(req.groupId) && generation >= 0) err = E.ILLEGAL_GENERATION;
    const group = err ? undefined : c.group(req.groupId);
    err ||= group!.validateCommit(req.memberId, req.groupInstanceId ?? null, generation);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const { topic, error } = findTopic(c, t);
        const name = topic?.name ?? t.name ?? '';
        return {
          name,
          topicId: topic?.topicId ?? t.topicId ?? ZERO_UUID,
          partitions: t.partitions.map((p) => {
            // Names need not exist (Kafka stores offsets for any topic name); unknown ids are refused.
            const errorCode = err || (t.topicId && t.topicId !== ZERO_UUID ? error : 0);
            if (!errorCode)
              group!.offsets.set(offsetKey(name, p.partitionIndex), {
                offset: Number(p.committedOffset),
                leaderEpoch: p.committedLeaderEpoch ?? -1,
                metadata: p.committedMetadata,
              });
            return { partitionIndex: p.partitionIndex, errorCode };
          }),
        };
      }),
    };
  },

  OffsetFetch: (c, req, info) => {
    if (info.version < 8) {
      const err = coordinatorError(c, req.groupId ?? '', info.nodeId);
      const topics = req.topics?.map((t) => ({ name: t.name, partitions: t.partitionIndexes })) ?? null;
      return {
        throttleTimeMs: 0,
        errorCode: err,
        groups: [],
        topics: err ? [] : committed(c.groups.get(req.groupId ?? ''), topics),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [],
      groups: (req.groups ?? []).map((g) => {
        const err = coordinatorError(c, g.groupId, info.nodeId);
        const topics =
          g.topics?.map((t) => ({
            name: findTopic(c, t).topic?.name ?? t.name ?? '',
            partitions: t.partitionIndexes,
          })) ?? null;
        return {
          groupId: g.groupId,
          errorCode: err,
          topics: err
            ? []
            : committed(c.groups.get(g.groupId), topics).map((t) => ({
                ...t,
                topicId: c.topics.get(t.name)?.topicId ?? ZERO_UUID,
              })),
        };
      }),
    };
  },

  DescribeGroups: (c, req, info) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const err = coordinatorError(c, groupId, info.nodeId);
      const g = c.groups.get(groupId);
      const missing = !g && info.version >= 6 ? E.GROUP_ID_NOT_FOUND : 0;
      return {
        errorCode: err || missing,
        errorMessage: null,
        groupId,
        groupState: err ? '' : (g?.state ?? 'Dead'),
        protocolType: g?.protocolType ?? '',
        protocolData: g?.protocolName ?? '',
        authorizedOperations: -2147483648,
        members: [...(g?.members.values() ?? [])].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.protocols.find((p) => p.name === g?.protocolName)?.metadata ?? Buffer.alloc(0),
          memberAssignment: m.assignment,
        })),
      };
    }),
  }),

  ListGroups: (c, req, info) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [...c.groups.values()]
      .filter((g) => c.coordinatorFor(g.groupId) === info.nodeId)
      .filter(
        (g) => !req.statesFilter?.length || req.statesFilter.some((s) => s.toLowerCase() === g.state.toLowerCase()),
      )
      .filter(() => !req.typesFilter?.length || req.typesFilter.some((t) => t.toLowerCase() === 'classic'))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? '',
        groupState: g.state,
        groupType: 'classic',
      })),
  }),

  DeleteGroups: (c, req, info) => ({
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => {
      const g = c.groups.get(groupId);
      let errorCode: number = coordinatorError(c, groupId, info.nodeId);
      if (!errorCode && !g) errorCode = E.GROUP_ID_NOT_FOUND;
      else if (!errorCode && g && g.members.size > 0) errorCode = E.NON_EMPTY_GROUP;
      else if (!errorCode && g) {
        g.close();
        c.groups.delete(groupId);
      }
      return { groupId, errorCode, errorMessage: null };
    }),
  }),
};
