// `kafka.admin()`: KafkaJS's admin API on Sluice's admin functions (src/admin/), sharing one Cluster.
// Results have KafkaJS's shapes (offsets as strings); failures are KafkaJS's error classes.

import { alterConfigs } from '../admin/configs.js';
import { AdminError } from '../admin/errors.js';
import { deleteGroups, listGroups } from '../admin/groups.js';
import { type CallOptions, startCall } from '../admin/per-item.js';
import { createPartitions, createTopics, deleteTopics, describeTopics, listTopics } from '../admin/topics.js';
import type { ConfigResourceType, NewTopic } from '../admin/types.js';
import { Cluster } from '../cluster/cluster.js';
import { resolveClientOptions } from '../cluster/options.js';
import { errorByCode, KafkaError } from '../protocol/errors.js';
import { groupOffsets, partitionsOf, setGroupOffsets, topicOffsets, topicOffsetsByTimestamp } from './admin-offsets.js';
import { allTopicsMetadata, deleteRecords, describeConfigsRaw, describeGroupsRaw } from './admin-requests.js';
import {
  ConfigResourceTypes,
  type DeleteGroupsResult,
  type DescribeConfigResponse,
  type FetchOffsetsPartition,
  type GroupDescription,
  type GroupOverview,
  type IResourceConfig,
  type ITopicConfig,
  type ITopicMetadata,
  type ITopicPartitionConfig,
  type ResourceConfigQuery,
  type SeekEntry,
} from './admin-types.js';
import type { RetryOptions } from './config.js';
import { retryBudgetMs } from './config.js';
import type { FacadeContext } from './context.js';
import {
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNotImplemented,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  toKafkaJSError,
} from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import { clientEvents, InstrumentationEmitter, type InstrumentationEvent } from './producer-events.js';

export * from './admin-types.js';

/** Sluice's per-call options (the start time bounds every step by one deadline). */
const call = <T extends object>(o: T) => startCall(o as T & CallOptions);

export interface AdminConfig {
  retry?: RetryOptions;
}

export const adminEvents = clientEvents('admin');

const CONFIG_TYPES: Record<number, ConfigResourceType> = {
  [ConfigResourceTypes.TOPIC]: 'topic',
  [ConfigResourceTypes.BROKER]: 'broker',
  [ConfigResourceTypes.BROKER_LOGGER]: 'broker-logger',
};

/**
 * KafkaJS's error for a Sluice error. A broker error's `retriable` is the protocol's flag for its code,
 * as in KafkaJS (Sluice marks an error it has stopped retrying, e.g. a topic still unknown, as final).
 */
function kjs(err: unknown): unknown {
  const e = toKafkaJSError(err);
  if (e instanceof KafkaJSProtocolError && err instanceof KafkaError) {
    e.retriable = errorByCode(err.errorCode)?.retriable ?? e.retriable;
  }
  return e;
}

/** KafkaJS's error for a Sluice error; one KafkaJS retries (and so ends in "retries exceeded") is wrapped so. */
function retried(err: unknown): unknown {
  const e = kjs(err);
  if (e instanceof KafkaJSError && e.retriable) return new KafkaJSNumberOfRetriesExceeded(e);
  const cause = (e as { cause?: unknown })?.cause;
  if (e instanceof KafkaJSError && e.name === 'KafkaJSTimeout' && cause instanceof Error && 'cause' in cause) {
    const last = kjs((cause as { cause?: unknown }).cause);
    if (last instanceof KafkaJSError) return new KafkaJSNumberOfRetriesExceeded(last);
  }
  return e;
}

/** The per-item failures of a Sluice admin call (AdminError lists them; a one-item call throws its own). */
function failuresOf(err: unknown, items: readonly string[]): Array<{ item: string; error: KafkaError }> | undefined {
  if (err instanceof AdminError) {
    return err.failures
      .filter((f) => f.error instanceof KafkaError)
      .map((f) => ({ item: f.item, error: f.error as KafkaError }));
  }
  if (err instanceof KafkaError && items.length === 1) return [{ item: items[0]!, error: err }];
  return undefined;
}

