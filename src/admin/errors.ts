import type { SluiceError } from '../errors.js';
import { KafkaError } from '../protocol/errors.js';

export interface ItemFailure {
  /** The topic, group or resource name the failure is about. */
  item: string;
  /** A KafkaError (Kafka's name in `code`), or e.g. a TimeoutError when the item never got an answer. */
  error: SluiceError;
}

/**
 * Some items of a multi-item admin call failed (e.g. 1 of 3 topics in `createTopics`). It is a
 * {@link KafkaError} carrying the first failure's Kafka error (`code`, e.g. `TOPIC_ALREADY_EXISTS`), and
 * lists every failure and every item that succeeded, so nothing is hidden behind the first error.
 */
export class AdminError extends KafkaError {
  readonly failures: readonly ItemFailure[];
  readonly succeeded: readonly string[];

  constructor(operation: string, failures: ItemFailure[], succeeded: string[]) {
    const first = failures.find((f) => f.error instanceof KafkaError)?.error as KafkaError | undefined;
    super(first?.errorCode ?? -1, first === undefined ? { api: operation } : contextOf(first));
    this.failures = failures;
    this.succeeded = succeeded;
    const total = failures.length + succeeded.length;
    const list = failures.map((f) => `${f.item}: ${f.error.code}${detail(f.error)}`).join('; ');
    this.message = `${operation}: ${failures.length} of ${total} failed (${list})`;
  }
}

function contextOf(e: KafkaError) {
  return {
    ...(e.api === undefined ? {} : { api: e.api }),
    ...(e.topic === undefined ? {} : { topic: e.topic }),
    ...(e.partition === undefined ? {} : { partition: e.partition }),
    ...(e.groupId === undefined ? {} : { groupId: e.groupId }),
    ...(e.serverMessage === undefined ? {} : { serverMessage: e.serverMessage }),
    ...(e.broker === undefined ? {} : { broker: e.broker }),
  };
}

function detail(e: SluiceError): string {
  const m = e instanceof KafkaError ? e.serverMessage : e.message;
  return m ? ` (${m})` : '';
}
