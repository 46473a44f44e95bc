// Reads what the examples wrote back with Sluice's own Consumer (assigned partitions, no group), so the
// checks do not trust the module under test.
import type { Admin } from '../../src/admin/admin.js';
import { Consumer } from '../../src/consumer/consumer.js';

export interface ReadBack {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

type Isolation = 'read_uncommitted' | 'read_committed';

/** End offsets (high watermark, or the last stable offset for read_committed) by partition. */
export async function endOffsets(admin: Admin, topic: string, isolationLevel: Isolation = 'read_uncommitted') {
  const [desc] = await admin.describeTopics(topic);
  const listed = await admin.listOffsets(
    desc!.partitions.map((p) => ({ topic, partition: p.partition, at: 'latest' as const })),
    { isolationLevel },
  );
  return new Map(listed.map((o) => [o.partition, o.offset]));
}

/**
 * Every record of `topic` from `from` (by partition; default the start of each partition) up to the
 * current end, in partition then offset order. Bounded by `timeoutMs`.
 */
export async function readRecords(
  admin: Admin,
  bootstrap: string,
  topic: string,
  opts: { from?: Map<number, number>; isolationLevel?: Isolation; timeoutMs?: number } = {},
): Promise<ReadBack[]> {
  const isolationLevel = opts.isolationLevel ?? 'read_uncommitted';
  const ends = await endOffsets(admin, topic, isolationLevel);
  const starts = await admin.listOffsets(
    [...ends.keys()].map((partition) => ({ topic, partition, at: 'earliest' as const })),
  );
  const from = new Map(starts.map((o) => [o.partition, Math.max(o.offset, opts.from?.get(o.partition) ?? 0)]));
  const pending = [...ends].filter(([p, end]) => from.get(p)! < end).map(([p]) => p);
  const out: ReadBack[] = [];
  if (pending.length === 0) return out;
  const consumer = new Consumer({ brokers: bootstrap, isolationLevel, autoOffsetReset: 'earliest' });
  consumer.assign(pending.map((partition) => ({ topic, partition })));
  // Read from the start (autoOffsetReset) and skip what is before `from`: seek() needs a running consumer.
  let reached = false;
  const done = () => {
    try {
      return pending.every((p) => consumer.position(topic, p) >= ends.get(p)!);
    } catch {
      return false; // no position yet
    }
  };
  const timer = setTimeout(() => void consumer.close(), opts.timeoutMs ?? 20_000);
  // A partition may end in records this isolation level skips (a transaction marker), so the end is
  // judged by the consumer's position, checked after each record and on a short poll.
  const poll = setInterval(() => {
    if (done()) {
      reached = true;
      void consumer.close();
    }
  }, 100);
  try {
    await consumer.run({
      eachMessage: (r) => {
        if (r.offset >= from.get(r.partition)! && r.offset < ends.get(r.partition)!) {
          const headers: Record<string, string> = {};
          for (const h of r.headers) headers[h.key] = h.value?.toString() ?? '';
          out.push({
            partition: r.partition,
            offset: r.offset,
            key: r.key?.toString() ?? null,
            value: r.value?.toString() ?? null,
            headers,
          });
        }
      },
    });
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
  if (!reached) throw new Error(`read-back of ${topic} stopped before its end`);
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