const protocolInfo = (e: KafkaError) => ({
  message: e.message,
  type: e.code,
  code: e.errorCode,
  retriable: e.retriable,
});

export class KafkaJSAdmin {
  readonly events = adminEvents;
  readonly #logger: KafkaJSLogger;
  readonly #emitter: InstrumentationEmitter;
  #cluster: Cluster | undefined;

  constructor(
    readonly ctx: FacadeContext,
    readonly config: AdminConfig,
  ) {
    this.#logger = ctx.logger.namespace('Admin');
    this.#emitter = new InstrumentationEmitter(adminEvents, 'admin', this.#logger);
  }

  async connect(): Promise<void> {
    try {
      this.#cluster ??= new Cluster(resolveClientOptions('Admin', await this.ctx.clientOptions()));
      // KafkaJS gives up connecting after its retries; so does the facade.
      await this.#cluster.connect({ timeoutMs: retryBudgetMs(this.config.retry ?? this.ctx.config.retry) });
    } catch (err) {
      this.#cluster?.close();
      this.#cluster = undefined;
      throw retried(err);
    }
    this.#emitter.emit(this.events.CONNECT);
  }

  async disconnect(): Promise<void> {
    this.#cluster?.close();
    this.#cluster = undefined;
    this.#emitter.emit(this.events.DISCONNECT);
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => unknown): () => void {
    return this.#emitter.on(eventName, listener);
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  // ---- Topics ----

  /** Every topic name, internal ones included (as KafkaJS's metadata lists them). */
  async listTopics(): Promise<string[]> {
    return this.#run(kjs, (c) => listTopics(c, call({ includeInternal: true })));
  }

  /**
   * Creates topics. Resolves true, or false when every failure was TOPIC_ALREADY_EXISTS; other failures
   * reject with KafkaJSAggregateError of KafkaJSCreateTopicError (one per topic).
   */
  async createTopics({
    topics,
    validateOnly,
    waitForLeaders = true,
    timeout,
  }: {
    topics: ITopicConfig[];
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
  }): Promise<boolean> {
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics}`);
    if (topics.some((t) => typeof t?.topic !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
    }
    if (new Set(topics.map((t) => t.topic)).size < topics.length) {
      throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
    }
    const list = topics.map((t) => newTopic(t));
    const cluster = this.#connected();
    try {
      await createTopics(
        cluster,
        list,
        call({
          validateOnly: !!validateOnly,
          waitForLeaders: waitForLeaders && !validateOnly,
          ...timeoutOf(timeout),
        }),
      );
      return true;
    } catch (err) {
      const failures = failuresOf(
        err,
        topics.map((t) => t.topic),
      );
      if (failures === undefined) throw kjs(err);
      if (failures.every((f) => f.error.code === 'TOPIC_ALREADY_EXISTS')) return false;
      throw new KafkaJSAggregateError(
        'Topic creation errors',
        failures.map((f) => withCause(new KafkaJSCreateTopicError(protocolInfo(f.error), f.item), f.error)),
      );
    }
  }

  async deleteTopics({ topics, timeout }: { topics: string[]; timeout?: number }): Promise<void> {
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${topics}`);
    if (topics.some((t) => typeof t !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topics array, the names must be a valid string');
    }
    // KafkaJS retries UNKNOWN_TOPIC_OR_PARTITION here, so a missing topic ends in "retries exceeded".
    await this.#run(retried, (c) => deleteTopics(c, topics, call(timeoutOf(timeout))));
  }

