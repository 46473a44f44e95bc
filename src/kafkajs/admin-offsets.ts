// KafkaJS's offset calls (fetchTopicOffsets, fetchTopicOffsetsByTimestamp, fetchOffsets, setOffsets,
// resetOffsets) on Sluice's admin functions. Offsets are strings; -1 means "none" in fetchOffsets.
import { describeGroups } from '../admin/groups.js';
import { alterGroupOffsets, listOffsets } from '../admin/offsets.js';
import { type CallOptions, startCall } from '../admin/per-item.js';
import { describeTopics } from '../admin/topics.js';
import type { Cluster } from '../cluster/cluster.js';
import { KafkaError } from '../protocol/errors.js';
import { fetchGroupOffsetsRaw } from './admin-requests.js';
import type { FetchOffsetsPartition, SeekEntry } from './admin-types.js';
import { KafkaJSNonRetriableError } from './errors.js';

/** Sluice's per-call options (the start time bounds every step by one deadline). */
const call = <T extends object>(o: T) => startCall(o as T & CallOptions);

type Opts = { timeoutMs?: number };

const EARLIEST = -2;
const LATEST = -1;

export async function partitionsOf(cluster: Cluster, topic: string, opts: Opts): Promise<number[]> {
  const [t] = await describeTopics(cluster, [topic], call(opts));
  return t!.partitions.map((p) => p.partition).sort((a, b) => a - b);
}

/** Low and high watermark per partition, ascending by partition. */
export async function topicOffsets(
  cluster: Cluster,
  topic: string,
  opts: Opts,
): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
  const partitions = await partitionsOf(cluster, topic, opts);
  const once = call(opts);
  const [high, low] = await Promise.all([
    listOffsets(
      cluster,
      partitions.map((partition) => ({ topic, partition, at: 'latest' as const })),
      once,
    ),
    listOffsets(
      cluster,
      partitions.map((partition) => ({ topic, partition, at: 'earliest' as const })),
      once,
    ),
  ]);
  return partitions.map((partition, i) => ({
    partition,
    offset: String(high[i]!.offset),
    high: String(high[i]!.offset),
    low: String(low[i]!.offset),
  }));
}

/** The first offset at or after `timestamp` per partition; the high watermark when there is none (or no timestamp). */
export async function topicOffsetsByTimestamp(
  cluster: Cluster,
  topic: string,
  timestamp: number | undefined,
  opts: Opts,
): Promise<SeekEntry[]> {
  const partitions = await partitionsOf(cluster, topic, opts);
  const once = call(opts);
  const high = await listOffsets(
    cluster,
    partitions.map((partition) => ({ topic, partition, at: 'latest' as const })),
    once,
  );
  if (timestamp === undefined || timestamp === null) {
    return partitions.map((partition, i) => ({ partition, offset: String(high[i]!.offset) }));
  }
  const at = await listOffsets(
    cluster,
    partitions.map((partition) => ({ topic, partition, at: Number(timestamp) })),
    once,
  );
  return partitions.map((partition, i) => ({
    partition,
    offset: String(at[i]!.offset >= 0 ? at[i]!.offset : high[i]!.offset),
  }));
}

/** A group's committed offsets: for the named topics every partition ('-1' when none), else all it has. */
export async function groupOffsets(
  cluster: Cluster,
  groupId: string,
  topics: readonly string[],
  opts: Opts,
): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
  const wanted =
    topics.length === 0
      ? null
      : await Promise.all(
          topics.map(async (topic) => ({ topic, partitions: await partitionsOf(cluster, topic, opts) })),
        );
  const found = await fetchGroupOffsetsRaw(cluster, groupId, wanted, opts);
  const byTopic = new Map<string, FetchOffsetsPartition[]>();
  for (const t of wanted ?? []) byTopic.set(t.topic, []);
  for (const o of found) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: o.offset, metadata: o.metadata });
    byTopic.set(o.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Fails as KafkaJS does when the group has members (setOffsets needs an idle group). */
async function checkIdle(cluster: Cluster, groupId: string, opts: Opts): Promise<void> {
  try {
    const [g] = await describeGroups(cluster, [groupId], call(opts));
    if (g && g.state !== 'Empty' && g.state !== 'Dead') {
      throw new KafkaJSNonRetriableError(
        `The consumer group must have no running instances, current state: ${g.state}`,
      );
    }
  } catch (err) {
    // A group that does not exist yet may be given offsets.
    if (err instanceof KafkaError && err.code === 'GROUP_ID_NOT_FOUND') return;
    throw err;
  }
}

/**
 * Commits offsets for an idle group. KafkaJS's special offsets -2 (earliest) and -1 (latest) are
 * resolved to the partition's current low/high watermark first: Sluice commits real offsets.
 */
export async function setGroupOffsets(
  cluster: Cluster,
  groupId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: string | number }>,
  opts: Opts,
): Promise<void> {
  await checkIdle(cluster, groupId, opts);
  const asked = partitions.map(({ partition, offset }) => {
    const n = Number(offset);
    if (!Number.isSafeInteger(n) || n < EARLIEST) {
      throw new KafkaJSNonRetriableError(`Invalid offset ${String(offset)} for partition ${partition}`);
    }
    return { partition, offset: n };
  });
  if (asked.some((p) => p.offset < 0)) {
    const marks = await topicOffsets(cluster, topic, opts);
    for (const p of asked) {
      const m = marks.find((x) => x.partition === p.partition);
      if (p.offset === EARLIEST && m) p.offset = Number(m.low);
      if (p.offset === LATEST && m) p.offset = Number(m.high);
    }
  }
  await alterGroupOffsets(
    cluster,
    groupId,
    asked.map((p) => ({ topic, ...p })),
    call(opts),
  );
}
