// Checks of what the application passes to Consumer methods: a wrong argument is a ConfigError naming
// it, never a TypeError from deep inside (e.g. `subscribe(42)` or `assign(null)`).
import { ConfigError } from '../errors.js';
import { checkTimeout as checkTimeoutValue } from '../network/timeouts.js';
import type { RebalanceListener } from './core.js';
import type { RunOptions } from './delivery.js';
import type { TopicPartition } from './topic-partition.js';

/** Kafka's rule for topic names (Topic.java): 1-249 of [a-zA-Z0-9._-], not "." or "..". */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

export function checkTopicName(name: unknown, option = 'topic'): string {
  if (typeof name !== 'string' || !TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new ConfigError(
      option,
      `expected a topic name (1-249 characters of a-z, A-Z, 0-9, '.', '_', '-'), got ${describe(name)}`,
    );
  }
  return name;
}

export function checkSubscription(topics: unknown): string[] | RegExp {
  if (topics instanceof RegExp) return topics;
  const list = typeof topics === 'string' ? [topics] : topics;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(
      'topics',
      `subscribe() needs a topic name, a non-empty array of topic names or a RegExp, got ${describe(topics)}`,
    );
  }
  return [...new Set(list.map((t) => checkTopicName(t, 'topics')))].sort();
}

export function checkListener(listener: unknown): RebalanceListener {
  if (listener === undefined) return {};
  if (typeof listener !== 'object' || listener === null) {
    throw new ConfigError('listener', `expected an object with rebalance callbacks, got ${describe(listener)}`);
  }
  for (const name of ['onPartitionsAssigned', 'onPartitionsRevoked', 'onPartitionsLost'] as const) {
    const fn = (listener as Record<string, unknown>)[name];
    if (fn !== undefined && typeof fn !== 'function')
      throw new ConfigError(`listener.${name}`, `expected a function, got ${describe(fn)}`);
  }
  return listener as RebalanceListener;
}

export function checkPartition(p: unknown, option = 'partitions'): TopicPartition {
  if (typeof p !== 'object' || p === null) {
    throw new ConfigError(option, `expected { topic, partition }, got ${describe(p)}`);
  }
  const { topic, partition } = p as Record<string, unknown>;
  checkTopicName(topic, `${option}.topic`);
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 2 ** 31 - 1) {
    throw new ConfigError(`${option}.partition`, `expected an integer >= 0, got ${describe(partition)}`);
  }
  return { topic: topic as string, partition };
}

export function checkPartitions(partitions: unknown, method: string): TopicPartition[] {
  if (!Array.isArray(partitions)) {
    throw new ConfigError(
      'partitions',
      `${method} needs an array of { topic, partition }, got ${describe(partitions)}`,
    );
  }
  return partitions.map((p) => checkPartition(p));
}

export function checkOffset(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(option, `expected an integer >= 0, got ${describe(value)}`);
  }
  return value;
}

export function checkRunOptions(opts: unknown): RunOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw new ConfigError('run', `expected { eachMessage } or { eachBatch }, got ${describe(opts)}`);
  }
  const o = opts as RunOptions;
  if (!o.eachMessage === !o.eachBatch) throw new ConfigError('run', 'pass exactly one of eachMessage or eachBatch');
  for (const name of ['eachMessage', 'eachBatch'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function')
      throw new ConfigError(name, `expected a function, got ${describe(o[name])}`);
  }
  const n = o.partitionsConsumedConcurrently;
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000)) {
    throw new ConfigError('partitionsConsumedConcurrently', `expected an integer from 1 to 1000, got ${describe(n)}`);
  }
  const c = o.concurrency;
  if (c !== undefined && (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > 10000)) {
    throw new ConfigError('concurrency', `expected an integer from 1 to 10000, got ${describe(c)}`);
  }
  if (o.ordering !== undefined && !['key', 'partition', 'unordered'].includes(o.ordering as string)) {
    throw new ConfigError('ordering', `expected 'key', 'partition' or 'unordered', got ${describe(o.ordering)}`);
  }
  if (o.ordering !== undefined && c === undefined) throw new ConfigError('ordering', 'goes with concurrency');
  if (c !== undefined && o.eachBatch && o.ordering !== 'partition') {
    throw new ConfigError(
      'concurrency',
      "key-ordered and unordered concurrency need eachMessage (or ordering: 'partition')",
    );
  }
  if (c !== undefined && n !== undefined) {
    throw new ConfigError('concurrency', 'use either concurrency or partitionsConsumedConcurrently');
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new ConfigError('signal', `expected an AbortSignal, got ${describe(o.signal)}`);
  return o;
}

/** An optional per-call timeout (`close({ timeoutMs })`): as every duration, 0 to 2^31-1 ms. */
export function checkTimeout(value: unknown, option: string): number | undefined {
  return value === undefined ? undefined : checkTimeoutValue(option, value);
}
