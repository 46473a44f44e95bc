import type { Cluster, RetryOptions } from '../cluster/cluster.js';
import { TimeoutError } from '../cluster/deadline.js';
import { ConfigError, SluiceError } from '../errors.js';
import type { Connection } from '../network/connection.js';
import { type KafkaError, kafkaError } from '../protocol/errors.js';
import { CreatePartitions } from '../protocol/generated/create-partitions.js';
import { CreateTopics } from '../protocol/generated/create-topics.js';
import { DeleteTopics } from '../protocol/generated/delete-topics.js';
import { Metadata } from '../protocol/generated/metadata.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { configSourceName } from './configs.js';
import { AdminError } from './errors.js';
import { type CallOptions, finalUnknownTopic, type ItemAnswers, perItem } from './per-item.js';
import type {
  CreatedTopic,
  CreateTopicsOptions,
  NewPartitions,
  NewTopic,
  PartitionDescription,
  TopicDescription,
} from './types.js';

const UNKNOWN_TOPIC = 3;

/** When the call must end (Date.now() based): its start (see startCall) plus its timeout. */
export function deadlineOf(cluster: Cluster, opts: CallOptions): number {
  return ((opts as RetryOptions).startedAt ?? Date.now()) + (opts.timeoutMs ?? cluster.options.defaultApiTimeoutMs);
}

/** Thrown to make the retry loop poll again: the brokers have not caught up with the controller yet. */
function notYet(what: string): SluiceError {
  return new SluiceError(`${what}: brokers do not report it yet`, { code: 'NOT_YET_PROPAGATED', retriable: true });
}

/** The time a broker may spend on a request with its own timeout field, and the network wait around it. */
function brokerTimeout(cluster: Cluster, deadline: number): { body: number; network: number } {
  const body = Math.max(1, Math.min(deadline - Date.now(), cluster.options.requestTimeoutMs));
  return { body, network: body + 5000 };
}

/**
 * The controller for topic and config changes. KRaft brokers forward these requests to the active
 * controller (KIP-590) and report a random broker as "controller" in Metadata; ZooKeeper clusters
 * need the real one. Either way this is the node to ask.
 */
export async function controllerConnection(cluster: Cluster, signal?: AbortSignal): Promise<Connection> {
  await cluster.connect({ signal });
  const id = cluster.metadata.controllerId;
  if (id >= 0 && cluster.metadata.brokers.has(id)) return cluster.connectionTo(id, 'general', signal);
  return cluster.anyConnection('general', signal);
}