  /** Adds partitions (`count` is the new total). Resolves with nothing, as KafkaJS's does. */
  async createPartitions({
    topicPartitions,
    validateOnly,
    timeout,
  }: {
    topicPartitions: ITopicPartitionConfig[];
    validateOnly?: boolean;
    timeout?: number;
  }): Promise<void> {
    if (!topicPartitions || !Array.isArray(topicPartitions)) {
      throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${topicPartitions}`);
    }
    if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array');
    if (topicPartitions.some((t) => typeof t?.topic !== 'string')) {
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, the topic names have to be a valid string');
    }
    if (new Set(topicPartitions.map((t) => t.topic)).size < topicPartitions.length) {
      throw new KafkaJSNonRetriableError(
        'Invalid topic partitions array, it cannot have multiple entries for the same topic',
      );
    }
    await this.#run(kjs, (c) =>
      createPartitions(
        c,
        topicPartitions.map(({ topic, count, assignments }) => ({
          topic,
          count,
          ...(assignments ? { assignments } : {}),
        })),
        call({ validateOnly: !!validateOnly, ...timeoutOf(timeout) }),
      ),
    );
  }

  /** Partitions with leader, replicas and ISR; every topic when none are named. */
  async fetchTopicMetadata({ topics = [] }: { topics?: string[] } = {}): Promise<{ topics: ITopicMetadata[] }> {
    for (const t of topics ?? []) {
      if (!t || typeof t !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${t}`);
    }
    return this.#run(kjs, async (c) => {
      if (!topics || topics.length === 0) return { topics: await allTopicsMetadata(c, {}) };
      const described = await describeTopics(c, topics, call({}));
      return {
        topics: described.map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => ({
            partitionErrorCode: 0,
            partitionId: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            offlineReplicas: p.offlineReplicas,
          })),
        })),
      };
    });
  }

  // ---- Offsets ----

  /** Low/high watermarks per partition (`offset` is the high one), ascending by partition. */
  async fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    return this.#run(retried, (c) => topicOffsets(c, topic, {}));
  }

  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    return this.#run(retried, (c) => topicOffsetsByTimestamp(c, topic, timestamp, {}));
  }

  /**
   * A group's committed offsets; with `resolveOffsets`, partitions at -1 (none) or -2 are set to the
   * high or low watermark and committed, as KafkaJS does.
   */
  async fetchOffsets({
    groupId,
    topics,
    resolveOffsets = false,
  }: {
    groupId: string;
    topics?: string[];
    resolveOffsets?: boolean;
  }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    const list = topics ?? [];
    if (!Array.isArray(list)) throw new KafkaJSNonRetriableError('Expected topics array to be set');
    return this.#run(kjs, async (c) => {
      const found = await groupOffsets(c, groupId, list, {});
      if (!resolveOffsets) return found;
      const out: typeof found = [];
      for (const { topic, partitions } of found) {
        const marks = await topicOffsets(c, topic, {});
        const resolved = partitions.map((p) => {
          const m = marks.find((x) => x.partition === p.partition);
          const offset = p.offset === '-2' ? m?.low : p.offset === '-1' ? m?.high : p.offset;
          return { ...p, offset: offset ?? p.offset };
        });
        await setGroupOffsets(c, groupId, topic, resolved, {});
        out.push({ topic, partitions: resolved });
      }
      return out;
    });
  }

  /** Commits offsets for a group with no running members ('-2'/'-1' resolve to the low/high watermark). */
  async setOffsets({
    groupId,
    topic,
    partitions,
  }: {
    groupId: string;
    topic: string;
    partitions: SeekEntry[];
  }): Promise<void> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
    await this.#run(kjs, (c) => setGroupOffsets(c, groupId, topic, partitions, {}));
  }

  /** Moves a group's offsets of every partition of `topic` to the latest (default) or earliest offset. */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest?: boolean }) {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    await this.#run(kjs, async (c) => {
      const partitions = await partitionsOf(c, topic, {});
      const offset = earliest ? '-2' : '-1';
      await setGroupOffsets(
        c,
        groupId,
        topic,
        partitions.map((partition) => ({ partition, offset })),
        {},
      );
    });
  }

  /** Deletes records before `offset` ('-1': everything up to the high watermark) in each partition. */
  async deleteTopicRecords({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${topic}"`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
    const outcomes = await this.#run(kjs, async (c) => {
      const [t] = await describeTopics(c, [topic], call({}));
      const leaders = new Map(t!.partitions.filter((p) => p.leader >= 0).map((p) => [p.partition, p.leader]));
      const missing = partitions.filter((p) => !leaders.has(p.partition));
      if (missing.length > 0) {
        throw new KafkaJSDeleteTopicRecordsError({
          partitions: missing.map(({ partition, offset }) => ({
            partition,
            offset,
            error: new KafkaJSBrokerNotFound('Could not find the leader for the partition'),
          })),
        });
      }
      return deleteRecords(
        c,
        topic,
        partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })),
        { leaders },
      );
    });
    const failed = outcomes.filter((o) => o.error !== null);
    if (failed.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({
        partitions: failed.map((o) => ({
          partition: o.partition,
          offset: o.offset,
          error: kjs(o.error) as KafkaJSProtocolError,
        })),
      });
    }
  }

  // ---- Cluster and configs ----

  async describeCluster(): Promise<{
    brokers: Array<{ nodeId: number; host: string; port: number }>;
    controller: number | null;
    clusterId: string;
  }> {
    return this.#run(kjs, async (c) => {
      await c.refreshMetadata();
      const md = c.metadata;
      return {
        brokers: [...md.brokers.values()].map(({ nodeId, host, port }) => ({ nodeId, host, port })),
        controller: md.controllerId < 0 ? null : md.controllerId,
        clusterId: md.clusterId ?? '',
      };
    });
  }

  async describeConfigs({
    resources,
    includeSynonyms,
  }: {
    resources: ResourceConfigQuery[];
    includeSynonyms?: boolean;
  }): Promise<DescribeConfigResponse> {
    checkResources(resources);
    const bad = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null);
    if (bad)
      throw new KafkaJSNonRetriableError(`Invalid resource configNames ${bad.configNames}: ${JSON.stringify(bad)}`);
    return this.#run(kjs, (c) => describeConfigsRaw(c, resources, !!includeSynonyms, {}));
  }

  /**
   * Sets the named configs. Sluice changes only these (IncrementalAlterConfigs); KafkaJS's AlterConfigs
   * resets every config of the resource that is not named.
   */
  async alterConfigs({ resources, validateOnly }: { resources: IResourceConfig[]; validateOnly?: boolean }): Promise<{
    resources: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>;
  }> {
    checkResources(resources);
    const noEntries = resources.find((r) => !Array.isArray(r.configEntries));
    if (noEntries) {
      throw new KafkaJSNonRetriableError(
        `Invalid resource configEntries ${noEntries.configEntries}: ${JSON.stringify(noEntries)}`,
      );
    }
    const badValue = resources.find((r) =>
      r.configEntries.some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'),
    );
    if (badValue) throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(badValue)}`);
    await this.#run(kjs, (c) =>
      alterConfigs(
        c,
        resources.map((r) => ({
          type: CONFIG_TYPES[r.type]!,
          name: r.name,
          changes: r.configEntries.map((e) => ({ name: e.name, value: e.value })),
        })),
        call({ validateOnly: !!validateOnly }),
      ),
    );
    return {
      resources: resources.map((r) => ({
        errorCode: 0,
        errorMessage: null,
        resourceType: r.type,
        resourceName: r.name,
      })),
    };
  }

  // ---- Groups ----

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    return this.#run(kjs, async (c) => ({
      groups: (await listGroups(c, {}, call({}))).map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
      })),
    }));
  }

  /** Groups as DescribeGroups v2 answers: unknown ones are `Dead`; members' metadata/assignment as bytes. */
  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    if (!Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
    return this.#run(kjs, async (c) => ({ groups: await describeGroupsRaw(c, groupIds, {}) }));
  }

  /** Deletes groups; failures reject with KafkaJSDeleteGroupsError listing each failed group. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    if (!groupIds || !Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${groupIds}`);
    if (groupIds.some((g) => typeof g !== 'string')) {
      throw new KafkaJSNonRetriableError(`Invalid groupId name: ${JSON.stringify(groupIds)}`);
    }
    if (groupIds.length === 0) return [];
    const cluster = this.#connected();
    try {
      await deleteGroups(cluster, groupIds, call({}));
    } catch (err) {
      const failures = failuresOf(err, groupIds);
      if (failures === undefined) throw kjs(err);
      throw new KafkaJSDeleteGroupsError(
        'Error in DeleteGroups',
        failures.map((f) => ({ groupId: f.item, errorCode: f.error.errorCode, error: kjs(f.error) })),
      );
    }
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }

  // ---- Not in Sluice's admin ----

  async createAcls(_: unknown): Promise<boolean> {
    throw notImplemented('createAcls');
  }

  async describeAcls(_: unknown): Promise<never> {
    throw notImplemented('describeAcls');
  }

  async deleteAcls(_: unknown): Promise<never> {
    throw notImplemented('deleteAcls');
  }

  async alterPartitionReassignments(_: unknown): Promise<void> {
    throw notImplemented('alterPartitionReassignments');
  }

  async listPartitionReassignments(_: unknown): Promise<never> {
    throw notImplemented('listPartitionReassignments');
  }

  #connected(): Cluster {
    if (this.#cluster === undefined) {
      throw new KafkaJSNonRetriableError('The admin client is not connected: call admin.connect() first');
    }
    return this.#cluster;
  }

  async #run<T>(mapError: (err: unknown) => unknown, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
    const cluster = this.#connected();
    try {
      return await fn(cluster);
    } catch (err) {
      throw mapError(err);
    }
  }
}

