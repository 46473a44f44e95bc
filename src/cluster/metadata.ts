import { invalidAddress } from '../network/errors.js';
import type { MetadataResponse } from '../protocol/generated/metadata.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** Leader's node id, or -1 while there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** Kafka error code for this partition (0 = fine; 5 LEADER_NOT_AVAILABLE while electing). */
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  /** Indexed by partition number. */
  partitions: PartitionInfo[];
  /** Kafka error code for the topic (0 = fine; 3 UNKNOWN_TOPIC_OR_PARTITION; 29 TOPIC_AUTHORIZATION_FAILED). */
  errorCode: number;
}

/**
 * What the client knows of the cluster: brokers, topics, partition leaders and leader epochs.
 * Updated from Metadata responses; a partition's entry is never replaced by one with an older
 * leader epoch (KIP-320), since a lagging broker may answer with stale leadership.
 */
export class MetadataCache {
  readonly brokers = new Map<number, BrokerInfo>();
  /**
   * Brokers the last response listed with an address no one can connect to (empty host, port outside
   * 1-65535), and why. They are left out of {@link MetadataCache.brokers}: asking for one is a typed,
   * retriable error naming it, and the next metadata may bring a good address.
   */
  readonly invalidBrokers = new Map<number, string>();
  readonly topics = new Map<string, TopicInfo>();
  readonly topicNamesById = new Map<string, string>();
  clusterId: string | null = null;
  controllerId = -1;
  /** Date.now() of the last successful update, 0 before the first. */
  updatedAt = 0;

  /**
   * Applies one response. `requestedTopics` = the topics asked for (null = all): topics asked for
   * and missing from the answer are dropped, and with `null` every topic not listed is dropped.
   */
  apply(res: MetadataResponse, requestedTopics: readonly string[] | null): void {
    this.brokers.clear();
    this.invalidBrokers.clear();
    for (const b of res.brokers) {
      const bad = invalidAddress(b.host, b.port);
      if (bad) this.invalidBrokers.set(b.nodeId, `"${b.host}:${b.port}" (${bad})`);
      else this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    }
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    const seen = new Set<string>();
    for (const t of res.topics) {
      if (t.name === null) continue;
      seen.add(t.name);
      const old = this.topics.get(t.name);
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        const prev = old?.partitions[p.partitionIndex];
        if (prev && old?.topicId === t.topicId && prev.leaderEpoch > p.leaderEpoch && p.leaderEpoch >= 0) {
          partitions[p.partitionIndex] = prev;
          continue;
        }
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        };
      }
      if (old && old.topicId !== t.topicId) this.topicNamesById.delete(old.topicId);
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        partitions,
        errorCode: t.errorCode,
      });
      this.topicNamesById.set(t.topicId, t.name);
    }
    const dropped = requestedTopics === null ? [...this.topics.keys()] : requestedTopics;
    for (const name of dropped) {
      if (seen.has(name)) continue;
      const old = this.topics.get(name);
      if (old) this.topicNamesById.delete(old.topicId);
      this.topics.delete(name);
    }
    this.updatedAt = Date.now();
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Moves a partition to a new leader learned from a response (KIP-951), if its epoch is newer. */
  updateLeader(topic: string, partition: number, leader: number, leaderEpoch: number): boolean {
    const p = this.partition(topic, partition);
    if (!p || leaderEpoch <= p.leaderEpoch || leader < 0) return false;
    p.leader = leader;
    p.leaderEpoch = leaderEpoch;
    return true;
  }
}
