// The work of `sluice sink` (and of the demo's sink phase): runSink into a store, with the progress
// display fed from what the store has actually stored — records counted and positions taken after each
// write succeeds — and the log's end offsets, refreshed every couple of seconds, for the lag.
//
// Stopping: `until` resolves with target offsets (for --until-end, the end offsets seen at start);
// once every partition's stored position reaches its target the sink stops. `count` stops after the
// batch that reaches it. A signal stops it too (Ctrl-C): what was stored is kept.
import { Admin } from '../admin/admin.js';
import type { ClientOptions } from '../cluster/options.js';
import { type TopicPartition, tpKey } from '../consumer/topic-partition.js';
import type { Logger } from '../logger.js';
import { ConnectionError } from '../network/errors.js';
import type { ValueDecoder } from '../sinks/decode.js';
import { runSink } from '../sinks/runner.js';
import type { PartitionWrite, SinkStore } from '../sinks/types.js';
import { formatCount, type ProgressDisplay } from './progress.js';
import { BrokersUnreachableError } from './sink-failure.js';

export interface SinkCommandOptions {
  brokers: string[];
  /** TLS, SASL, client id and timeouts from the shared CLI options (brokers and logger come from above). */
  client?: Omit<ClientOptions, 'brokers' | 'logger'>;
  groupId: string;
  topic: string;
  store: SinkStore;
  value?: ValueDecoder;
  onError?: 'fail' | 'skip';
  /** Stop after this many records are stored (at the end of the batch that reaches it). */
  count?: number;
  /** Stop once every partition's stored position reaches these offsets (keyed by tpKey). */
  until?: Promise<Map<string, number>> | 'end';
  display?: ProgressDisplay;
  logger?: Logger;
  signal?: AbortSignal;
  /** How long connecting and the first metadata may take before it is a connection failure. */
  connectTimeoutMs?: number;
}

export interface SinkSummary {
  stored: number;
  seconds: number;
  /** Lag left at the end (undefined if it could not be read). */
  lag: number | undefined;
  /** Why it stopped. */
  reason: 'until' | 'count' | 'signal';
  partitions: number;
}

/**
 * Stored positions and end offsets of one topic's partitions, and the lag between them.
 *
 * Control records (transaction markers) end many partitions of transactional topics, and runSink
 * stores no position for a batch that holds nothing else: the stored position then stays one short
 * of the end offset for good. The consumer's committed offset does move past them, so a partition
 * whose stored position has not moved for a while and whose committed offset is at the target
 * counts as there. (The wait lets a store that is behind Kafka's commit — a restored backup — catch
 * up first: runSink re-stores from the store's position.)
 */
export class LagTracker {
  readonly positions = new Map<string, number>();
  readonly ends = new Map<string, number>();
  /** The group's committed offsets, read with the end offsets. */
  readonly committed = new Map<string, number>();
  /** Per partition: the stored position at the last refresh and since when it has not moved (ms). */
  private readonly still = new Map<string, { at: number; since: number }>();

  constructor(
    readonly partitions: TopicPartition[],
    private readonly stallMs = STALL_MS,
  ) {}

  /** Notes, at a refresh, which stored positions moved since the previous one. */
  observe(now: number): void {
    for (const p of this.partitions) {
      const key = tpKey(p.topic, p.partition);
      const at = this.positions.get(key) ?? -1;
      const s = this.still.get(key);
      if (!s || s.at !== at) this.still.set(key, { at, since: now });
    }
  }

  /** Where a partition effectively is: its stored position, or past trailing control records. */
  private effective(key: string, now: number): number | undefined {
    const pos = this.positions.get(key);
    const committed = this.committed.get(key);
    const s = this.still.get(key);
    if (pos !== undefined && committed !== undefined && committed > pos && s && s.at === pos) {
      if (now - s.since >= this.stallMs) return committed;
    }
    return pos;
  }

  lag(now = Date.now()): number | undefined {
    if (this.ends.size < this.partitions.length) return undefined;
    let lag = 0;
    for (const p of this.partitions) {
      const key = tpKey(p.topic, p.partition);
      const pos = this.effective(key, now);
      if (pos === undefined) return undefined;
      lag += Math.max(0, (this.ends.get(key) ?? 0) - pos);
    }
    return lag;
  }

