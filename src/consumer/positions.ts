import { backoffDelay, sleep } from '../cluster/backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { listOffsets, OffsetSpec } from '../cluster/list-offsets.js';
import { isRetriable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OffsetClient } from './offsets.js';
import type { PartitionState } from './partition-state.js';
import { formatPartitions } from './topic-partition.js';

export interface PositionHost {
  readonly cluster: Cluster;
  readonly offsets: OffsetClient | undefined;
  readonly logger: Logger;
  readonly isolationLevel: 0 | 1;
  /** Whether `s` is still an assigned partition of this consumer (not revoked, lost or replaced). */
  owns(s: PartitionState): boolean;
  /** The policy when no committed offset exists or the position fell out of the log; null = fail. */
  resetTarget(s: PartitionState, why: string): PartitionState['reset'];
  /** Drops `s`'s buffered chunks (a new position makes them stale). */
  moved(s: PartitionState, offset: number, leaderEpoch: number): void;
  /** Positions were set: fetching can start. */
  resolved(): void;
  fail(err: Error): void;
  /** Aborted when the consumer closes. */
  readonly closing: AbortSignal;
}

/**
 * Gives partitions a fetch position: the committed offset first (OffsetFetch), then the reset
 * policy or a seek target (ListOffsets). Runs in the background, so a slow or failing lookup never
 * holds up the group membership (heartbeats, rebalances) or other partitions, and retries
 * retriable errors — e.g. UNKNOWN_TOPIC_OR_PARTITION from a broker that has not yet heard of a topic
 * created moments ago — with backoff until it succeeds, the partition goes away or the consumer closes.
 */
export class PositionResolver {
  constructor(private readonly host: PositionHost) {}

  /** Resolves `states` that need a position, retrying in the background; errors that are not retriable fail the consumer. */
  resolve(states: PartitionState[]): void {
    if (states.length === 0) return;
    this.retrying(states).catch((err) => this.host.fail(err));
  }

  private async retrying(states: PartitionState[]): Promise<void> {
    const h = this.host;
    for (let attempt = 0; ; attempt++) {
      const todo = states.filter((s) => h.owns(s) && s.reset !== null && !s.revoking);
      if (todo.length === 0 || h.closing.aborted) return;
      try {
        await this.resolveOnce(todo);
        h.resolved();
        return;
      } catch (err) {
        if (h.closing.aborted) return;
        if (!isRetriable(err)) throw err;
        h.logger.warn('Looking up positions failed; retrying', {
          partitions: formatPartitions(todo),
          attempt: attempt + 1,
          error: err,
        });
        const delay = backoffDelay(attempt, {
          initialMs: h.cluster.options.retryBackoffMs,
          maxMs: h.cluster.options.retryBackoffMaxMs,
        });
        await sleep(delay, h.closing).catch(() => {});
      }
    }
  }

  private async resolveOnce(states: PartitionState[]): Promise<void> {
    const h = this.host;
    const signal = h.closing;
    // A seek or reset while a lookup is in flight makes its answer stale.
    const versions = new Map(states.map((s) => [s, s.version]));
    const current = (s: PartitionState) => s.version === versions.get(s) && h.owns(s);
    const wantCommitted = states.filter((s) => s.reset === 'committed');
    if (wantCommitted.length) {
      const committed = h.offsets ? await h.offsets.fetch(wantCommitted, { signal }) : new Map();
      for (const s of wantCommitted) {
        if (!current(s) || s.reset !== 'committed') continue;
        const c = committed.get(s.key);
        if (c) {
          s.position = c.offset;
          s.lastFetchedEpoch = c.leaderEpoch;
          s.committed = c.offset;
          s.processed = c.offset;
          s.reset = null;
        } else {
          s.reset = h.resetTarget(s, 'no committed offset');
        }
      }
    }
    let queries = states.filter((s) => s.reset !== null && s.reset !== 'committed' && current(s));
    // A timestamp with no record at or after it continues from the end: a second round.
    for (let round = 0; round < 2 && queries.length; round++) {
      const answers = await listOffsets(
        h.cluster,
        queries.map((s) => ({
          topic: s.topic,
          partition: s.partition,
          timestamp:
            s.reset === 'earliest'
              ? OffsetSpec.earliest
              : s.reset === 'latest'
                ? OffsetSpec.latest
                : (s.reset as { timestamp: number }).timestamp,
        })),
        { signal, isolationLevel: h.isolationLevel },
      );
      const again: PartitionState[] = [];
      for (const s of queries) {
        if (!current(s) || s.reset === null) continue;
        const a = answers.get(s.key);
        if (!a) continue;
        if (a.offset < 0) {
          s.reset = 'latest';
          again.push(s);
          continue;
        }
        // The new position is also where processing stands: a seek (to an offset, a time, the
        // start or the end) or a reset moves what the next commit stores, as in Java.
        h.moved(s, a.offset, -1);
        s.processed = a.offset;
      }
      queries = again;
    }
  }
}
