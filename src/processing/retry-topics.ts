import type { Admin } from '../admin/admin.js';
import type { EachMessage, HandlerContext } from '../consumer/delivery.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { ConfigError } from '../errors.js';
import { checkTimeout, MAX_TIMEOUT_MS } from '../network/timeouts.js';
import type { Producer } from '../producer/producer.js';
import { failureOf, shouldRetry } from './classify.js';
import { checkKnownOptions, defaultDeadLetterTopic } from './dead-letter.js';
import { Forwarder, originOf } from './forward.js';
import { decodeAttempts, decodeBigInteger, HeaderNames, lastHeader, type RecordOrigin } from './headers.js';
import {
  callHandler,
  checkAdmin,
  checkFunction,
  checkHandler,
  checkNewTopic,
  checkProducer,
  type NewTopicDefaults,
} from './options.js';

export interface RetryTopicNames {
  /** Retry topic `n` (from 1) of a source topic. Default `<topic>.retry.<n>`. */
  retry?: (topic: string, n: number) => string;
  /** The dead-letter topic of a source topic. Default `<topic>.dlq`. */
  dlq?: (topic: string) => string;
}

export interface RetryTopicsOptions {
  /** Sends the copies; must use `acks: 'all'` (the default). A transactional producer makes each hand-off exactly-once. */
  producer: Producer;
  /** One retry topic per delay: a record failing on its source topic is retried after `delays[0]` ms, then `delays[1]`, … */
  delays: number[];
  /** After the last retry topic, send to the dead-letter topic (default true); false: the consumer stops at the record. */
  dlq?: boolean;
  /** Creates missing retry and dead-letter topics with the source topic's partition count (else they must exist). */
  admin?: Admin;
  names?: RetryTopicNames;
  /** Replication factor and configs of topics created on demand. */
  newTopic?: NewTopicDefaults;
  /**
   * Whether an error is worth another retry topic (default {@link shouldRetry}); one that is not goes
   * straight to the dead-letter topic, as in Spring.
   */
  retryIf?: (err: unknown, record: ConsumerRecord) => boolean;
}

/** `retryTopics(options)`: wraps a handler, and names and creates the topics it uses. */
export interface RetryTopics {
  (handler: EachMessage): EachMessage;
  /** The topics to subscribe to for these source topics: the sources and their retry topics (not the DLQ). */
  topics(sources: string | readonly string[]): string[];
  /** Creates the retry and dead-letter topics of these source topics now, if missing (needs `admin`). */
  createTopics(sources: string | readonly string[]): Promise<void>;
}

const KNOWN = new Set(['producer', 'delays', 'dlq', 'admin', 'names', 'newTopic', 'retryIf']);

/** Where a record is in the retry chain: 0 on its source topic, n on retry topic n. */
interface Stage {
  n: number;
  origin: RecordOrigin;
}

/**
 * Non-blocking retries through retry topics (Spring Kafka's pattern): a record whose handler fails is
 * copied to retry topic 1 with a due time (`retry_topic-backoff-timestamp`) of now + `delays[0]`; its
 * source record then counts as processed, so the source partition moves on. A record read from retry
 * topic `n` before its due time makes its partition wait until then (`ctx.retryAfter`: a timer, no CPU
 * and no blocked handler); then the handler runs again, and a failure moves it to retry topic `n + 1`,
 * and after the last one to the dead-letter topic (with `dlq: true`). Errors judged not retriable skip
 * the retry topics. Each hand-off is acknowledged by every in-sync replica before the record counts as
 * processed (or commits with it, with a transactional producer).
 *
 * One consumer can read the source topics and the retry topics with the same wrapped handler
 * (`consumer.subscribe(rt.topics('orders'))`), or separate consumers can.
 */
