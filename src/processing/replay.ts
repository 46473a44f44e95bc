import { Admin } from '../admin/admin.js';
import { clientOptionSpecs } from '../cluster/options.js';
import { Consumer } from '../consumer/consumer.js';
import { HandlerError } from '../consumer/errors.js';
import type { ConsumerOptions } from '../consumer/options.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { tpKey } from '../consumer/topic-partition.js';
import { ConfigError } from '../errors.js';
import { MAX_TIMEOUT_MS } from '../network/timeouts.js';
import type { Producer } from '../producer/producer.js';
import type { Message } from '../producer/types.js';
import { checkKnownOptions } from './dead-letter.js';
import { ReplayError } from './errors.js';
import { sendHandOff } from './forward.js';
import { FORWARDING_HEADERS, readDeadLetter } from './headers.js';
import { checkFunction, checkProducer } from './options.js';

export interface ReplayOptions {
  /** The dead-letter topic to read. */
  topic: string;
  /** Sends the records back (acks 'all'; a transactional producer commits each record's offset with it). */
  producer: Producer;
  /**
   * How to read the dead-letter topic: `brokers`, `groupId` (required: the group's committed offsets
   * are the replay's progress, so a second run starts where the first stopped) and any other Consumer
   * option. Use a group of its own: the replay assigns every partition to itself.
   */
  consumer: ConsumerOptions;
  /**
   * The topic a record goes back to. Default: its original topic, from `kafka_dlt-original-topic` (or
   * `kafka_original-topic`), on its original partition. Return undefined to fall back to the default.
   */
  to?: (record: ConsumerRecord) => string | undefined;
  /** Replay only records this returns true for; the others are skipped (and count as done). */
  filter?: (record: ConsumerRecord) => boolean;
  /** Stops the replay (what was replayed stays replayed and committed). */
  signal?: AbortSignal;
}

export interface ReplayResult {
  replayed: number;
  skipped: number;
  /** Whether it got to the end the topic had when the replay started (false: stopped by `signal`). */
  complete: boolean;
}

const KNOWN = new Set(['topic', 'producer', 'consumer', 'to', 'filter', 'signal']);

/** How often the tail of a partition (transaction markers after its last record) is looked at. */
const TAIL_CHECK_MS = 250;

