// `kafka.producer(config)`: KafkaJS's producer on Sluice's. KafkaJS picks acks and compression per
// send call; a Sluice producer fixes both, so one Sluice producer is kept per (acks, compression)
// pair used (made on first use; most programs use one). Transactions use one more, transactional,
// Sluice producer (see transaction.ts).
import type { ClientOptions } from '../cluster/options.js';
import type { ProducerOptions } from '../producer/options.js';
import { Producer } from '../producer/producer.js';
import type { Partitioner } from '../producer/types.js';
import type { CompressionName } from '../protocol/compression/codec.js';
import { compressionOf } from './compression.js';
import { type RetryOptions, retryBudgetMs } from './config.js';
import type { FacadeContext } from './context.js';
import { KafkaJSError, KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import { type ICustomPartitioner, isDefaultPartitioner, type PartitionerMessage } from './partitioners.js';
import { clientEvents, InstrumentationEmitter, type InstrumentationEvent } from './producer-events.js';
import type { Message, RecordMetadata } from './producer-messages.js';
import { sendTopics, sluicePartitioner, toProducerError as toError } from './producer-send.js';
import { KafkaJSTransaction } from './transaction.js';

export type { IHeaders, Message, RecordMetadata } from './producer-messages.js';

export interface ProducerConfig {
  /** Default Partitioners.DefaultPartitioner (Java-compatible; Sluice's own partitioner is used for it). */
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  /** metadata.max.age.ms. KafkaJS default 300000. */
  metadataMaxAge?: number;
  /** Default true. */
  allowAutoTopicCreation?: boolean;
  /**
   * true: KafkaJS's idempotent producer (acks must be -1). Unset: isIdempotent() is false as in KafkaJS,
   * but acks -1 sends still go through Sluice's idempotent producer, so retries cannot duplicate them.
   * false: no idempotence at all.
   */
  idempotent?: boolean;
  transactionalId?: string;
  /** Default 60000. */
  transactionTimeout?: number;
  /** KafkaJS default: no limit; Sluice allows at most 5 with idempotence (and uses 5 when unset). */
  maxInFlightRequests?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** -1 (default, all in-sync replicas), 1 (the leader) or 0 (no answer: the result is []). */
  acks?: number;
  /** Accepted; the Produce request's timeout is the client's requestTimeout. */
  timeout?: number;
  compression?: number;
}

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface ProducerBatch {
  acks?: number;
  timeout?: number;
  compression?: number;
  topicMessages?: TopicMessages[];
}

export const producerEvents = clientEvents('producer');

type Status = 'disconnected' | 'connected' | 'disconnecting';

/** KafkaJS's default retry budget, as a time bound for Sluice's max.block.ms (waiting for metadata). */
export class KafkaJSProducer {
  readonly events = producerEvents;
  readonly #logger: KafkaJSLogger;
  readonly #emitter: InstrumentationEmitter;
  readonly #producers = new Map<string, Producer>();
  readonly #originals = new WeakMap<Buffer, PartitionerMessage>();
  readonly #partitioner: Partitioner | undefined;
  #base: ProducerOptions | undefined;
  #status: Status = 'disconnected';
  #txn: KafkaJSTransaction | undefined;
  #txnProducer: Producer | undefined;

  constructor(
    readonly ctx: FacadeContext,
    readonly config: ProducerConfig,
  ) {
    this.#logger = ctx.logger.namespace('Producer');
    this.#emitter = new InstrumentationEmitter(producerEvents, 'producer', this.#logger);
    const idempotent = config.idempotent ?? false;
    const retries = config.retry?.retries;
    if (idempotent && retries !== undefined && retries < 1) {
      throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors');
    }
    this.#partitioner = isDefaultPartitioner(config.createPartitioner)
      ? undefined
      : sluicePartitioner(config.createPartitioner!, this.#originals);
  }

  async connect(): Promise<void> {
    try {
      const base = await this.#options(await this.ctx.clientOptions());
      this.#base = base;
      await this.#producer(-1, 'none').connect();
    } catch (err) {
      // Leave nothing open behind a failed connect (its sockets, its metadata refresh timer).
      const made = [...this.#producers.values()];
      this.#producers.clear();
      await Promise.allSettled(made.map((p) => p.close()));
      throw toError(err);
    }
    this.#status = 'connected';
    this.#emitter.emit(this.events.CONNECT);
  }

  async disconnect(): Promise<void> {
    this.#status = 'disconnecting';
    const all = [...this.#producers.values()];
    if (this.#txnProducer) all.push(this.#txnProducer);
    this.#producers.clear();
    this.#txnProducer = undefined;
    this.#txn = undefined;
    await Promise.allSettled(all.map((p) => p.close()));
    this.#status = 'disconnected';
    this.#emitter.emit(this.events.DISCONNECT);
  }

  isIdempotent(): boolean {
    return this.config.idempotent ?? false;
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => unknown): () => void {
    return this.#emitter.on(eventName, listener);
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  async send({ acks, timeout, compression, topic, messages }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] });
  }

  async sendBatch({ acks = -1, compression, topicMessages = [] }: ProducerBatch): Promise<RecordMetadata[]> {
    const codec = this.#check(acks, compression, topicMessages);
    this.#usable();
    let producer: Producer;
    try {
      producer = this.#producer(acks, codec);
    } catch (err) {
      throw toError(err);
    }
    return sendTopics(producer, topicMessages, this.#originals, this.#partitioner !== undefined);
  }

  /** Starts a transaction (needs `transactionalId`); the producer id is fetched, and older producers fenced, the first time. */
  async transaction(): Promise<KafkaJSTransaction> {
    const id = this.config.transactionalId;
    if (!id) throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
    if (this.#txn?.isActive()) {
      throw new KafkaJSNonRetriableError(
        'There is already an ongoing transaction for this producer. Please end the transaction before beginning another.',
      );
    }
    this.#usable();
    const base = this.#base!;
    try {
      this.#txnProducer ??= new Producer({
        ...base,
        acks: 'all',
        idempotent: true,
        // Transactions need idempotence, which allows at most 5 requests in flight and at least one retry.
        maxInFlightRequestsPerConnection: Math.min(base.maxInFlightRequestsPerConnection ?? 5, 5),
        retries: Math.max(base.retries ?? 2147483647, 1),
        transactionalId: id,
        transactionTimeoutMs: this.config.transactionTimeout ?? 60_000,
      });
      await this.#txnProducer.beginTransaction();
    } catch (err) {
      throw toError(err);
    }
    this.#txn = new KafkaJSTransaction(this.#txnProducer, {
      originals: this.#originals,
      customPartitioner: this.#partitioner !== undefined,
      check: (acks, compression, topicMessages) => this.#check(acks, compression, topicMessages, true),
      usable: () => this.#usable(),
      logger: this.#logger,
    });
    return this.#txn;
  }

  /** Validates a send the way KafkaJS does; returns Sluice's codec name. */
  #check(acks: unknown, compression: unknown, topicMessages: unknown, transactional = false): CompressionName {
    if (!Array.isArray(topicMessages)) throw new KafkaJSNonRetriableError('Invalid topicMessages: expected an array');
    if (topicMessages.some((t) => !t?.topic)) throw new KafkaJSNonRetriableError('Invalid topic');
    if ((transactional || this.isIdempotent()) && acks !== -1) {
      throw new KafkaJSNonRetriableError(
        "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
      );
    }
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      throw new KafkaJSNonRetriableError(`Invalid acks ${String(acks)}: expected -1 (all), 1 or 0`);
    }
    for (const { topic, messages } of topicMessages as TopicMessages[]) {
      if (!Array.isArray(messages)) {
        throw new KafkaJSNonRetriableError(`Invalid messages array [${String(messages)}] for topic "${topic}"`);
      }
    }
    return compressionOf(compression);
  }

  #usable(): void {
    if (this.#status === 'disconnecting') {
      throw new KafkaJSNonRetriableError(
        "The producer is disconnecting; therefore, it can't safely accept messages anymore",
      );
    }
    if (this.#status === 'disconnected' || this.#base === undefined)
      throw new KafkaJSError('The producer is disconnected');
  }

  /** The Sluice producer for these acks and codec, made on first use. */
  #producer(acks: number, compression: CompressionName): Producer {
    const k = `${acks}/${compression}`;
    let p = this.#producers.get(k);
    if (p === undefined) {
      p = new Producer({ ...this.#base!, acks: acks as -1 | 0 | 1, compression });
      this.#producers.set(k, p);
    }
    return p;
  }

  /** Sluice producer options for this KafkaJS config (acks and compression are added per producer). */
  async #options(client: ClientOptions): Promise<ProducerOptions> {
    const c = this.config;
    const idempotent = c.idempotent === true;
    const o: ProducerOptions = {
      ...client,
      // Unset (KafkaJS's default, false): Sluice's default applies. acks -1 sends are then idempotent
      // (retries never duplicate a batch), and acks 0/1 or >5 requests in flight turn it off, as in Java.
      // Only an explicit `idempotent: false` gives KafkaJS's plain producer.
      ...(c.idempotent === undefined ? {} : { idempotent: c.idempotent }),
      // KafkaJS sends each call at once; waiting to batch would add latency to `await send()` loops.
      lingerMs: 0,
      allowAutoCreateTopics: c.allowAutoTopicCreation ?? true,
      // KafkaJS gives up on a topic's metadata after its retries; so does the facade.
      maxBlockMs: retryBudgetMs(c.retry ?? this.ctx.config.retry),
    };
    if (c.metadataMaxAge !== undefined) o.metadataMaxAgeMs = c.metadataMaxAge;
    if (c.maxInFlightRequests != null) {
      o.maxInFlightRequestsPerConnection = idempotent ? Math.min(c.maxInFlightRequests, 5) : c.maxInFlightRequests;
    }
    if (c.retry?.retries !== undefined) o.retries = Math.max(idempotent ? 1 : 0, Math.min(c.retry.retries, 2147483647));
    if (this.#partitioner !== undefined) o.partitioner = this.#partitioner;
    return o;
  }
}
