// One KafkaJS send/sendBatch on a Sluice producer, the partitioner hook for KafkaJS partitioners, and
// the error mapping of the producer's calls.
import { TimeoutError } from '../cluster/deadline.js';
import { ProducerFencedError } from '../producer/errors.js';
import type { Producer } from '../producer/producer.js';
import type { Partitioner, PartitionerInput } from '../producer/types.js';
import { KafkaError } from '../protocol/errors.js';
import { KafkaJSError, KafkaJSNumberOfRetriesExceeded, toKafkaJSError } from './errors.js';
import type { ICustomPartitioner, PartitionerMessage, PartitionMetadata } from './partitioners.js';
import { type Message, type RecordMetadata, toRecordMetadata, toSluiceMessages } from './producer-messages.js';

/**
 * KafkaJS's error for what a producer call threw. Waiting for metadata past the retry budget is
 * KafkaJS's KafkaJSNumberOfRetriesExceeded around the last broker error (e.g. UNKNOWN_TOPIC_OR_PARTITION).
 */
export function toProducerError(err: unknown): unknown {
  // Fenced by a newer producer with the same transactional id: KafkaJS reports the broker's error
  // (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH) as a KafkaJSProtocolError.
  if (err instanceof ProducerFencedError && err.cause instanceof KafkaError) {
    const e = toKafkaJSError(err.cause);
    if (e instanceof Error) Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true });
    return e;
  }
  if (err instanceof TimeoutError && err.cause !== undefined) {
    const cause = toKafkaJSError(err.cause);
    if (cause instanceof Error) return new KafkaJSNumberOfRetriesExceeded(cause);
  }
  return toKafkaJSError(err);
}

/** Sends each topic's messages (a topic named twice is sent once, as KafkaJS merges them). */
export async function sendTopics(
  producer: Producer,
  topicMessages: ReadonlyArray<{ topic: string; messages: Message[] }>,
  originals: WeakMap<Buffer, PartitionerMessage>,
  customPartitioner: boolean,
): Promise<RecordMetadata[]> {
  const merged = new Map<string, Message[]>();
  for (const { topic, messages } of topicMessages) merged.set(topic, [...(merged.get(topic) ?? []), ...messages]);
  const sends = [...merged].map(([topic, messages]) => {
    const { messages: converted, timestamps } = toSluiceMessages(
      topic,
      messages,
      customPartitioner ? originals : undefined,
    );
    const acks = producer.options.acks;
    return producer.send({ topic, messages: converted }).then((r) =>
      // acks 0: the broker does not answer; KafkaJS resolves with nothing.
      acks === 0 ? [] : toRecordMetadata(topic, r, timestamps),
    );
  });
  try {
    return (await Promise.all(sends)).flat();
  } catch (err) {
    throw toProducerError(err);
  }
}

/**
 * Sluice's partitioner hook running a KafkaJS partitioner. It sees the message as the caller gave it
 * (found by its key or value Buffer). `partitionMetadata` is built from the partition count and which
 * partitions have a leader: `leader` is 0 for those and -1 for the others (Sluice's hook does not pass
 * node ids), and replicas/isr are empty.
 */
export function sluicePartitioner(
  create: ICustomPartitioner,
  originals: WeakMap<Buffer, PartitionerMessage>,
): Partitioner {
  const partition = create();
  if (typeof partition !== 'function') {
    throw new KafkaJSError(
      'createPartitioner must return a function ({ topic, partitionMetadata, message }) => number',
      {
        retriable: false,
      },
    );
  }
  const cache = new WeakMap<readonly number[], PartitionMetadata[]>();
  const metadataOf = (count: number, available: readonly number[]): PartitionMetadata[] => {
    let md = cache.get(available);
    if (md === undefined || md.length !== count) {
      const up = new Set(available);
      md = Array.from({ length: count }, (_, p) => ({
        partitionErrorCode: 0,
        partitionId: p,
        leader: up.has(p) ? 0 : -1,
        replicas: [],
        isr: [],
        offlineReplicas: [],
      }));
      cache.set(available, md);
    }
    return md;
  };
  return ({ topic, key, value, partitionCount, availablePartitions }: PartitionerInput) => {
    const message = (key && originals.get(key)) || (value && originals.get(value)) || { key, value };
    return partition({ topic, partitionMetadata: metadataOf(partitionCount, availablePartitions), message });
  };
}