export async function createTopics(
  cluster: Cluster,
  topics: readonly NewTopic[],
  opts: CreateTopicsOptions,
): Promise<CreatedTopic[]> {
  const byName = new Map<string, NewTopic>();
  for (const [i, t] of topics.entries()) {
    if (typeof t?.topic !== 'string' || t.topic === '')
      throw new ConfigError(`topics[${i}].topic`, 'expected a topic name');
    if (t.replicaAssignment && (t.numPartitions !== undefined || t.replicationFactor !== undefined)) {
      throw new ConfigError(
        `topics[${i}].replicaAssignment`,
        'cannot be combined with numPartitions/replicationFactor',
      );
    }
    byName.set(t.topic, t);
  }
  const deadline = deadlineOf(cluster, opts);
  const wait = !opts.validateOnly && opts.waitForLeaders !== false;
  const results = await perItem<CreatedTopic>(
    cluster,
    'CreateTopics',
    [...byName.keys()],
    async (pending, signal) => {
      const conn = await controllerConnection(cluster, signal);
      const t = brokerTimeout(cluster, deadline);
      const res = await conn.request(
        CreateTopics,
        {
          topics: pending.map((name) => {
            const nt = byName.get(name)!;
            return {
              name,
              numPartitions: nt.replicaAssignment ? -1 : (nt.numPartitions ?? -1),
              replicationFactor: nt.replicaAssignment ? -1 : (nt.replicationFactor ?? -1),
              assignments: Object.entries(nt.replicaAssignment ?? {}).map(([p, brokerIds]) => ({
                partitionIndex: Number(p),
                brokerIds,
              })),
              configs: Object.entries(nt.configs ?? {}).map(([k, v]) => ({ name: k, value: String(v) })),
            };
          }),
          timeoutMs: t.body,
          validateOnly: opts.validateOnly ?? false,
        },
        { signal, timeoutMs: t.network },
      );
      const answers: ItemAnswers<CreatedTopic> = new Map();
      for (const r of res.topics) {
        answers.set(
          r.name,
          r.errorCode
            ? kafkaError(r.errorCode, {
                api: 'CreateTopics',
                topic: r.name,
                serverMessage: r.errorMessage,
                broker: conn.broker,
              })
            : {
                topic: r.name,
                topicId: r.topicId,
                numPartitions: r.numPartitions,
                replicationFactor: r.replicationFactor,
                configs: (r.configs ?? []).map((c) => ({
                  name: c.name,
                  value: c.value,
                  readOnly: c.readOnly,
                  source: configSourceName(c.configSource),
                  sensitive: c.isSensitive,
                })),
              },
        );
      }
      return answers;
    },
    opts,
  ).catch(async (err) => {
    // Some were created: they are usable when the call rejects, as they would be had it resolved.
    if (wait && err instanceof AdminError && err.succeeded.length > 0) {
      await waitForLeaders(cluster, [...err.succeeded], opts).catch(() => {});
    }
    throw err;
  });
  if (wait) await waitForLeaders(cluster, [...byName.keys()], opts);
  return [...byName.keys()].map((n) => results.get(n)!);
}

/**
 * Polls metadata until every partition of `topics` has a leader (and, with `counts`, the topic has that
 * many partitions): the controller has answered, but brokers learn of the change a moment later.
 * Bounded by the call's deadline (`opts` carries its start).
 */
async function waitForLeaders(cluster: Cluster, topics: string[], opts: CallOptions, counts?: Map<string, number>) {
  const what = `Waiting for leaders of ${topics.join(', ')}`;
  await cluster.retry(
    what,
    async (_attempt, signal) => {
      const described = await describeTopicsOnce(cluster, topics, signal);
      const ready = described.every(
        (d) =>
          !(d instanceof Error) &&
          d.partitions.length >= (counts?.get(d.topic) ?? 1) &&
          d.partitions.every((p) => p.leader >= 0),
      );
      if (!ready) throw notYet(what);
    },
    opts,
  );
}

async function describeTopicsOnce(
  cluster: Cluster,
  topics: readonly string[],
  signal?: AbortSignal,
): Promise<Array<TopicDescription | KafkaError>> {
  await cluster.connect({ signal });
  const conn = await cluster.anyConnection('general', signal);
  const res = await conn.request(
    Metadata,
    { topics: topics.map((name) => ({ name })), allowAutoTopicCreation: false },
    { signal },
  );
  const byName = new Map<string, TopicDescription | KafkaError>();
  for (const t of res.topics) {
    if (t.name === null) continue;
    if (t.errorCode) {
      byName.set(t.name, kafkaError(t.errorCode, { api: 'Metadata', topic: t.name, broker: conn.broker }));
      continue;
    }
    const partitions: PartitionDescription[] = t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
      }))
      .sort((a, b) => a.partition - b.partition);
    byName.set(t.name, { topic: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions });
  }
  return topics.map((name) => byName.get(name) ?? kafkaError(UNKNOWN_TOPIC, { api: 'Metadata', topic: name }));
}

export async function describeTopics(
  cluster: Cluster,
  topics: readonly string[],
  opts: CallOptions,
): Promise<TopicDescription[]> {
  const results = await perItem<TopicDescription>(
    cluster,
    'DescribeTopics',
    topics,
    async (pending, signal) => {
      const list = await describeTopicsOnce(cluster, pending, signal);
      return new Map(pending.map((name, i) => [name, finalUnknownTopic(list[i]!)]));
    },
    opts,
  );
  return topics.map((t) => results.get(t)!);
}

