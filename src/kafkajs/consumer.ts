// `kafka.consumer({ groupId, … })`: KafkaJS's consumer API on Sluice's Consumer. Sluice keeps its
// commit safety (only what a handler finished is committed); docs/migrating-from-kafkajs.md lists
// where that differs from KafkaJS.
import type diagnostics_channel from 'node:diagnostics_channel';
import { Admin } from '../admin/admin.js';
import { TimeoutError } from '../cluster/deadline.js';
import type { ClientOptions } from '../cluster/options.js';
import { Consumer } from '../consumer/consumer.js';
import type { BatchContext, HandlerContext, RunOptions } from '../consumer/delivery.js';
import { HandlerError } from '../consumer/errors.js';
import type { ConsumerRecord } from '../consumer/record.js';
import type { TopicPartition } from '../consumer/topic-partition.js';
import {
  type ConsumerCommitEvent,
  type ConsumerFetchEvent,
  type ConsumerHeartbeatEvent,
  type ConsumerJoinEvent,
  consumerCommitChannel,
  consumerFetchChannel,
  consumerHeartbeatChannel,
  consumerJoinChannel,
} from '../observability/channels.js';
import { AssignerProtocol } from './assigners.js';
import { retryBudgetMs } from './config.js';
import {
  type ConsumerConfig,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopic,
  type ConsumerSubscribeTopics,
  type GroupDescription,
  key,
  noHeartbeat,
  offsetOf,
  originalCause,
  sluiceConsumerOptions,
  TopicMatcher,
  type TopicPartitionOffsetAndMetadata,
  type TopicPartitions,
} from './consumer-config.js';
import {
  ConsumerEventEmitter,
  type ConsumerEventName,
  type ConsumerEventPayloads,
  consumerEvents,
  type InstrumentationEvent,
  type RemoveInstrumentationEventListener,
} from './consumer-events.js';
import {
  type Batch,
  type EachBatchHandler,
  type EachMessageHandler,
  type OffsetsByTopicPartition,
  toBatch,
  toKafkaMessage,
} from './consumer-payloads.js';
import type { FacadeContext } from './context.js';
import {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  kafkajsErrors,
  toKafkaJSError,
} from './errors.js';
import type { KafkaJSLogger } from './logger.js';
import { HandlerRetries } from './retries.js';

export type {
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  GroupDescription,
  MemberDescription,
  TopicPartitionOffsetAndMetadata,
} from './consumer-config.js';

export class KafkaJSConsumer {
  readonly events = consumerEvents;
  readonly #ctx: FacadeContext;
  readonly #config: ConsumerConfig;
  readonly #groupId: string;
  readonly #logger: KafkaJSLogger;
  readonly #emitter = new ConsumerEventEmitter();
  #options: ClientOptions | undefined;
  #names = new Set<string>();
  #patterns: RegExp[] = [];
  #fromBeginning = false;
  #run: ConsumerRunConfig | undefined;
  #consumer: Consumer | undefined;
  #running = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #channels: Array<() => void> = [];
  /** Paused by the application: whole topics, or partitions of them. Applied again on assignment. */
  readonly #pausedTopics = new Set<string>();
  readonly #pausedPartitions = new Map<string, TopicPartition>();
  /** Partition `pause()` functions handed to handlers, cached: one closure per partition, not per message. */
  readonly #pauseFns = new Map<string, Array<(() => () => void) | undefined>>();
  /** Seeks asked for partitions not assigned (yet): applied when they are. */
  readonly #pendingSeeks = new Map<string, { topic: string; partition: number; offset: number }>();
  /** Bumped by each seek of a partition, for eachBatch's `isStale()`. */
  readonly #seekVersion = new Map<string, number>();
  /** eachBatch bookkeeping for `uncommittedOffsets()`: next offsets resolved, and committed. */
  readonly #resolved = new Map<string, { topic: string; partition: number; offset: number }>();
  #retries: HandlerRetries;
  #lastCommit = Date.now();
  #sinceCommit = 0;
  #admin: Admin | undefined;

