// KafkaJS's retry schedule for a failing handler: the same record (or batch) again after
// initialRetryTime, then growing by `multiplier` with `factor` jitter up to maxRetryTime, `retries`
// times; the next failure is KafkaJSNumberOfRetriesExceeded. Errors KafkaJS never retries (a
// non-retriable KafkaJS error, TypeError, RangeError, ReferenceError, SyntaxError) fail at once with
// KafkaJSNonRetriableError.
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from './errors.js';

export interface HandlerRetryOptions {
  retries?: number;
  initialRetryTime?: number;
  maxRetryTime?: number;
  factor?: number;
  multiplier?: number;
}

const UNRECOVERABLE = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);

function retriable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return true;
  const e = err as { retriable?: unknown; name?: unknown };
  return e.retriable !== false && !UNRECOVERABLE.has(String(e.name));
}

interface Attempts {
  offset: number;
  count: number;
  /** The wait before the next attempt. */
  delay: number;
}

export class HandlerRetries {
  readonly retries: number;
  readonly initialRetryTime: number;
  readonly maxRetryTime: number;
  readonly factor: number;
  readonly multiplier: number;
  /** By partition: the record that keeps failing and how often it did. */
  private readonly failing = new Map<string, Attempts>();

  constructor(o: HandlerRetryOptions) {
    this.retries = o.retries ?? 5;
    this.initialRetryTime = o.initialRetryTime ?? 300;
    this.maxRetryTime = o.maxRetryTime ?? 30_000;
    this.factor = o.factor ?? 0.2;
    this.multiplier = o.multiplier ?? 2;
  }

  /** True while some partition has a failing record (the success path checks this before anything else). */
  get pending(): boolean {
    return this.failing.size > 0;
  }

  private jitter(ms: number): number {
    const delta = this.factor * ms;
    return Math.ceil(ms - delta + Math.random() * 2 * delta);
  }

  /** The record at `offset` failed: when to try it again, or the error that ends the run. */
  failed(topic: string, partition: number, offset: number, err: unknown): { retryIn?: number; error?: Error } {
    const k = `${topic}\u0000${partition}`;
    if (!retriable(err)) {
      this.failing.delete(k);
      return { error: new KafkaJSNonRetriableError(err as Error, { cause: err }) };
    }
    let a = this.failing.get(k);
    if (!a || a.offset !== offset) {
      a = { offset, count: 0, delay: this.jitter(this.initialRetryTime) };
      this.failing.set(k, a);
    }
    if (a.count < this.retries) {
      const retryIn = Math.min(a.delay, this.maxRetryTime);
      a.count++;
      a.delay = Math.min(this.jitter(a.delay) * this.multiplier, this.maxRetryTime);
      return { retryIn };
    }
    this.failing.delete(k);
    const error = err instanceof Error ? err : new Error(String(err));
    return { error: new KafkaJSNumberOfRetriesExceeded(error, { retryCount: a.count, retryTime: a.delay }) };
  }

  /** The partition got past `offset` (a later record is handled): a streak before it is over. */
  passed(topic: string, partition: number, offset: number): void {
    const k = `${topic}\u0000${partition}`;
    const a = this.failing.get(k);
    if (a && a.offset < offset) this.failing.delete(k);
  }

  clear(): void {
    this.failing.clear();
  }
}
