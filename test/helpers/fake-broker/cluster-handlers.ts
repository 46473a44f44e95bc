// Default answers about the cluster itself: ApiVersions, Metadata, DescribeCluster, FindCoordinator,
// CreateTopics, DeleteTopics.
import { type DefaultHandlers, E, findTopic, nodeEndpoints, ZERO_UUID } from './common.js';

const NO_OPERATIONS = -2147483648; // authorized operations not requested

export const clusterHandlers: DefaultHandlers = {
  ApiVersions: (c) => ({
    errorCode: 0,
    apiKeys: c.advertisedList(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  }),

  Metadata: (c, req) => {
    const wanted = req.topics === null ? [...c.topics.values()].map((t) => ({ name: t.name })) : req.topics;
    return {
      throttleTimeMs: 0,
      brokers: nodeEndpoints(
        c,
        c.nodes.map((n) => n.nodeId),
      ),
      clusterId: c.clusterId,
      controllerId: 0,
      clusterAuthorizedOperations: NO_OPERATIONS,
      errorCode: 0,
      topics: wanted.map((ref) => {
        const { topic, error } = findTopic(c, ref);
        if (!topic && ref.name && c.autoCreateTopics && req.allowAutoTopicCreation !== false) {
          // As Kafka: the request that creates the topic hears LEADER_NOT_AVAILABLE; the next one sees it.
          const topicId = c.createTopic(ref.name, c.defaultPartitions);
          const created = { name: ref.name, topicId, isInternal: false, partitions: [] };
          return { ...created, errorCode: E.LEADER_NOT_AVAILABLE, topicAuthorizedOperations: NO_OPERATIONS };
        }
        return {
          errorCode: error,
          name: topic?.name ?? ref.name ?? null,
          topicId: topic?.topicId ?? ZERO_UUID,
          isInternal: false,
          topicAuthorizedOperations: NO_OPERATIONS,
          partitions: (topic?.partitions ?? []).map((p) => ({
            errorCode: p.leader < 0 ? E.LEADER_NOT_AVAILABLE : 0,
            partitionIndex: p.partition,
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.replicas,
            isrNodes: p.replicas,
            offlineReplicas: [],
          })),
        };
      }),
    };
  },

  DescribeCluster: (c) => ({
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId: c.clusterId,
    controllerId: 0,
    brokers: c.nodes
      .filter((n) => n.isUp)
      .map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: null, isFenced: false })),
    clusterAuthorizedOperations: NO_OPERATIONS,
  }),

  FindCoordinator: (c, req, info) => {
    const find = (key: string) => {
      const node = c.nodes[c.coordinatorFor(key)];
      const up = node?.isUp === true;
      return {
        key,
        nodeId: up ? node.nodeId : -1,
        host: up ? node.host : '',
        port: up ? node.port : -1,
        errorCode: up ? 0 : E.COORDINATOR_NOT_AVAILABLE,
        errorMessage: null,
      };
    };
    if (info.version >= 4)
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 0,
        host: '',
        port: 0,
        coordinators: (req.coordinatorKeys ?? []).map(find),
      };
    const one = find(req.key ?? '');
    return { throttleTimeMs: 0, ...one, coordinators: [] };
  },

  CreateTopics: (c, req) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const base = { name: t.name, topicConfigErrorCode: 0, configs: [] };
      const fail = (errorCode: number, errorMessage: string) => ({
        ...base,
        topicId: ZERO_UUID,
        errorCode,
        errorMessage,
        numPartitions: -1,
        replicationFactor: -1,
      });
      if (c.topics.has(t.name)) return fail(E.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      const assigned = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      const count = assigned.length > 0 ? assigned.length : t.numPartitions < 0 ? c.defaultPartitions : t.numPartitions;
      if (count < 1) return fail(E.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      const configs = Object.fromEntries(t.configs.map((x) => [x.name, x.value ?? '']));
      const leaders = assigned.length > 0 ? assigned.map((a) => a.brokerIds[0] ?? -1) : undefined;
      const topicId = req.validateOnly ? ZERO_UUID : c.createTopic(t.name, count, { leaders, configs });
      return {
        ...base,
        topicId,
        errorCode: 0,
        errorMessage: null,
        numPartitions: count,
        replicationFactor: t.replicationFactor < 0 ? Math.min(3, c.nodes.length) : t.replicationFactor,
      };
    }),
  }),

  DeleteTopics: (c, req) => {
    const refs = req.topics ?? (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
    return {
      throttleTimeMs: 0,
      responses: refs.map((ref) => {
        const { topic, error } = findTopic(c, ref);
        if (topic) c.deleteTopic(topic.name);
        return {
          name: topic?.name ?? ref.name ?? null,
          topicId: topic?.topicId ?? ref.topicId,
          errorCode: error,
          errorMessage: null,
        };
      }),
    };
  },
};