  constructor(ctx: FacadeContext, config: ConsumerConfig) {
    if (typeof config?.groupId !== 'string' || config.groupId.length === 0)
      throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.');
    this.#ctx = ctx;
    this.#config = config;
    this.#groupId = config.groupId;
    this.#logger = ctx.logger.namespace('Consumer');
    this.#retries = new HandlerRetries({ ...ctx.config.retry, ...config.retry });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Resolves the brokers and connects (bootstrap metadata), so an unreachable cluster fails here as
   * with KafkaJS. The connection is kept for describeGroup(); the group consumer connects in run().
   */
  async connect(): Promise<void> {
    const options = await kafkajsErrors(this.#ctx.clientOptions());
    this.#options = options;
    this.#admin ??= new Admin(options);
    // KafkaJS retries a refused connection `retries` times with its backoff, then gives up with
    // KafkaJSNumberOfRetriesExceeded (the connection error as cause): the same budget here.
    const r = this.#retries;
    const budget =
      (this.#ctx.config.connectionTimeout ?? 1000) +
      retryBudgetMs({ ...this.#ctx.config.retry, ...this.#config.retry });
    try {
      await this.#admin.connect({ timeoutMs: Math.min(budget, 2 ** 31 - 1) });
    } catch (err) {
      const cause = err instanceof TimeoutError ? err.cause : undefined;
      if (cause instanceof Error) {
        const e = toKafkaJSError(cause) as Error;
        throw new KafkaJSNumberOfRetriesExceeded(e, { retryCount: r.retries, retryTime: r.maxRetryTime });
      }
      throw toKafkaJSError(err);
    }
    this.#emit(consumerEvents.CONNECT, null);
  }

  async disconnect(): Promise<void> {
    await this.stop();
    this.#admin?.close();
    this.#admin = undefined;
    this.#options = undefined;
    this.#emit(consumerEvents.DISCONNECT, null);
  }

  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.#running) throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
    const s = subscription as Partial<ConsumerSubscribeTopics & ConsumerSubscribeTopic>;
    const topics = s?.topics ?? (s?.topic === undefined ? undefined : [s.topic]);
    if (!Array.isArray(topics) || topics.length === 0)
      throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    for (const t of topics) {
      if (typeof t === 'string' && t.length > 0) this.#names.add(t);
      else if (t instanceof RegExp) this.#patterns.push(t);
      else
        throw new KafkaJSNonRetriableError(`Invalid topic ${String(t)}, the topic name has to be a String or a RegExp`);
    }
    // Sluice's offset reset is per consumer: a topic subscribed fromBeginning makes it 'earliest' for
    // all (so nothing is skipped).
    if (s.fromBeginning) this.#fromBeginning = true;
  }

  async run(config: ConsumerRunConfig = {}): Promise<void> {
    if (this.#running) {
      this.#logger.warn('consumer#run was called, but the consumer is already running', { groupId: this.#groupId });
      return;
    }
    if (!config.eachMessage === !config.eachBatch)
      throw new KafkaJSNonRetriableError('Consumer#run needs exactly one of eachMessage or eachBatch');
    if (this.#names.size === 0 && this.#patterns.length === 0)
      throw new KafkaJSNonRetriableError('Consumer#run: subscribe() to a topic first');
    this.#run = config;
    this.#running = true;
    this.#listen();
    await this.#start();
  }

  /** Stops consuming: handlers finish, processed offsets are committed, the consumer leaves the group. */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const consumer = this.#consumer;
    const wasRunning = this.#running;
    this.#running = false;
    // Kept until closed: the final commit's event is matched by its member id.
    if (consumer) await kafkajsErrors(consumer.close());
    if (this.#consumer === consumer) this.#consumer = undefined;
    this.#unlisten();
    if (wasRunning) this.#emit(consumerEvents.STOP, null);
  }

  // ---- while running -------------------------------------------------------------------------

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    if (!this.#running)
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    const n = offsetOf(offset, `${topic}-${partition}`);
    const k = key(topic, partition);
    this.#seekVersion.set(k, (this.#seekVersion.get(k) ?? 0) + 1);
    this.#pendingSeeks.set(k, { topic, partition, offset: n });
    this.#applySeeks();
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    for (const { topic, partitions } of this.#topicList(topics, 'pause')) {
      if (partitions === undefined) this.#pausedTopics.add(topic);
      else for (const p of partitions) this.#pausedPartitions.set(key(topic, p), { topic, partition: p });
    }
    this.#applyPauses();
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    const c = this.#consumer;
    const assigned = c?.assignment() ?? [];
    const toResume: TopicPartition[] = [];
    for (const { topic, partitions } of this.#topicList(topics, 'resume')) {
      if (partitions === undefined) {
        this.#pausedTopics.delete(topic);
        for (const [k, tp] of this.#pausedPartitions) if (tp.topic === topic) this.#pausedPartitions.delete(k);
        toResume.push(...assigned.filter((tp) => tp.topic === topic));
        continue;
      }
      if (this.#pausedTopics.delete(topic)) {
        // The topic was paused whole: its other assigned partitions stay paused.
        for (const tp of assigned)
          if (tp.topic === topic && !partitions.includes(tp.partition))
            this.#pausedPartitions.set(key(topic, tp.partition), tp);
      }
      for (const p of partitions) {
        this.#pausedPartitions.delete(key(topic, p));
        if (assigned.some((tp) => tp.topic === topic && tp.partition === p)) toResume.push({ topic, partition: p });
      }
    }
    if (c && toResume.length) c.resume(toResume);
  }

  paused(): TopicPartitions[] {
    const byTopic = new Map<string, Set<number>>();
    const add = (topic: string, partition: number) => {
      let s = byTopic.get(topic);
      if (!s) byTopic.set(topic, (s = new Set()));
      s.add(partition);
    };
    for (const tp of this.#pausedPartitions.values()) add(tp.topic, tp.partition);
    for (const tp of this.#consumer?.assignment() ?? [])
      if (this.#pausedTopics.has(tp.topic)) add(tp.topic, tp.partition);
    return [...byTopic].map(([topic, s]) => ({ topic, partitions: [...s].sort((a, b) => a - b) }));
  }

  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const c = this.#consumer;
    if (!c) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    const offsets = (topicPartitions ?? []).map((tp) => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: offsetOf(tp.offset, `${tp.topic}-${tp.partition}`),
      ...(tp.metadata === undefined ? {} : { metadata: tp.metadata }),
    }));
    await kafkajsErrors(c.commit(offsets));
  }

  async describeGroup(): Promise<GroupDescription> {
    const options = this.#options ?? (await kafkajsErrors(this.#ctx.clientOptions()));
    this.#admin ??= new Admin(options);
    const [g] = await kafkajsErrors(this.#admin.describeGroups(this.#groupId));
    return {
      groupId: this.#groupId,
      errorCode: 0,
      protocol: g?.assignor ?? '',
      protocolType: g?.protocolType ?? '',
      state: g?.state ?? 'Dead',
      // Sluice's admin decodes members' metadata and assignments; KafkaJS hands the bytes, which
      // AssignerProtocol decodes: they are encoded again here (ConsumerProtocol v0).
      members: (g?.members ?? []).map((m) => {
        const assignment: Record<string, number[]> = {};
        for (const tp of m.assignment) (assignment[tp.topic] ??= []).push(tp.partition);
        return {
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: m.subscribedTopics ?? [] }),
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment }),
        };
      }),
    };
  }

  on<K extends ConsumerEventName>(
    eventName: K,
    listener: (event: InstrumentationEvent<ConsumerEventPayloads[K]>) => void,
  ): RemoveInstrumentationEventListener {
    return this.#emitter.on(eventName, listener);
  }

  logger(): KafkaJSLogger {
    return this.#logger;
  }

  // ---- internals ----------------------------------------------------------------------------

  #emit<K extends ConsumerEventName>(name: K, payload: ConsumerEventPayloads[K]): void {
    this.#emitter.emit(name, payload, (err) =>
      this.#logger.error('An event listener threw', { event: name, error: (err as Error)?.message ?? String(err) }),
    );
  }

  #topicList(topics: unknown, what: string): Array<{ topic: string; partitions?: number[] }> {
    if (!Array.isArray(topics))
      throw new KafkaJSNonRetriableError(`Invalid topics array for ${what}: expected [{ topic, partitions? }]`);
    for (const t of topics) {
      if (typeof t?.topic !== 'string')
        throw new KafkaJSNonRetriableError(`Invalid topic for ${what}: ${JSON.stringify(t)}`);
      if (t.partitions !== undefined && !(Array.isArray(t.partitions) && t.partitions.every(Number.isInteger)))
        throw new KafkaJSNonRetriableError(`Invalid partitions for ${what} on ${t.topic}`);
    }
    return topics;
  }