  /** Every partition stored up to its target. */
  reached(targets: Map<string, number>, now = Date.now()): boolean {
    for (const p of this.partitions) {
      const key = tpKey(p.topic, p.partition);
      const target = targets.get(key) ?? 0;
      if ((this.effective(key, now) ?? -1) < target) return false;
    }
    return true;
  }
}

/** A store that reports what it stored: positions and record counts after each successful write. */
class TrackingStore implements SinkStore {
  constructor(
    private readonly inner: SinkStore,
    private readonly onStored: (parts: readonly PartitionWrite[]) => void,
  ) {}
  get description() {
    return this.inner.description;
  }
  get mode() {
    return this.inner.mode;
  }
  open() {
    return this.inner.open();
  }
  positions(groupId: string, ps: readonly TopicPartition[]) {
    return this.inner.positions(groupId, ps);
  }
  async write(groupId: string, parts: readonly PartitionWrite[]) {
    await this.inner.write(groupId, parts);
    this.onStored(parts);
  }
  flush(groupId: string, ps: readonly TopicPartition[]) {
    return this.inner.flush(groupId, ps);
  }
  close() {
    return this.inner.close();
  }
}

const END_REFRESH_MS = 2000;
/** How long a stored position must stay put before the committed offset past it counts (LagTracker). */
const STALL_MS = 4000;

async function endOffsets(admin: Admin, partitions: TopicPartition[], timeoutMs: number) {
  const listed = await admin.listOffsets(
    partitions.map((p) => ({ ...p, at: 'latest' as const })),
    { timeoutMs },
  );
  return new Map(listed.map((o) => [tpKey(o.topic, o.partition), o.offset]));
}

/**
 * Where each partition will start: the store's position, else the group's committed offset, else the
 * log start (the sink's consumer resets to earliest).
 */