/**
 * Sends dead letters back to the topic they came from — after the bug that made them fail is fixed —
 * from the group's committed position up to the end the dead-letter topic had when the call started
 * (records written later are left for the next replay). Each record goes back with its key, value and
 * own headers (the forwarding headers — `kafka_dlt-*`, `kafka_original-*`, `kafka_exception-*`,
 * `retry_topic-*` — are dropped, so it is a new record there), and counts as done once the broker
 * acknowledged it; the position is committed as it goes (every second, and at the end). A crash may
 * replay a record twice, never skip one; with a transactional producer each record and its offset
 * commit together. A record that names no original topic stops the replay with a ReplayError.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  checkKnownOptions(options, KNOWN, 'replayDeadLetters');
  const { topic, signal } = options;
  if (typeof topic !== 'string' || topic === '') throw new ConfigError('topic', 'expected the dead-letter topic name');
  const producer = checkProducer(options.producer, 'replayDeadLetters');
  const to = checkFunction<NonNullable<ReplayOptions['to']>>(options.to, 'to');
  const filter = checkFunction<NonNullable<ReplayOptions['filter']>>(options.filter, 'filter');
  if (typeof options.consumer !== 'object' || options.consumer === null) {
    throw new ConfigError('consumer', 'expected Consumer options with brokers and groupId');
  }
  const groupId = options.consumer.groupId;
  if (typeof groupId !== 'string' || groupId === '') {
    throw new ConfigError('consumer.groupId', 'the replay keeps its position in a consumer group: set groupId');
  }
  const transactional = producer.options.transactionalId !== null;
  const consumerOptions: ConsumerOptions = {
    autoOffsetReset: 'earliest',
    isolationLevel: 'read_committed',
    autoCommitIntervalMs: 1000,
    ...options.consumer,
    // Offsets commit inside each transaction; an auto-commit racing one could move them back.
    ...(transactional ? { autoCommit: false } : {}),
  };
  if (signal?.aborted) return { replayed: 0, skipped: 0, complete: false };

  const ends = await replayRange(topic, groupId, consumerOptions);
  if (ends.size === 0) return { replayed: 0, skipped: 0, complete: true };

  const consumer = new Consumer(consumerOptions);
  consumer.assign([...ends.keys()].map((partition) => ({ topic, partition })));
  const done = new Set<number>();
  let replayed = 0;
  let skipped = 0;
  let closing = false;
  const finished = (partition: number) => {
    done.add(partition);
    if (done.size === ends.size && !closing) {
      closing = true;
      // From outside the handler, so the last record counts as processed and is committed. The
      // explicit commit covers records skipped by `filter` after the last transaction (with a
      // transactional producer auto-commit is off, and close() commits nothing).
      setImmediate(
        () =>
          void consumer
            .commit()
            .catch(() => {})
            .finally(() => consumer.close().catch(() => {})),
      );
    }
  };

  // A partition whose last offsets are transaction markers (a transactionally written dead-letter
  // topic) never delivers a record at end - 1: once fetched past the end, commit what is processed
  // (the consumer counts markers as processed) and read it back. Handlers wait meanwhile, so this
  // commit never races a transaction's offsets.
  let handlers = 0;
  let gate: Promise<void> = Promise.resolve();
  let checking = false;
  const checkTails = async () => {
    if (checking || handlers > 0 || closing) return;
    const reached = [...ends].filter(([p, end]) => !done.has(p) && safePosition(consumer, topic, p) >= end);
    if (reached.length === 0) return;
    checking = true;
    let open!: () => void;
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    try {
      await consumer.commit();
      const committed = await consumer.committed(reached.map(([partition]) => ({ topic, partition })));
      for (const [p, end] of reached) if ((committed.get(tpKey(topic, p))?.offset ?? -1) >= end) finished(p);
    } catch {
      // Tried again at the next tick.
    } finally {
      open();
      checking = false;
    }
  };
  const timer = setInterval(() => void checkTails(), TAIL_CHECK_MS);

  try {
    await consumer.run({
      ...(signal ? { signal } : {}),
      eachMessage: async (record, ctx) => {
        await gate;
        handlers++;
        try {
          const end = ends.get(record.partition)!;
          if (record.offset >= end) {
            // Written after the replay started: left unprocessed, for the next replay.
            ctx.retryAfter(MAX_TIMEOUT_MS);
            finished(record.partition);
            return;
          }
          if (filter && !filter(record)) skipped++;
          else {
            const { target, partition } = destination(record, to);
            const message: Message = {
              key: record.key,
              value: record.value,
              headers: record.headers.filter((h) => !FORWARDING_HEADERS.has(h.key)),
              ...(partition === undefined ? {} : { partition }),
            };
            await sendHandOff(producer, target, message, record, ctx);
            replayed++;
          }
          if (record.offset + 1 >= end) finished(record.partition);
        } finally {
          handlers--;
        }
      },
    });
  } catch (err) {
    if (err instanceof HandlerError && err.cause instanceof ReplayError) throw err.cause;
    throw err;
  } finally {
    clearInterval(timer);
  }
  return { replayed, skipped, complete: done.size === ends.size };
}

function destination(
  record: ConsumerRecord,
  to: ReplayOptions['to'],
): { target: string; partition: number | undefined } {
  const chosen = to?.(record);
  if (chosen !== undefined) {
    if (typeof chosen !== 'string' || chosen === '') {
      throw new ConfigError('to', `expected a topic name or undefined, got ${String(chosen)}`);
    }
    return { target: chosen, partition: undefined };
  }
  const info = readDeadLetter(record.headers);
  if (info.topic === undefined || info.topic === '') {
    throw new ReplayError(
      record.topic,
      record.partition,
      record.offset,
      'it has no kafka_dlt-original-topic (or kafka_original-topic) header; pass `to` to choose a topic',
    );
  }
  return {
    target: info.topic,
    partition: info.partition !== undefined && info.partition >= 0 ? info.partition : undefined,
  };
}

function safePosition(consumer: Consumer, topic: string, partition: number): number {
  try {
    return consumer.position(topic, partition);
  } catch {
    return -1;
  }
}

/**
 * The partitions with something to replay, each with the offset to stop at: the end (last stable
 * offset) now, for partitions whose committed position (or start, without one) is below it.
 */
async function replayRange(topic: string, groupId: string, o: ConsumerOptions): Promise<Map<number, number>> {
  const clientOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (Object.hasOwn(clientOptionSpecs, k)) clientOptions[k] = v;
  const admin = new Admin(clientOptions as unknown as ConsumerOptions);
  try {
    const [described] = await admin.describeTopics([topic]);
    const tps = described!.partitions.map((p) => ({ topic, partition: p.partition }));
    const [latest, earliest, committed] = await Promise.all([
      admin.listOffsets(
        tps.map((tp) => ({ ...tp, at: 'latest' as const })),
        { isolationLevel: 'read_committed' },
      ),
      admin.listOffsets(tps.map((tp) => ({ ...tp, at: 'earliest' as const }))),
      admin.listGroupOffsets(groupId, tps),
    ]);
    const start = new Map(earliest.map((e) => [e.partition, e.offset]));
    const from = new Map(committed.map((c) => [c.partition, c.offset]));
    const out = new Map<number, number>();
    for (const { partition, offset: end } of latest) {
      const first = start.get(partition) ?? 0;
      const at = Math.max(first, from.get(partition) ?? (o.autoOffsetReset === 'latest' ? end : first));
      if (at < end) out.set(partition, end);
    }
    return out;
  } finally {
    admin.close();
  }
}
