import type { Cluster, RetryOptions } from '../cluster/cluster.js';
import { SluiceError } from '../errors.js';
import { KafkaError } from '../protocol/errors.js';
import { AdminError, type ItemFailure } from './errors.js';

export interface CallOptions {
  /** Deadline for the whole call (`default.api.timeout.ms` by default). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Stamps when a call started, so that every step of it (connecting, refreshing metadata, its own
 * requests, waiting for leaders) counts against one `timeoutMs` (see RetryOptions.startedAt).
 */
export function startCall<T extends CallOptions>(opts: T): T & { startedAt: number } {
  return { ...opts, startedAt: (opts as RetryOptions).startedAt ?? Date.now() };
}

/** One round's answer per item: a result, or the item's Kafka error. */
export type ItemAnswers<R> = Map<string, R | KafkaError>;

/**
 * Runs a multi-item admin request until every item has a final answer: items with a retriable error
 * (NOT_CONTROLLER, REQUEST_TIMED_OUT, a coordinator moving, …) are sent again with backoff, until the
 * deadline. Resolves with the results when every item succeeded. Otherwise rejects with the item's
 * own KafkaError when only one item was asked for, else with an {@link AdminError} naming each failed
 * item and each that succeeded.
 */
export async function perItem<R>(
  cluster: Cluster,
  operation: string,
  items: readonly string[],
  round: (pending: string[], signal?: AbortSignal) => Promise<ItemAnswers<R>>,
  opts: CallOptions,
): Promise<Map<string, R>> {
  const done = new Map<string, R>();
  const failures: ItemFailure[] = [];
  let pending = [...new Set(items)];
  try {
    await cluster.retry(
      operation,
      async (_attempt, signal) => {
        const answers = await round(pending, signal);
        const again: string[] = [];
        let retriable: SluiceError | undefined;
        for (const item of pending) {
          const a = answers.get(item);
          if (a === undefined) {
            again.push(item);
            retriable ??= new SluiceError(`${operation}: the broker did not answer for ${item}`, {
              code: 'MISSING_ANSWER',
              retriable: true,
            });
          } else if (a instanceof KafkaError) {
            if (a.retriable) {
              again.push(item);
              retriable = a;
            } else failures.push({ item, error: a });
          } else done.set(item, a);
        }
        pending = again;
        // Thrown to make the retry loop go round again for the pending items.
        if (again.length > 0) throw retriable;
      },
      opts,
    );
  } catch (err) {
    if (failures.length === 0 && done.size === 0) throw err;
    // Out of time (or a non-retriable request error) with some items answered: report them all.
    for (const item of pending) failures.push({ item, error: err instanceof SluiceError ? err : wrap(err) });
  }
  if (failures.length > 0) {
    // One item asked for: its own error says it all. Several: say which failed and which did not.
    if (failures.length === 1 && done.size === 0) throw failures[0]!.error;
    throw new AdminError(operation, failures, [...done.keys()]);
  }
  return done;
}

function wrap(err: unknown): SluiceError {
  return new SluiceError(err instanceof Error ? err.message : String(err), { code: 'UNKNOWN', cause: err });
}

/**
 * UNKNOWN_TOPIC_OR_PARTITION is retriable for clients waiting for a topic to appear; for an admin call
 * about a named topic it is the answer (Java's admin does not retry it either).
 */
export function finalUnknownTopic<T>(a: T | KafkaError): T | KafkaError {
  if (a instanceof KafkaError && a.errorCode === 3) return Object.defineProperty(a, 'retriable', { value: false });
  return a;
}