function notImplemented(call: string): KafkaJSNotImplemented {
  return new KafkaJSNotImplemented(
    `admin.${call}() is not implemented by sluice/kafkajs: Sluice's admin has no ACL or partition reassignment calls; use kafka-acls.sh / kafka-reassign-partitions.sh or the Java admin`,
  );
}

function timeoutOf(timeout: number | undefined): { timeoutMs?: number } {
  return timeout === undefined ? {} : { timeoutMs: timeout };
}

function withCause<E extends Error>(e: E, cause: unknown): E {
  Object.defineProperty(e, 'cause', { value: cause, configurable: true, writable: true });
  return e;
}

function checkResources(resources: Array<{ type: number; name: string }>): void {
  if (!resources || !Array.isArray(resources))
    throw new KafkaJSNonRetriableError(`Invalid resources array ${resources}`);
  if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
  const badType = resources.find((r) => !Object.values(ConfigResourceTypes).includes(r.type as never));
  if (badType) throw new KafkaJSNonRetriableError(`Invalid resource type ${badType.type}: ${JSON.stringify(badType)}`);
  const badName = resources.find((r) => !r.name || typeof r.name !== 'string');
  if (badName) throw new KafkaJSNonRetriableError(`Invalid resource name ${badName.name}: ${JSON.stringify(badName)}`);
}