export function retryTopics(options: RetryTopicsOptions): RetryTopics {
  checkKnownOptions(options, KNOWN, 'retryTopics');
  const producer = checkProducer(options.producer, 'retryTopics');
  const admin = checkAdmin(options.admin, 'retryTopics');
  const delays = checkDelays(options.delays);
  const dlq = options.dlq ?? true;
  if (typeof dlq !== 'boolean') throw new ConfigError('dlq', `expected a boolean, got ${typeof dlq}`);
  const names = checkNames(options.names);
  const retryIf = checkFunction<NonNullable<RetryTopicsOptions['retryIf']>>(options.retryIf, 'retryIf');
  const forwarder = new Forwarder(producer, admin, checkNewTopic(options.newTopic));
  const retryName = (topic: string, n: number) => {
    const name = names.retry(topic, n);
    if (typeof name !== 'string' || name === '' || name === topic) {
      throw new ConfigError('names.retry', `must return a topic name other than "${topic}", got ${String(name)}`);
    }
    return name;
  };
  const dlqName = (topic: string) => {
    const name = names.dlq(topic);
    if (typeof name !== 'string' || name === '' || name === topic) {
      throw new ConfigError('names.dlq', `must return a topic name other than "${topic}", got ${String(name)}`);
    }
    return name;
  };

  const stageOf = (record: ConsumerRecord): Stage => {
    const origin = originOf(record);
    if (origin.topic !== record.topic) {
      for (let n = 1; n <= delays.length; n++) if (retryName(origin.topic, n) === record.topic) return { n, origin };
    }
    return { n: 0, origin };
  };

  const failed = async (record: ConsumerRecord, ctx: HandlerContext, stage: Stage, err: unknown): Promise<void> => {
    if (ctx.signal.aborted) throw err;
    const f = failureOf(err, (e) => (retryIf ? retryIf(e, record) : shouldRetry(e)));
    const next = stage.n + 1;
    let target: string;
    let delay = 0;
    if (f.retriable && next <= delays.length) {
      target = retryName(stage.origin.topic, next);
      delay = delays[next - 1]!;
    } else if (dlq) {
      target = dlqName(stage.origin.topic);
    } else {
      throw err;
    }
    // Spring's count: a record on its source topic is on attempt 1; each copy is on the attempt after.
    const before =
      stage.n === 0 ? 1 : (decodeAttempts(lastHeader(record.headers, HeaderNames.RETRY_ATTEMPTS)) ?? stage.n + 1);
    const now = Date.now();
    await forwarder.forward(record, ctx, {
      target,
      dlq: next > delays.length || !f.retriable,
      origin: stage.origin,
      error: f.error,
      attempts: before + f.runs,
      dueAt: now + delay,
    });
  };

  const wrap = (handler: EachMessage): EachMessage => {
    checkHandler(handler, 'retryTopics(options)(handler)');
    return (record, ctx) => {
      const stage = stageOf(record);
      if (stage.n > 0) {
        const due = decodeBigInteger(lastHeader(record.headers, HeaderNames.RETRY_BACKOFF_TIMESTAMP));
        const wait = due === undefined ? 0 : due - Date.now();
        if (wait > 0) {
          // Not due yet: the partition waits on a timer (the records behind it are due later still:
          // a retry topic has one delay, so its records are due in the order they were written).
          ctx.retryAfter(Math.min(wait, MAX_TIMEOUT_MS));
          return undefined;
        }
      }
      return callHandler(handler, record, ctx, (err) => failed(record, ctx, stage, err));
    };
  };

  const list = (sources: string | readonly string[]): string[] => {
    const arr = typeof sources === 'string' ? [sources] : sources;
    if (!Array.isArray(arr) || arr.some((t) => typeof t !== 'string' || t === '')) {
      throw new ConfigError('sources', 'expected a topic name or an array of topic names');
    }
    return arr as string[];
  };

  return Object.assign(wrap, {
    topics(sources: string | readonly string[]): string[] {
      const out: string[] = [];
      for (const t of list(sources)) {
        out.push(t);
        for (let n = 1; n <= delays.length; n++) out.push(retryName(t, n));
      }
      return out;
    },
    async createTopics(sources: string | readonly string[]): Promise<void> {
      if (!admin) throw new ConfigError('admin', 'retryTopics needs an Admin to create topics');
      const work: Promise<void>[] = [];
      for (const t of list(sources)) {
        for (let n = 1; n <= delays.length; n++) work.push(forwarder.ensureTopic(retryName(t, n), t));
        if (dlq) work.push(forwarder.ensureTopic(dlqName(t), t));
      }
      await Promise.all(work);
    },
  });
}

function checkDelays(delays: unknown): number[] {
  if (!Array.isArray(delays) || delays.length === 0) {
    throw new ConfigError('delays', 'expected a non-empty array of delays in ms, one per retry topic');
  }
  return delays.map((d, i) => checkTimeout(`delays[${i}]`, d));
}

function checkNames(names: unknown): Required<RetryTopicNames> {
  if (names !== undefined && (typeof names !== 'object' || names === null)) {
    throw new ConfigError('names', 'expected { retry?, dlq? }');
  }
  const n = (names ?? {}) as RetryTopicNames;
  for (const k of Object.keys(n)) {
    if (k !== 'retry' && k !== 'dlq') throw new ConfigError(`names.${k}`, 'unknown option (expected retry or dlq)');
  }
  return {
    retry:
      checkFunction<NonNullable<RetryTopicNames['retry']>>(n.retry, 'names.retry') ?? ((t, i) => `${t}.retry.${i}`),
    dlq: checkFunction<NonNullable<RetryTopicNames['dlq']>>(n.dlq, 'names.dlq') ?? defaultDeadLetterTopic,
  };
}