export async function listTopics(
  cluster: Cluster,
  opts: CallOptions & { includeInternal?: boolean },
): Promise<string[]> {
  return cluster.retry(
    'Listing topics',
    async (_attempt, signal) => {
      await cluster.connect({ signal });
      const conn = await cluster.anyConnection('general', signal);
      const res = await conn.request(Metadata, { topics: null, allowAutoTopicCreation: false }, { signal });
      return res.topics
        .filter((t) => t.name !== null && !t.errorCode && (opts.includeInternal || !t.isInternal))
        .map((t) => t.name!)
        .sort();
    },
    opts,
  );
}

export async function deleteTopics(cluster: Cluster, topics: readonly string[], opts: CallOptions): Promise<void> {
  const deadline = deadlineOf(cluster, opts);
  await perItem<true>(
    cluster,
    'DeleteTopics',
    topics,
    async (pending, signal) => {
      const conn = await controllerConnection(cluster, signal);
      const t = brokerTimeout(cluster, deadline);
      const res = await conn.request(
        DeleteTopics,
        { topicNames: pending, topics: pending.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: t.body },
        { signal, timeoutMs: t.network },
      );
      const answers: ItemAnswers<true> = new Map();
      for (const r of res.responses) {
        if (r.name === null) continue;
        answers.set(
          r.name,
          r.errorCode
            ? finalUnknownTopic(
                kafkaError(r.errorCode, {
                  api: 'DeleteTopics',
                  topic: r.name,
                  serverMessage: r.errorMessage,
                  broker: conn.broker,
                }),
              )
            : true,
        );
      }
      return answers;
    },
    opts,
  );
  for (const t of topics) cluster.metadata.topics.delete(t);
  // As createTopics waits for leaders: resolve once brokers no longer report the topics, or at the
  // deadline (the deletion itself has succeeded; brokers catch up by themselves).
  const what = `Waiting for brokers to drop ${topics.join(', ')}`;
  await cluster
    .retry(
      what,
      async (_attempt, signal) => {
        const described = await describeTopicsOnce(cluster, topics, signal).catch(() => undefined);
        if (!described?.every((d) => d instanceof Error && d.errorCode === UNKNOWN_TOPIC)) throw notYet(what);
      },
      opts,
    )
    .catch((err) => {
      if (!(err instanceof TimeoutError)) throw err;
    });
}

/** Adds partitions; resolves once brokers report the new partitions with leaders (unless validateOnly). */
export async function createPartitions(
  cluster: Cluster,
  list: readonly NewPartitions[],
  opts: CallOptions & { validateOnly?: boolean },
): Promise<void> {
  const byName = new Map(list.map((p) => [p.topic, p]));
  const deadline = deadlineOf(cluster, opts);
  await perItem<true>(
    cluster,
    'CreatePartitions',
    [...byName.keys()],
    async (pending, signal) => {
      const conn = await controllerConnection(cluster, signal);
      const t = brokerTimeout(cluster, deadline);
      const res = await conn.request(
        CreatePartitions,
        {
          topics: pending.map((name) => {
            const p = byName.get(name)!;
            return {
              name,
              count: p.count,
              assignments: p.assignments ? p.assignments.map((brokerIds) => ({ brokerIds })) : null,
            };
          }),
          timeoutMs: t.body,
          validateOnly: opts.validateOnly ?? false,
        },
        { signal, timeoutMs: t.network },
      );
      const answers: ItemAnswers<true> = new Map();
      for (const r of res.results) {
        answers.set(
          r.name,
          r.errorCode
            ? finalUnknownTopic(
                kafkaError(r.errorCode, {
                  api: 'CreatePartitions',
                  topic: r.name,
                  serverMessage: r.errorMessage,
                  broker: conn.broker,
                }),
              )
            : true,
        );
      }
      return answers;
    },
    opts,
  );
  if (!opts.validateOnly) {
    const counts = new Map([...byName].map(([t, p]) => [t, p.count]));
    await waitForLeaders(cluster, [...byName.keys()], opts, counts);
  }
}
