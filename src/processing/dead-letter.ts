import type { Admin } from '../admin/admin.js';
import type { EachMessage, HandlerContext } from '../consumer/delivery.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { ConfigError } from '../errors.js';
import type { Producer } from '../producer/producer.js';
import type { ShareHandlerContext, ShareRecord } from '../share/types.js';
import { failureOf } from './classify.js';
import { Forwarder, originOf } from './forward.js';
import { decodeAttempts, HeaderNames, lastHeader } from './headers.js';
import {
  callHandler,
  checkAdmin,
  checkFunction,
  checkHandler,
  checkNewTopic,
  checkProducer,
  type NewTopicDefaults,
} from './options.js';
import {
  forwardingContext,
  type HandlerWrapper,
  isShareContext,
  type ShareEachMessage,
  withDeadLetterStage,
} from './share.js';

export interface DeadLetterOptions {
  /** Sends the dead letters; must use `acks: 'all'` (the default). A transactional producer makes the hand-off exactly-once. */
  producer: Producer;
  /** The dead-letter topic of a record. Default `<original topic>.dlq`. */
  topic?: (record: ConsumerRecord, error: unknown) => string;
  /** Creates missing dead-letter topics with the source topic's partition count (else they must exist). */
  admin?: Admin;
  /** Replication factor and configs of topics created on demand. */
  newTopic?: NewTopicDefaults;
  /**
   * Which failures become dead letters (default: all). Return false to let an error stop the consumer
   * instead, e.g. an authorization error that would otherwise send every record to the dead-letter topic.
   */
  deadLetterIf?: (err: unknown, record: ConsumerRecord) => boolean;
}

const KNOWN = new Set(['producer', 'topic', 'admin', 'newTopic', 'deadLetterIf']);

/** The default dead-letter topic name of a source topic. */
export function defaultDeadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function checkKnownOptions(options: unknown, known: ReadonlySet<string>, owner: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(owner, 'expected an options object');
  }
  for (const k of Object.keys(options)) {
    if (!known.has(k)) throw new ConfigError(k, `unknown option for ${owner} (known: ${[...known].join(', ')})`);
  }
}

/**
 * Sends records whose handler failed to a dead-letter topic instead of stopping the consumer:
 * `withDeadLetter(options)(handler)` is an `eachMessage` handler. The failed record counts as
 * processed only once its copy is acknowledged by every in-sync replica (the handler awaits the send),
 * so a crash loses nothing: at worst the copy is written twice. If the copy cannot be written the
 * consumer stops at the record (a HandOffError inside the HandlerError) and a restart tries again.
 *
 * The copy keeps the key, value and headers, lands on the same partition number when the topic has it,
 * and carries Spring Kafka's dead-letter headers (`kafka_dlt-original-topic`, …; docs/processing.md).
 * Compose with `withRetry` inside: `withDeadLetter(dl)(withRetry(r)(handler))`.
 *
 * On a ShareConsumer (KIP-932) the failed record is copied the same way (its `deliveryCount` as the
 * attempt count), then rejected: the broker archives it and never delivers it again. If the copy cannot
 * be written the record is released instead, and the broker delivers it again.
 */
export function withDeadLetter(options: DeadLetterOptions): HandlerWrapper {
  checkKnownOptions(options, KNOWN, 'withDeadLetter');
  const producer = checkProducer(options.producer, 'withDeadLetter');
  const admin = checkAdmin(options.admin, 'withDeadLetter');
  const topicOf = checkFunction<NonNullable<DeadLetterOptions['topic']>>(options.topic, 'topic');
  const deadLetterIf = checkFunction<NonNullable<DeadLetterOptions['deadLetterIf']>>(
    options.deadLetterIf,
    'deadLetterIf',
  );
  const forwarder = new Forwarder(producer, admin, checkNewTopic(options.newTopic));
  const deadLetter = async (
    record: ConsumerRecord,
    ctx: HandlerContext,
    err: unknown,
    attemptsBefore: (runs: number) => number,
  ): Promise<void> => {
    if (ctx.signal.aborted) throw err;
    const f = failureOf(err, () => true);
    if (deadLetterIf && !deadLetterIf(f.error, record)) throw err;
    const origin = originOf(record);
    const target = topicOf ? topicOf(record, f.error) : defaultDeadLetterTopic(origin.topic);
    if (typeof target !== 'string' || target === '') {
      throw new ConfigError('topic', `expected the topic function to return a topic name, got ${String(target)}`);
    }
    await forwarder.forward(record, ctx, {
      target,
      dlq: true,
      origin,
      error: f.error,
      attempts: attemptsBefore(f.runs),
      dueAt: Date.now(),
    });
  };
  return ((handler: EachMessage | ShareEachMessage) => {
    checkHandler(handler, 'withDeadLetter(options)(handler)');
    const classic = (record: ConsumerRecord, ctx: HandlerContext): unknown =>
      callHandler(handler as EachMessage, record, ctx, (err) =>
        // Attempts carried by a record that came from a retry topic, plus this stage's runs.
        deadLetter(record, ctx, err, (runs) => {
          const origin = originOf(record);
          const before =
            origin.topic === record.topic
              ? 1
              : (decodeAttempts(lastHeader(record.headers, HeaderNames.RETRY_ATTEMPTS)) ?? 1);
          return before + runs;
        }),
      );
    const share = (record: ShareRecord, ctx: ShareHandlerContext): unknown => {
      const inner = withDeadLetterStage(ctx);
      return callHandler(handler as unknown as EachMessage, record, inner as unknown as HandlerContext, async (err) => {
        // The broker counts deliveries: this one is the record's last.
        await deadLetter(record, forwardingContext(ctx), err, () => record.deliveryCount);
        ctx.acknowledge('reject');
      });
    };
    return ((record: ConsumerRecord, ctx: HandlerContext | ShareHandlerContext) =>
      isShareContext(ctx) ? share(record as ShareRecord, ctx) : classic(record, ctx)) as EachMessage;
  }) as HandlerWrapper;
}
