// KafkaJS's consumer instrumentation events: names, the `{ id, type, timestamp, payload }` envelope,
// and `on(name, listener)` returning a remover.
import { KafkaJSNonRetriableError } from './errors.js';

export const consumerEvents = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;

export type ConsumerEvents = typeof consumerEvents;
export type ConsumerEventName = ConsumerEvents[keyof ConsumerEvents];

export interface InstrumentationEvent<T> {
  id: string;
  type: string;
  timestamp: number;
  payload: T;
}

export type RemoveInstrumentationEventListener = () => void;

type TopicOffsets = { topic: string; partitions: Array<{ partition: number; offset: string }> };
interface BatchProcess {
  topic: string;
  partition: number;
  highWatermark: string;
  offsetLag: string;
  offsetLagLow: string;
  batchSize: number;
  firstOffset: string | null;
  lastOffset: string;
}

/** The payload of each event, as KafkaJS's types/index.d.ts declares it. */
export interface ConsumerEventPayloads {
  'consumer.heartbeat': { groupId: string; memberId: string; groupGenerationId: number };
  'consumer.commit_offsets': { groupId: string; memberId: string; groupGenerationId: number; topics: TopicOffsets[] };
  'consumer.group_join': {
    duration: number;
    groupId: string;
    isLeader: boolean;
    leaderId: string;
    groupProtocol: string;
    memberId: string;
    memberAssignment: { [topic: string]: number[] };
  };
  'consumer.fetch_start': { nodeId: number };
  'consumer.fetch': { numberOfBatches: number; duration: number; nodeId: number };
  'consumer.start_batch_process': BatchProcess;
  'consumer.end_batch_process': BatchProcess & { duration: number };
  'consumer.connect': null;
  'consumer.disconnect': null;
  'consumer.stop': null;
  'consumer.crash': { error: Error; groupId: string; restart: boolean };
  'consumer.rebalancing': { groupId: string; memberId: string };
  'consumer.received_unsubscribed_topics': {
    groupId: string;
    generationId: number;
    memberId: string;
    assignedTopics: string[];
    topicsSubscribed: string[];
    topicsNotSubscribed: string[];
  };
  'consumer.network.request': Record<string, unknown>;
  'consumer.network.request_timeout': Record<string, unknown>;
  'consumer.network.request_queue_size': Record<string, unknown>;
}

const names = new Set<string>(Object.values(consumerEvents));
/** KafkaJS numbers events per process. */
let nextId = 0;

export class ConsumerEventEmitter {
  private readonly listeners = new Map<string, Set<(e: InstrumentationEvent<unknown>) => void>>();

  on<K extends ConsumerEventName>(
    name: K,
    listener: (e: InstrumentationEvent<ConsumerEventPayloads[K]>) => void,
  ): RemoveInstrumentationEventListener {
    if (!names.has(name))
      throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(consumerEvents).join(', ')}`);
    if (typeof listener !== 'function') throw new KafkaJSNonRetriableError('The listener must be a function');
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const l = listener as (e: InstrumentationEvent<unknown>) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  has(name: string): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  /** Calls the listeners; one that throws is logged by the caller's `onError`, never breaks consuming. */
  emit<K extends ConsumerEventName>(name: K, payload: ConsumerEventPayloads[K], onError: (err: unknown) => void): void {
    const set = this.listeners.get(name);
    if (!set?.size) return;
    const event: InstrumentationEvent<unknown> = { id: String(nextId++), type: name, timestamp: Date.now(), payload };
    for (const l of [...set]) {
      try {
        const r = l(event) as unknown;
        if (r instanceof Promise) r.catch(onError);
      } catch (err) {
        onError(err);
      }
    }
  }
}