  #memberId(): string {
    return this.#consumer?.groupMetadata().memberId ?? '';
  }

  /** Turns Sluice's diagnostics channels into this consumer's KafkaJS events. */
  #listen(): void {
    const sub = <T>(channel: diagnostics_channel.Channel, fn: (e: T) => void) => {
      const handler = (e: unknown) => fn(e as T);
      channel.subscribe(handler);
      this.#channels.push(() => channel.unsubscribe(handler));
    };
    const mine = (e: { groupId: string; memberId: string }) =>
      e.groupId === this.#groupId && e.memberId !== '' && e.memberId === this.#memberId();
    sub<ConsumerJoinEvent>(consumerJoinChannel, (e) => {
      if (!mine(e)) return;
      const memberAssignment: Record<string, number[]> = {};
      for (const { topic, partition } of e.assignment) (memberAssignment[topic] ??= []).push(partition);
      this.#joined?.();
      const assignedTopics = Object.keys(memberAssignment);
      const matcher = new TopicMatcher(this.#names, this.#patterns);
      const topicsNotSubscribed = assignedTopics.filter((t) => !matcher.test(t));
      if (topicsNotSubscribed.length) {
        // A leader with another subscription assigned these (KafkaJS warns and emits this too).
        this.#logger.warn('Consumer group received unsubscribed topics', { groupId: e.groupId, topicsNotSubscribed });
        this.#emit(consumerEvents.RECEIVED_UNSUBSCRIBED_TOPICS, {
          groupId: e.groupId,
          generationId: e.generationId,
          memberId: e.memberId,
          assignedTopics,
          topicsSubscribed: [...this.#names, ...assignedTopics.filter((t) => !this.#names.has(t) && matcher.test(t))],
          topicsNotSubscribed,
        });
      }
      this.#emit(consumerEvents.GROUP_JOIN, {
        duration: Math.round(e.durationMs),
        groupId: e.groupId,
        isLeader: e.isLeader,
        leaderId: e.leaderId,
        groupProtocol: e.protocol,
        memberId: e.memberId,
        memberAssignment,
      });
    });
    sub<ConsumerCommitEvent>(consumerCommitChannel, (e) => {
      if (!mine(e)) return;
      this.#lastCommit = Date.now();
      for (const o of e.offsets) {
        const r = this.#resolved.get(key(o.topic, o.partition));
        if (r && r.offset <= o.offset) this.#resolved.delete(key(o.topic, o.partition));
      }
      if (!this.#emitter.has(consumerEvents.COMMIT_OFFSETS)) return;
      this.#emit(consumerEvents.COMMIT_OFFSETS, {
        groupId: e.groupId,
        memberId: e.memberId,
        groupGenerationId: e.generationId,
        topics: byTopic(e.offsets),
      });
    });
    sub<ConsumerHeartbeatEvent>(consumerHeartbeatChannel, (e) => {
      if (!mine(e)) return;
      this.#emit(consumerEvents.HEARTBEAT, {
        groupId: e.groupId,
        memberId: e.memberId,
        groupGenerationId: e.generationId,
      });
    });
    sub<ConsumerFetchEvent>(consumerFetchChannel, (e) => {
      if (!this.#emitter.has(consumerEvents.FETCH)) return;
      const c = this.#consumer;
      if (!c || e.clientId !== (this.#options?.clientId ?? 'kafkajs')) return;
      const assigned = new Set(c.assignment().map((tp) => key(tp.topic, tp.partition)));
      if (!e.partitions.some((p) => assigned.has(key(p.topic, p.partition)))) return;
      // KafkaJS 2.x always reports numberOfBatches 0 (see its runner.js).
      this.#emit(consumerEvents.FETCH, { numberOfBatches: 0, duration: Math.round(e.durationMs), nodeId: e.broker });
    });
  }

  #unlisten(): void {
    for (const off of this.#channels) off();
    this.#channels = [];
  }

  #joined: (() => void) | undefined;
  /** A handler failed for good: the Sluice consumer is closing itself (no REBALANCING for that). */
  #failing = false;

  /** Makes a Sluice consumer, starts it, and resolves once it joined the group (as KafkaJS's run()). */
  async #start(restarting = false): Promise<void> {
    this.#failing = false;
    const run = this.#run!;
    const options = this.#options ?? (await kafkajsErrors(this.#ctx.clientOptions()));
    this.#options = options;
    let consumer: Consumer;
    try {
      consumer = new Consumer(
        sluiceConsumerOptions(this.#config, options, run, this.#fromBeginning, this.#logger.namespace('Assigner')),
      );
      consumer.subscribe(new TopicMatcher(this.#names, this.#patterns), {
        onPartitionsAssigned: () => {
          this.#applyPauses();
          this.#applySeeks();
        },
        onPartitionsRevoked: () => {
          // Sluice revokes before every eager rejoin, and on close: only the former is a rebalance.
          if (!this.#running || this.#failing || this.#consumer !== consumer) return;
          this.#emit(consumerEvents.REBALANCING, { groupId: this.#groupId, memberId: this.#memberId() });
        },
      });
    } catch (err) {
      if (!restarting) {
        this.#running = false;
        this.#unlisten();
      }
      throw toKafkaJSError(err);
    }
    this.#consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      this.#joined = resolve;
    });
    const done = consumer.run(this.#runOptions(run)).then(
      () => undefined,
      (err: unknown) => err,
    );
    const first = await Promise.race([joined.then(() => undefined), done]);
    this.#joined = undefined;
    if (first !== undefined) {
      // Failed before joining: KafkaJS's run() rejects then (a restart crashes again instead).
      this.#consumer = undefined;
      if (!restarting) {
        this.#running = false;
        this.#unlisten();
      }
      throw this.#crashError(first);
    }
    void done.then((err) => {
      if (err !== undefined && this.#consumer === consumer) void this.#crash(this.#crashError(err));
    });
  }

  #crashError(err: unknown): Error {
    const e = err instanceof HandlerError ? err.cause : err;
    const mapped = toKafkaJSError(e);
    return mapped instanceof Error ? mapped : new KafkaJSError(String(mapped));
  }

  /** KafkaJS's onCrash: CRASH event, then a restart after the retry time if the error allows it. */
  async #crash(e: Error): Promise<void> {
    this.#consumer = undefined;
    this.#logger.error(`Crash: ${e.name}: ${e.message}`, { groupId: this.#groupId, stack: e.stack });
    const retriable =
      e.name === 'KafkaJSNumberOfRetriesExceeded' || (originalCause(e) as { retriable?: unknown })?.retriable === true;
    const restartOnFailure = this.#config.retry?.restartOnFailure ?? this.#ctx.config.retry?.restartOnFailure;
    let restart = retriable;
    if (restart && restartOnFailure) {
      restart = await restartOnFailure(e).catch((error: unknown) => {
        this.#logger.error(
          'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.',
          { error: (error as Error)?.message ?? String(error), groupId: this.#groupId },
        );
        return true;
      });
    }
    this.#emit(consumerEvents.CRASH, { error: e, groupId: this.#groupId, restart });
    if (!restart || !this.#running) {
      this.#running = false;
      this.#unlisten();
      return;
    }
    const retryTime = (e as { retryTime?: number }).retryTime || this.#retries.initialRetryTime;
    this.#logger.error(`Restarting the consumer in ${retryTime}ms`, { groupId: this.#groupId, retryTime });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#running) return;
      this.#start(true).catch(
        (err: unknown) => void this.#crash(err instanceof Error ? err : new KafkaJSError(String(err))),
      );
    }, retryTime);
  }

  #runOptions(run: ConsumerRunConfig): RunOptions {
    const out: RunOptions = {};
    if (run.partitionsConsumedConcurrently !== undefined)
      out.partitionsConsumedConcurrently = run.partitionsConsumedConcurrently;
    if (run.eachMessage) {
      out.eachMessage = this.#eachMessage(run.eachMessage, run);
      out.onHandlerError = (err, record, ctx) =>
        this.#handlerFailed(record.topic, record.partition, record.offset, err, ctx, (ms) => ctx.retryAfter(ms));
    } else out.eachBatch = this.#eachBatch(run.eachBatch!, run);
    return out;
  }

  #pauseFn(topic: string, partition: number): () => () => void {
    let list = this.#pauseFns.get(topic);
    if (!list) this.#pauseFns.set(topic, (list = []));
    let fn = list[partition];
    if (!fn) {
      fn = () => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      };
      list[partition] = fn;
    }
    return fn;
  }

  /**
   * autoCommitThreshold: commit once that many records were processed since the last threshold
   * commit. Called before `n` more records are handled (eachMessage) or after (eachBatch), so a
   * commit covers only records already processed.
   */
  #countProcessed(n: number, run: ConsumerRunConfig): void {
    const threshold = run.autoCommitThreshold;
    if (threshold == null || run.autoCommit === false) return;
    if (this.#sinceCommit >= threshold) {
      this.#sinceCommit = 0;
      this.#consumer?.commitAsync(undefined, (err) => this.#logger.warn('Commit failed', { error: err.message }));
    }
    this.#sinceCommit += n;
  }

  /**
   * The handler Sluice calls: builds KafkaJS's payload and returns the application's promise as it is
   * (no wrapping promise per message); a rejection goes to {@link KafkaJSConsumer.#messageFailed}
   * through Sluice's `onHandlerError`.
   */
  #eachMessage(handler: EachMessageHandler, run: ConsumerRunConfig) {
    const retries = this.#retries;
    const counting = run.autoCommitThreshold != null && run.autoCommit !== false;
    return (record: ConsumerRecord): unknown => {
      // The records before this one are processed: a retry streak on an earlier one is over, and a
      // threshold commit now covers them.
      if (retries.pending) retries.passed(record.topic, record.partition, record.offset);
      if (counting) this.#countProcessed(1, run);
      return handler({
        topic: record.topic,
        partition: record.partition,
        message: toKafkaMessage(record),
        heartbeat: noHeartbeat,
        pause: this.#pauseFn(record.topic, record.partition),
      });
    };
  }

  #eachBatch(handler: EachBatchHandler, run: ConsumerRunConfig) {
    const autoResolve = run.eachBatchAutoResolve ?? true;
    return async (
      b: { topic: string; partition: number; records: ConsumerRecord[]; highWatermark: number },
      ctx: BatchContext,
    ) => {
      const { topic, partition, records } = b;
      const k = key(topic, partition);
      const seekVersion = this.#seekVersion.get(k) ?? 0;
      const batch: Batch = toBatch(topic, partition, b.highWatermark, records);
      let resolvedUpTo = -1;
      const resolve = (offset: number) => {
        if (offset <= resolvedUpTo) return;
        resolvedUpTo = offset;
        ctx.resolveOffset(offset);
        this.#resolved.set(k, { topic, partition, offset: offset + 1 });
      };
      const started = Date.now();
      const event =
        this.#emitter.has(consumerEvents.START_BATCH_PROCESS) || this.#emitter.has(consumerEvents.END_BATCH_PROCESS)
          ? batchEvent(batch)
          : undefined;
      if (event) this.#emit(consumerEvents.START_BATCH_PROCESS, event);
      try {
        await handler({
          batch,
          resolveOffset: (offset: string) => resolve(offsetOf(offset, `${topic}-${partition}`)),
          heartbeat: noHeartbeat,
          pause: this.#pauseFn(topic, partition),
          commitOffsetsIfNecessary: (offsets?: OffsetsByTopicPartition) => this.#commitIfNecessary(run, offsets),
          uncommittedOffsets: () => ({ topics: byTopic([...this.#resolved.values()].map((r) => ({ ...r }))) }),
          isRunning: () => this.#running && !ctx.signal.aborted,
          isStale: () => ctx.signal.aborted || (this.#seekVersion.get(k) ?? 0) !== seekVersion,
        });
      } catch (err) {
        const first = resolvedUpTo >= 0 ? resolvedUpTo + 1 : (records[0]?.offset ?? 0);
        this.#handlerFailed(topic, partition, first, err, ctx, (ms) => ctx.retryAfter(ms));
        return;
      }
      if (this.#retries.pending) this.#retries.passed(topic, partition, Number.MAX_SAFE_INTEGER);
      const last = records[records.length - 1];
      if (!last || (this.#seekVersion.get(k) ?? 0) !== seekVersion) {
        // Sought meanwhile: Sluice does not count the batch; nothing to resolve.
      } else if (ctx.signal.aborted || (!autoResolve && resolvedUpTo < last.offset)) {
        // Not resolved: KafkaJS fetches again from the first offset not resolved, and so does Sluice.
        // Stopping (or revoked) mid-batch, KafkaJS resolves the whole batch when the handler returns,
        // committing records a handler that saw isRunning() turn false never processed; here only
        // what it resolved counts.
        if (resolvedUpTo < last.offset) ctx.retryAfter(0);
      } else {
        // Resolved now rather than when Sluice counts the batch on return: a threshold commit
        // below then includes it.
        resolve(last.offset);
        this.#sinceCommit += records.length;
        this.#countProcessed(0, run);
      }
      if (event) this.#emit(consumerEvents.END_BATCH_PROCESS, { ...event, duration: Date.now() - started });
    };
  }

  async #commitIfNecessary(run: ConsumerRunConfig, offsets?: OffsetsByTopicPartition): Promise<void> {
    const c = this.#consumer;
    if (!c) return;
    if (offsets) {
      const list = (offsets.topics ?? []).flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          offset: offsetOf(p.offset, `${t.topic}-${p.partition}`),
        })),
      );
      await kafkajsErrors(c.commit(list));
      return;
    }
    if (run.autoCommit === false) return;
    const interval = run.autoCommitInterval ?? null;
    const threshold = run.autoCommitThreshold ?? null;
    const due =
      (interval === null && threshold === null) ||
      (interval !== null && Date.now() >= this.#lastCommit + interval) ||
      (threshold !== null && this.#sinceCommit >= threshold);
    if (due) await kafkajsErrors(c.commit());
  }

  /**
   * A handler threw. KafkaJS fetches the record (batch) again after its retry backoff and crashes
   * after `retries` attempts; here the record waits in Sluice's buffer (ctx.retryAfter), and the
   * attempt after the last retry ends the run with KafkaJSNumberOfRetriesExceeded. Nothing about the
   * failed record is committed.
   */
  #handlerFailed(
    topic: string,
    partition: number,
    offset: number,
    err: unknown,
    ctx: HandlerContext,
    retryAfter: (ms: number) => void,
  ): void {
    // Revoked or stopping: Sluice drops the record (its next owner gets it).
    if (ctx.signal.aborted) throw err;
    if (!(err instanceof KafkaJSError)) {
      this.#logger.error(`Error when calling ${this.#run?.eachBatch ? 'eachBatch' : 'eachMessage'}`, {
        topic,
        partition,
        offset: String(offset),
        stack: (err as Error)?.stack,
        error: (err as Error)?.message ?? String(err),
      });
    }
    // The handler paused its partition and threw (KafkaJS's documented pattern): the record comes
    // again once resumed, and that is no failure.
    if (this.#isPaused(topic, partition)) {
      retryAfter(0);
      return;
    }
    const next = this.#retries.failed(topic, partition, offset, err);
    if (next.retryIn !== undefined) {
      retryAfter(next.retryIn);
      return;
    }
    this.#failing = true;
    throw next.error;
  }

  #isPaused(topic: string, partition: number): boolean {
    return this.#pausedTopics.has(topic) || this.#pausedPartitions.has(key(topic, partition));
  }

  #applyPauses(): void {
    const c = this.#consumer;
    if (!c) return;
    const wanted = c.assignment().filter((tp) => this.#isPaused(tp.topic, tp.partition));
    if (wanted.length) c.pause(wanted);
  }

  #applySeeks(): void {
    const c = this.#consumer;
    if (!c || this.#pendingSeeks.size === 0) return;
    const assigned = new Set(c.assignment().map((tp) => key(tp.topic, tp.partition)));
    for (const [k, s] of this.#pendingSeeks) {
      if (!assigned.has(k)) continue;
      this.#pendingSeeks.delete(k);
      if (s.offset === -2) c.seek({ topic: s.topic, partition: s.partition, to: 'earliest' });
      else if (s.offset === -1) c.seek({ topic: s.topic, partition: s.partition, to: 'latest' });
      else c.seek({ topic: s.topic, partition: s.partition, offset: s.offset });
    }
  }
}

function byTopic(offsets: Array<{ topic: string; partition: number; offset: number }>) {
  const m = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const o of offsets) {
    let list = m.get(o.topic);
    if (!list) m.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: String(o.offset) });
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

function batchEvent(batch: Batch) {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    offsetLag: batch.offsetLag(),
    offsetLagLow: batch.offsetLagLow(),
    batchSize: batch.messages.length,
    firstOffset: batch.firstOffset(),
    lastOffset: batch.lastOffset(),
  };
}
