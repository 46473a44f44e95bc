// KafkaJS's instrumentation events for the producer and the admin: `client.events.CONNECT`,
// `client.on(name, listener)` returning a remover, listeners given `{ id, type, timestamp, payload }`.
// Emitted: CONNECT and DISCONNECT. REQUEST, REQUEST_TIMEOUT and REQUEST_QUEUE_SIZE exist (so code that
// subscribes keeps working) but are never emitted: Sluice's connections do not report per request.
import { EventEmitter } from 'node:events';
import { KafkaJSNonRetriableError } from './errors.js';
import type { KafkaJSLogger } from './logger.js';

export interface InstrumentationEvent<T = unknown> {
  id: number;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener = () => void;

/** KafkaJS's event names for one client type (`producer.connect`, `producer.network.request`, …). */
export function clientEvents<P extends string>(prefix: P) {
  return {
    CONNECT: `${prefix}.connect`,
    DISCONNECT: `${prefix}.disconnect`,
    REQUEST: `${prefix}.network.request`,
    REQUEST_TIMEOUT: `${prefix}.network.request_timeout`,
    REQUEST_QUEUE_SIZE: `${prefix}.network.request_queue_size`,
  } as const;
}

let nextId = 0;

export class InstrumentationEmitter {
  readonly #emitter = new EventEmitter();
  readonly #names: Set<string>;

  constructor(
    readonly events: Record<string, string>,
    private readonly prefix: string,
    private readonly logger: KafkaJSLogger,
  ) {
    this.#names = new Set(Object.values(events));
  }

  on(eventName: string, listener: (event: InstrumentationEvent) => unknown): RemoveInstrumentationEventListener {
    if (!this.#names.has(eventName)) {
      const keys = Object.keys(this.events)
        .map((k) => `${this.prefix}.events.${k}`)
        .join(', ');
      throw new KafkaJSNonRetriableError(`Event name should be one of ${keys}`);
    }
    // A listener's failure is logged, never thrown into the client (as KafkaJS does).
    const wrapped = (event: InstrumentationEvent) => {
      Promise.resolve()
        .then(() => listener(event))
        .catch((e: unknown) =>
          this.logger.error(`Failed to execute listener: ${(e as Error)?.message ?? String(e)}`, {
            eventName,
            stack: (e as Error)?.stack,
          }),
        );
    };
    this.#emitter.on(eventName, wrapped);
    return () => {
      this.#emitter.off(eventName, wrapped);
    };
  }

  emit(eventName: string, payload: unknown = null): void {
    if (this.#emitter.listenerCount(eventName) === 0) return;
    const event: InstrumentationEvent = { id: nextId++, type: eventName, timestamp: Date.now(), payload };
    this.#emitter.emit(eventName, event);
  }
}
