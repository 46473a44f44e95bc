/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Map key for a partition: topic names cannot contain NUL. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function tpFromKey(key: string): TopicPartition {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** Sorts by topic, then partition; for stable logs, callbacks and tests. */
export function sortPartitions<T extends TopicPartition>(list: T[]): T[] {
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export function formatPartitions(list: readonly TopicPartition[]): string {
  return list.map((p) => `${p.topic}-${p.partition}`).join(', ') || 'none';
}