/** KafkaJS's topic config → Sluice's NewTopic (config entries checked as KafkaJS checks them). */
function newTopic(t: ITopicConfig): NewTopic {
  const out: NewTopic = { topic: t.topic };
  if (t.replicaAssignment && t.replicaAssignment.length > 0) {
    out.replicaAssignment = Object.fromEntries(t.replicaAssignment.map((a) => [a.partition, a.replicas]));
  } else {
    if (t.numPartitions !== undefined) out.numPartitions = t.numPartitions;
    if (t.replicationFactor !== undefined) out.replicationFactor = t.replicationFactor;
  }
  if (t.configEntries != null) {
    if (!Array.isArray(t.configEntries)) {
      throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${t.topic}", must be an array`);
    }
    const configs: Record<string, string> = {};
    t.configEntries.forEach((e, i) => {
      if (typeof e !== 'object' || e === null) {
        throw new KafkaJSNonRetriableError(
          `Invalid configEntries for topic "${t.topic}". Entry ${i} must be an object`,
        );
      }
      for (const prop of ['name', 'value'] as const) {
        if (typeof e[prop] !== 'string') {
          throw new KafkaJSNonRetriableError(
            `Invalid configEntries for topic "${t.topic}". Entry ${i} must have a valid "${prop}" property`,
          );
        }
      }
      configs[e.name] = e.value;
    });
    out.configs = configs;
  }
  return out;
}
