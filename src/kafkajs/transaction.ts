// `await producer.transaction()`: KafkaJS's transaction object on a transactional Sluice producer.
// Records sent through it, and consumer offsets given to sendOffsets, commit or abort together.
import type { Producer } from '../producer/producer.js';
import type { ConsumerGroupMetadata } from '../producer/types.js';
import type { CompressionName } from '../protocol/compression/codec.js';
import { KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import type { PartitionerMessage } from './partitioners.js';
import type { Message, RecordMetadata } from './producer-messages.js';
import { sendTopics, toProducerError } from './producer-send.js';

export interface TopicOffsets {
  topic: string;
  partitions: Array<{ partition: number; offset: string | number }>;
}

export interface SendOffsetsInput {
  consumerGroupId?: string;
  /** A `sluice/kafkajs` consumer: its group's generation and member id fence zombie members (KIP-447). */
  consumer?: unknown;
  topics: TopicOffsets[];
}

interface TransactionHost {
  originals: WeakMap<Buffer, PartitionerMessage>;
  customPartitioner: boolean;
  check(acks: unknown, compression: unknown, topicMessages: unknown): CompressionName;
  usable(): void;
  logger: KafkaJSLogger;
}

/** The group identity of a consumer given to sendOffsets: its groupMetadata() if it has one, else its groupId. */
function groupOf(input: SendOffsetsInput): ConsumerGroupMetadata {
  const c = input.consumer as
    | { groupMetadata?: () => ConsumerGroupMetadata | undefined; config?: { groupId?: string }; groupId?: string }
    | undefined;
  const md = typeof c?.groupMetadata === 'function' ? c.groupMetadata() : undefined;
  const groupId = md?.groupId ?? input.consumerGroupId ?? c?.config?.groupId ?? c?.groupId;
  if (typeof groupId !== 'string' || groupId === '') throw new KafkaJSNonRetriableError('Missing consumerGroupId');
  return md ?? { groupId };
}

export class KafkaJSTransaction {
  #ended = false;
  #warnedCompression = false;

  constructor(
    private readonly producer: Producer,
    private readonly host: TransactionHost,
  ) {}

  isActive(): boolean {
    return !this.#ended && this.producer.transactionState === 'IN_TRANSACTION';
  }

  async send(record: {
    topic: string;
    messages: Message[];
    acks?: number;
    timeout?: number;
    compression?: number;
  }): Promise<RecordMetadata[]> {
    const { topic, messages, ...rest } = record;
    return this.sendBatch({ ...rest, topicMessages: [{ topic, messages }] });
  }

  async sendBatch({
    acks = -1,
    compression,
    topicMessages = [],
  }: {
    acks?: number;
    timeout?: number;
    compression?: number;
    topicMessages?: Array<{ topic: string; messages: Message[] }>;
  }): Promise<RecordMetadata[]> {
    this.#guard();
    const codec = this.host.check(acks, compression, topicMessages);
    this.host.usable();
    if (codec !== 'none' && !this.#warnedCompression) {
      // One transactional id means one Sluice producer, whose codec is fixed: records are sent as they are.
      this.#warnedCompression = true;
      this.host.logger.warn(
        `Compression ${codec} is not applied inside transactions by sluice/kafkajs; records are sent uncompressed`,
      );
    }
    return sendTopics(this.producer, topicMessages, this.host.originals, this.host.customPartitioner);
  }

  async sendOffsets(input: SendOffsetsInput): Promise<void> {
    this.#guard();
    if (!input || !Array.isArray(input.topics)) throw new KafkaJSNonRetriableError('Missing offset topics');
    const group = groupOf(input);
    const offsets = input.topics.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) })),
    );
    const bad = offsets.find((o) => !Number.isSafeInteger(o.offset) || o.offset < 0);
    if (bad) throw new KafkaJSNonRetriableError(`Invalid offset for ${bad.topic}/${bad.partition}`);
    try {
      await this.producer.sendOffsetsToTransaction({ offsets, consumerGroupMetadata: group });
    } catch (err) {
      throw toProducerError(err);
    }
  }

  async commit(): Promise<void> {
    this.#guard();
    try {
      await this.producer.commitTransaction();
    } catch (err) {
      throw toProducerError(err);
    }
    this.#ended = true;
  }

  async abort(): Promise<void> {
    this.#guard();
    try {
      await this.producer.abortTransaction();
    } catch (err) {
      throw toProducerError(err);
    }
    this.#ended = true;
  }

  #guard(): void {
    if (!this.isActive()) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');
  }
}