async function startPositions(
  admin: Admin,
  store: SinkStore,
  groupId: string,
  partitions: TopicPartition[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  await store.open();
  const stored = await store.positions(groupId, partitions);
  const missing = partitions.filter((p) => !stored.has(tpKey(p.topic, p.partition)));
  if (missing.length === 0) return stored;
  const committed = await admin.listGroupOffsets(groupId, missing, { timeoutMs });
  for (const c of committed) if (c.offset >= 0) stored.set(tpKey(c.topic, c.partition), c.offset);
  const still = missing.filter((p) => !stored.has(tpKey(p.topic, p.partition)));
  if (still.length) {
    const earliest = await admin.listOffsets(
      still.map((p) => ({ ...p, at: 'earliest' as const })),
      { timeoutMs },
    );
    for (const o of earliest) stored.set(tpKey(o.topic, o.partition), o.offset);
  }
  return stored;
}

export async function runSinkCommand(o: SinkCommandOptions): Promise<SinkSummary> {
  const timeoutMs = o.connectTimeoutMs ?? 10_000;
  // A failed `until` is reported below once the sink runs; if it fails before that, it is not unhandled.
  if (o.until instanceof Promise) o.until.catch(() => {});
  const admin = new Admin({
    clientId: 'sluice-sink',
    ...o.client,
    brokers: o.brokers,
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const stop = new AbortController();
  let reason: SinkSummary['reason'] = 'signal';
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let refresher: NodeJS.Timeout | undefined;
  let stored = 0;
  const started = Date.now();
  try {
    const [description] = await admin.describeTopics(o.topic, { timeoutMs }).catch((err: unknown) => {
      const code = (err as { code?: unknown }).code;
      if (err instanceof ConnectionError || code === 'TIMEOUT')
        throw new BrokersUnreachableError(o.brokers, timeoutMs, err);
      throw err;
    });
    const partitions = description!.partitions.map((p) => ({ topic: o.topic, partition: p.partition }));
    const tracker = new LagTracker(partitions);
    for (const [k, v] of await startPositions(admin, o.store, o.groupId, partitions, timeoutMs)) {
      tracker.positions.set(k, v);
    }
    for (const [k, v] of await endOffsets(admin, partitions, timeoutMs)) tracker.ends.set(k, v);
    tracker.observe(Date.now());

    let targets: Map<string, number> | undefined;
    let untilFailed: { err: unknown } | undefined;
    const checkDone = () => {
      if (targets && !stop.signal.aborted && tracker.reached(targets)) {
        reason = 'until';
        stop.abort();
      }
      if (o.count !== undefined && stored >= o.count && !stop.signal.aborted) {
        reason = 'count';
        stop.abort();
      }
    };
    if (o.until === 'end') targets = new Map(tracker.ends);
    else
      o.until?.then(
        (t) => {
          targets = t;
          checkDone();
        },
        (err: unknown) => {
          // Without targets the sink would never stop by itself: stop now and report why.
          untilFailed = { err };
          stop.abort();
        },
      );

    const store = new TrackingStore(o.store, (parts) => {
      for (const p of parts) {
        tracker.positions.set(tpKey(p.topic, p.partition), p.next);
        stored += p.records.length;
        // The log may have grown past what we last listed: never show negative lag.
        const key = tpKey(p.topic, p.partition);
        if ((tracker.ends.get(key) ?? 0) < p.next) tracker.ends.set(key, p.next);
      }
      checkDone();
    });

    const refresh = async () => {
      try {
        const [ends, committed] = await Promise.all([
          endOffsets(admin, partitions, 5000),
          admin.listGroupOffsets(o.groupId, partitions, { timeoutMs: 5000 }),
        ]);
        for (const [k, v] of ends) tracker.ends.set(k, Math.max(v, tracker.ends.get(k) ?? 0));
        for (const c of committed) if (c.offset >= 0) tracker.committed.set(tpKey(c.topic, c.partition), c.offset);
        tracker.observe(Date.now());
        checkDone();
      } catch {
        // The next refresh tries again; the display keeps the last known ends meanwhile.
      }
      if (!stop.signal.aborted) schedule();
    };
    // Unref'd, and not rescheduled once stopped (a refresh in flight at the end must not go on polling).
    const schedule = () => {
      refresher = setTimeout(refresh, END_REFRESH_MS);
      refresher.unref();
    };
    schedule();

    o.display?.start(() => ({ stored, lag: tracker.lag() }));
    checkDone();
    if (!stop.signal.aborted) {
      await runSink({
        consumer: {
          clientId: 'sluice-sink',
          ...o.client,
          brokers: o.brokers,
          groupId: o.groupId,
          autoOffsetReset: 'earliest',
          ...(o.logger ? { logger: o.logger } : {}),
        },
        topics: o.topic,
        store,
        value: o.value ?? 'utf8',
        onError: o.onError ?? 'fail',
        signal: stop.signal,
      });
    } else {
      await o.store.close();
    }
    if (refresher) clearTimeout(refresher);
    if (untilFailed) throw untilFailed.err;
    let lag = tracker.lag();
    try {
      for (const [k, v] of await endOffsets(admin, partitions, 5000)) tracker.ends.set(k, v);
      lag = tracker.lag();
    } catch {
      // keep the last known lag
    }
    const seconds = (Date.now() - started) / 1000;
    return { stored, seconds, lag, reason, partitions: partitions.length };
  } catch (err) {
    await o.store.close().catch(() => {});
    throw err;
  } finally {
    stop.abort();
    if (refresher) clearTimeout(refresher);
    o.signal?.removeEventListener('abort', onAbort);
    admin.close();
  }
}

export function summaryLine(s: SinkSummary): string {
  const rate = s.seconds > 0 ? s.stored / s.seconds : 0;
  const why = s.reason === 'until' ? 'reached the end' : s.reason === 'count' ? 'count reached' : 'interrupted';
  const lag = s.lag === undefined ? 'unknown' : formatCount(s.lag);
  return (
    `${why}: stored ${formatCount(s.stored)} records in ${s.seconds.toFixed(1)} s ` +
    `(${formatCount(rate)} records/s), ${s.partitions} partitions, lag ${lag}`
  );
}
