// Checks shared by the processing wrappers' options.
import type { Admin } from '../admin/admin.js';
import type { EachMessage, HandlerContext } from '../consumer/delivery.js';
import type { ConsumerRecord } from '../consumer/record.js';
import { ConfigError } from '../errors.js';
import type { Producer } from '../producer/producer.js';

/** Settings for retry and dead-letter topics created on demand. */
export interface NewTopicDefaults {
  /** Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'retention.ms': 1209600000 }` for a dead-letter topic kept two weeks. */
  configs?: Record<string, string | number | boolean>;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `handler` on a record: a throw or a rejection goes to `failed`, whose result is the call's;
 * `succeeded` runs when it completes. A synchronous handler stays synchronous (no promise per record).
 */
export function callHandler(
  handler: EachMessage,
  record: ConsumerRecord,
  ctx: HandlerContext,
  failed: (err: unknown) => unknown,
  succeeded?: () => void,
): unknown {
  let result: unknown;
  try {
    result = handler(record, ctx);
  } catch (err) {
    return failed(err);
  }
  if (!isThenable(result)) {
    succeeded?.();
    return result;
  }
  return Promise.resolve(result).then(
    succeeded
      ? (value) => {
          succeeded();
          return value;
        }
      : undefined,
    failed,
  );
}

export function checkHandler(handler: unknown, where: string): void {
  if (typeof handler !== 'function') {
    throw new ConfigError(
      'handler',
      `${where} expects an eachMessage function (record, ctx) => …, got ${typeof handler}`,
    );
  }
}

/**
 * The producer that hands failed records on. It must wait for every in-sync replica (`acks: 'all'`,
 * the default): the source record is marked processed once the send is acknowledged, and a record
 * acknowledged by the leader alone is lost if the leader fails before replicating it.
 */
export function checkProducer(producer: unknown, owner: string): Producer {
  const p = producer as Producer | undefined;
  if (typeof p !== 'object' || p === null || typeof p.send !== 'function' || typeof p.options !== 'object') {
    throw new ConfigError('producer', `${owner} needs a Producer to send failed records with`);
  }
  if (p.options.acks !== -1) {
    throw new ConfigError(
      'producer',
      `${owner} needs a producer with acks 'all' (the default), got acks ${p.options.acks}: a failed record ` +
        'counts as processed once its copy is acknowledged, so that copy must survive a leader failure',
    );
  }
  return p;
}

export function checkAdmin(admin: unknown, owner: string): Admin | undefined {
  if (admin === undefined) return undefined;
  const a = admin as Admin | null;
  if (typeof a !== 'object' || a === null || typeof a.createTopics !== 'function') {
    throw new ConfigError('admin', `${owner} expects an Admin client (to create topics on demand)`);
  }
  return a;
}

export function checkNewTopic(value: unknown): NewTopicDefaults {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('newTopic', 'expected { replicationFactor?, configs? }');
  }
  for (const k of Object.keys(value)) {
    if (k !== 'replicationFactor' && k !== 'configs') {
      throw new ConfigError(`newTopic.${k}`, 'unknown option (expected replicationFactor or configs)');
    }
  }
  const { replicationFactor, configs } = value as NewTopicDefaults;
  if (replicationFactor !== undefined && (!Number.isInteger(replicationFactor) || replicationFactor < 1)) {
    throw new ConfigError('newTopic.replicationFactor', `expected a positive integer, got ${replicationFactor}`);
  }
  if (configs !== undefined && (typeof configs !== 'object' || configs === null || Array.isArray(configs))) {
    throw new ConfigError('newTopic.configs', 'expected an object of topic configs');
  }
  return { replicationFactor, configs };
}

export function checkFunction<T>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigError(name, `expected a function, got ${typeof value}`);
  return value as T;
}
